#!/usr/bin/env bash
# Bench case 8: create-image of an instance that changed 10 MiB of a 3 GiB image.  One
# boot of the tiny image with a 3 GiB root whose user data writes 10 MiB of random data
# and powers the guest off (the instance is then stopped: everything create-image does
# is "beyond the shutdown"); then ROUNDS (default 5) captures of it, each timed from the
# command's start until the image record says available, and the store space each added
# (du of the store before and after).  Prints two docs/performance.md table rows and a
# raw-samples line.  Standalone (its own temporary store), or from bench/run.sh with
# AMI_RUN_STORE and AMI (the registered tiny image) set.  Not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AMI_RUN:-$PWD/build/src/ami-run}
ROUNDS=${ROUNDS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ami-run-bench-capture.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 0711 "$WORK" # as root QEMU runs as ami-run-qemu, which must reach the store
if [ -z "${AMI:-}" ]; then
    export AMI_RUN_STORE=$WORK/store
    dir=$(images/tiny/build.sh x86_64 bios ok)
    snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
    AMI=$(jq -r '.Images[0].ImageId' "$dir/ami.json")
    "$BIN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" >/dev/null
fi
STORE=$("$BIN" describe-images --image-ids "$AMI" >/dev/null && echo "${AMI_RUN_STORE:?}")

cat >"$WORK/ud.sh" <<'EOF'
#!/bin/sh
dd if=/dev/urandom of=/dev/nvme0n1 bs=1M seek=1024 count=10 conv=notrunc 2>/dev/null
sync
touch /tmp/poweroff
EOF
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
iid=$("$BIN" run "$AMI" --detach --user-data "$WORK/ud.sh" \
    --block-device-mappings '[{"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":3}}]' |
    jq -r '.Instances[0].InstanceId')
"$BIN" wait instance-stopped --instance-ids "$iid"

secs=() kib=()
for i in $(seq "$ROUNDS"); do
    before=$(du -sk "$STORE" | cut -f1)
    t=$(now)
    ami=$("$BIN" create-image --instance-id "$iid" --name "bench capture $i" --query ImageId --output text)
    until [ "$(jq -r .State "$STORE/images/$ami.json")" != pending ]; do sleep 0.01; done
    secs+=("$(echo "$(now) - $t" | bc -l)")
    [ "$(jq -r .State "$STORE/images/$ami.json")" = available ] ||
        { echo "bench: create-image: $ami is $(jq -c '[.State, .StateReason]' "$STORE/images/$ami.json")" >&2; exit 1; }
    kib+=("$(($(du -sk "$STORE" | cut -f1) - before))")
done
"$BIN" terminate-instances --instance-ids "$iid" >/dev/null
s_m=$(printf '%s\n' "${secs[@]}" | median)
k_m=$(printf '%s\n' "${kib[@]}" | median)
mib=$(echo "scale=1; $k_m / 1024" | bc -l)
met() { [ "$(echo "$1 < $2" | bc -l)" = 1 ] && echo met || echo "**missed**"; }
printf '| 8 | `create-image` of a stopped instance that changed 10 MiB of a 3 GiB image: command start → image available (all of it beyond the shutdown) | %.2f s | – | – | < 2 s | %s |\n' \
    "$s_m" "$(met "$s_m" 2)"
printf '| 8b | the store space that capture added (the layer, its record, the image) | %.1f MiB | – | – | < 30 MiB | %s |\n' \
    "$mib" "$(met "$mib" 30)"
echo "create-image s $(echo "${secs[@]}"); added KiB $(echo "${kib[@]}")"
