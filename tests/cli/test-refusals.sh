#!/usr/bin/env bash
# What ami-run must refuse, and what a refusal must leave alone: bad launch mappings,
# bad user data, --output xml outside run --dry-run, options a verb does not have, and
# images EC2 would not launch.  Every refusal is one line, exit 2, the store unchanged.
# make check-valgrind runs this file under memcheck too (ctest -L cli), which is what
# sees a read past a string inside glibc that ASan cannot.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G root

run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
root_bdm="[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
run 0 register-image --name refusals-bios --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "$root_bdm"
ami=$(jq -r .ImageId <<<"$OUT")

# refused RC ARGS...: exit RC, one line naming the verb, the store byte-identical.
refused() {
    local want=$1 before
    shift
    before=$(store_digest)
    run "$want" "$@"
    one_line_error
    [ "$(store_digest)" = "$before" ] || fail "the store changed: $*"
}

# --- run --block-device-mappings: VirtualName is ephemeral0 … ephemeral23 (EC2) --------
# A name that is not ephemeralN used to be planned and then read past its end.
for v in xyz ephemeral ephemeral24 ephemeral-1 ephemeral1x 'ephemeral+1'; do
    refused 2 run "$ami" --dry-run \
        --block-device-mappings "[{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"$v\"}]"
    contains "$ERR" "ami-run: run: --block-device-mappings[0] (/dev/sdb): VirtualName '$v' is not ephemeral0"
done
run 0 run "$ami" --dry-run --instance-type m5d.large \
    --block-device-mappings '[{"DeviceName":"/dev/sdb","VirtualName":"ephemeral0"}]'
[ "$(jq -r '[.Disks[] | select(.Kind == "ephemeral") | .DeviceName] | join(",")' <<<"$OUT")" = /dev/sdb ] ||
    fail "ephemeral0 on m5d.large is not an ephemeral disk: $OUT"
ok "run --block-device-mappings: VirtualName other than ephemeral0-23 refused, ephemeral0 planned"
