#!/usr/bin/env bash
# TpmSupport v2.0: the guest gets a TPM 2.0 (CRB) from swtpm, started by libvirt as the
# calling user, and no swtpm is left after the run.
source "$(dirname "$0")/lib.sh"
need swtpm swtpm_setup
ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || skip "ovmf is not installed"

dir=$("$TOP/images/tiny/build.sh" x86_64 uefi ok) || fail "image build failed"
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
jq '.Images[0] + {ImageId: "ami-0123456789abcdef0", Name: "tiny-tpm", TpmSupport: "v2.0"}' \
    "$dir/ami.json" >"$WORK/tpm.json"
run 0 register-image --from-json "$WORK/tpm.json" --snapshot "$snap=$dir/disk.raw"
printf '#!/bin/sh\necho "tpm devices: $(ls /sys/class/tpm)"\n' >"$WORK/ud.sh"

boot 0 ami-0123456789abcdef0 --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 240
contains "$OUT" "tpm devices: tpm0"
assert_clean "$IID"
[ -z "$(pgrep -f "swtpm.*$IID" || true)" ] || fail "swtpm of $IID still runs"
ok "TpmSupport v2.0: the guest sees tpm0; no swtpm left"
echo "$PASSED passed, 0 failed"
