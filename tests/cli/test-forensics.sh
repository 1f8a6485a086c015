#!/usr/bin/env bash
# inspect and logs refuse what they cannot read before any appliance starts (one line,
# exit 2, the store unchanged); run --keep-failed refuses --keep and --detach.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name forensics --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")

refused 2 inspect ami-0123456789abcdef0
contains "$ERR" "ami-0123456789abcdef0"
refused 2 inspect
contains "$ERR" "image-id"
ok "inspect: an unknown or missing image id is refused"

refused 2 logs i-0123456789abcdef0
contains "$ERR" "i-0123456789abcdef0"
refused 2 logs
ok "logs: an unknown or missing instance id is refused"

# A running instance (its owner alive: this shell) is refused without touching its disk.
id=i-0aaaaaaaaaaaaaaa1
mkdir -p "$STORE/instances/$id"
jq -n --arg id "$id" --arg d "$STORE/instances/$id" --argjson pid $$ \
    --arg start "$(cut -d' ' -f22 /proc/$$/stat)" '{InstanceId: $id, ImageId: "ami-0123456789abcdef0",
    LaunchTime: "2026-12-02T00:00:00.000Z", State: {Code: 16, Name: "running"},
    AmiRun: {Directory: $d, OwnerPid: $pid, OwnerStart: $start,
             Disks: [{VolumeId: "vol-0aaaaaaaaaaaaaaa1", Path: ($d + "/disk-0.qcow2"), Kind: "overlay"}]}}' \
    >"$STORE/instances/$id/instance.json"
refused 2 logs "$id"
contains "$ERR" "IncorrectInstanceState: instance '$id' is not stopped"
ok "logs: a running instance is refused, saying why and what to do"

refused 2 run "$ami" --keep-failed --keep
contains "$ERR" "--keep-failed"
refused 2 run "$ami" --keep-failed --detach
ok "run --keep-failed with --keep or --detach is refused"
echo "$PASSED passed, 0 failed"
