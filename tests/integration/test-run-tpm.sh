#!/usr/bin/env bash
# TpmSupport v2.0: the guest gets a TPM 2.0 (CRB) from swtpm, started by libvirt as the
# calling user, and no swtpm is left after the run.  As root, swtpm cannot run as QEMU's
# unprivileged user yet: the run is refused (exit 2, nothing made) unless --qemu-user root.
source "$(dirname "$0")/lib.sh"
need swtpm swtpm_setup
ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || skip "ovmf is not installed"

dir=$("$TOP/images/tiny/build.sh" x86_64 uefi ok) || fail "image build failed"
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
jq '.Images[0] + {ImageId: "ami-0123456789abcdef0", Name: "tiny-tpm", TpmSupport: "v2.0"}' \
    "$dir/ami.json" >"$WORK/tpm.json"
run 0 register-image --from-json "$WORK/tpm.json" --snapshot "$snap=$dir/disk.raw"
printf '#!/bin/sh\necho "tpm devices: $(ls /sys/class/tpm)"\n' >"$WORK/ud.sh"

as_root=()
if [ "$(id -u)" = 0 ]; then
    before=$(store_digest)
    run 2 run ami-0123456789abcdef0 --user-data "$WORK/ud.sh" --timeout 240
    one_line_error
    contains "$ERR" "TpmSupport v2.0: swtpm cannot run as 'ami-run-qemu' yet"
    contains "$ERR" "pass --qemu-user root"
    [ "$(store_digest)" = "$before" ] || fail "the refused run changed the store"
    ok "as root, a TPM boot without --qemu-user root is refused: one line, exit 2, store unchanged"
    as_root=(--qemu-user root)
fi
boot 0 ami-0123456789abcdef0 --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 240 \
    "${as_root[@]}"
contains "$OUT" "tpm devices: tpm0"
assert_clean "$IID"
[ -z "$(pgrep -f "swtpm.*$IID" || true)" ] || fail "swtpm of $IID still runs"
ok "TpmSupport v2.0: the guest sees tpm0; no swtpm left"
echo "$PASSED passed, 0 failed"
