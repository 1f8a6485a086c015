#!/usr/bin/env bash
# create-image of a running UEFI tiny instance, both ways, and the images boot with the
# change: the default reboots it (a clean ACPI power-off when the guest listens, forced
# after the grace period when it does not, said in StateReason) and starts it again;
# --no-reboot pauses it for the copy and it keeps running.  The parent snapshot's sha256
# never changes; the captured NVRAM goes with the image; deleting the parent snapshots
# (after deregistering their images) leaves the child bootable.  Boots are shared: one
# instance is captured three times.
source "$(dirname "$0")/lib.sh"

ami=$(tiny_ami x86_64 uefi ok)
base_snap=$("$AMI_RUN" describe-images --image-ids "$ami" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
base_sum=$(sha256sum <"$STORE/snapshots/$base_snap")

# The guest's change: a new marker at 512 MiB of the root disk and at the start of the
# blank data volume, after printing what was there.  The ACPI power button is heeded only
# on the first boot (so the third capture finds a guest that ignores it).
cat >"$WORK/ud.sh" <<'EOF'
#!/bin/sh
root=/dev/nvme0n1 data=/dev/nvme1n1
prev=$(dd if=$root bs=1M skip=512 count=1 2>/dev/null | head -c 45 | tr -d '\0')
echo "ami-run-tiny: prev root=[$prev] data=[$(dd if=$data bs=4k count=1 2>/dev/null | head -c 45 | tr -d '\0')]"
[ "${READ_ONLY:-}" ] && exit 0
m="marker-$(cat /proc/sys/kernel/random/uuid)"
echo "$m" | dd of=$root bs=1M seek=512 conv=notrunc 2>/dev/null
echo "$m" | dd of=$data bs=4k conv=notrunc 2>/dev/null
sync
echo "ami-run-tiny: wrote $m"
[ -n "$prev" ] && exit 0
for e in /sys/class/input/event*; do
    [ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] || continue
    echo "ami-run-tiny: acpi: watching"
    (dd if="/dev/input/${e##*/}" of=/dev/null bs=4096 count=1 2>/dev/null && sync && poweroff -f) &
done
EOF
sed 's/^\[ "\${READ_ONLY:-}" \] && exit 0$/exit 0/' "$WORK/ud.sh" >"$WORK/read.sh"

console_of() { "$AMI_RUN" get-console-output --instance-id "$1" | jq -r .Output; }
wait_console() {
    for _ in $(seq 600); do
        [ "$(console_of "$1" | grep -c -- "$2" || true)" -ge "$3" ] && return 0
        sleep 0.2
    done
    fail "'$2' did not appear $3 time(s) in the console of $1"
}
# marker N ID: the marker the Nth boot of instance ID wrote.
marker() { console_of "$2" | sed -n 's/.*ami-run-tiny: wrote \(marker-[0-9a-f-]*\).*/\1/p' | sed -n "$1p"; }
image_of() { "$AMI_RUN" describe-images --debug --image-ids "$1" | jq '.Images[0]'; }

bdm='[{"DeviceName":"/dev/sdf","Ebs":{"VolumeSize":1}}]'
# The supervisors (also those create-image starts again) force a power-off after 3 s.
export AMI_RUN_STOP_GRACE=3
run 0 run "$ami" --detach --user-data "$WORK/ud.sh" --block-device-mappings "$bdm"
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
wait_console "$IID" "ami-run-tiny: acpi: watching" 1
wait_console "$IID" "ami-run-tiny: ready" 1
m1=$(marker 1 "$IID")

# 1. The default: ACPI power-off (heeded), capture, start again.
run 0 create-image --instance-id "$IID" --name "tiny golden 1" \
    --tag-specifications 'ResourceType=image,Tags=[{Key=gen,Value=1}]' --query ImageId --output text
ami1=$OUT
run 0 wait image-available --image-ids "$ami1"
img1=$(image_of "$ami1")
[ "$(jq -r '"\(.State) \(.StateReason // "none") \(.AmiRun.CreateImage.Timing.Method) \(.SourceInstanceId) \(.BootMode)"' <<<"$img1")" = \
  "available none reboot $IID uefi" ] || fail "image 1: $img1"
run 0 wait instance-running --instance-ids "$IID"
wait_console "$IID" "ami-run-tiny: ready" 2
contains "$(console_of "$IID")" "prev root=[$m1] data=[$m1]"
m2=$(marker 2 "$IID")
ok "create-image (reboot): clean ACPI power-off, captured, the instance runs again and kept its disks"

nv=$(jq -r .AmiRun.Nvram.File <<<"$img1")
python3 - "$STORE/$nv" <<'EOF' || fail "the captured NVRAM holds no BootOrder: not the instance's variable store"
import sys
sys.exit(0 if "BootOrder".encode("utf-16-le") in open(sys.argv[1], "rb").read() else 1)
EOF
ok "the instance's UEFI variable store (with the BootOrder OVMF wrote) is kept with the image as $nv"

# 2. --no-reboot: paused for the copy, never rebooted.
qemu=$(qemus_of "$IID")
run 0 create-image --instance-id "$IID" --name "tiny golden 2" --no-reboot
ami2=$(jq -r .ImageId <<<"$OUT")
run 0 wait image-available --image-ids "$ami2"
img2=$(image_of "$ami2")
paused=$(jq -r .AmiRun.CreateImage.Timing.PausedMilliseconds <<<"$img2")
[ "$(jq -r .AmiRun.CreateImage.Timing.Method <<<"$img2")" = pause ] && [ "$paused" != null ] ||
    fail "no pause recorded: $img2"
[ "$(qemus_of "$IID")" = "$qemu" ] || fail "--no-reboot restarted QEMU"
[ "$(console_of "$IID" | grep -c 'ami-run-tiny: ready')" = 2 ] || fail "--no-reboot rebooted the guest"
[ "$(state_of "$IID")" = running ] || fail "not running after --no-reboot"
ok "create-image --no-reboot: the guest was paused ${paused} ms for the copy, same QEMU, not rebooted"

# 3. The default again, on a guest that now ignores the power button: forced, and said.
run 0 create-image --instance-id "$IID" --name "tiny golden 3"
ami3=$(jq -r .ImageId <<<"$OUT")
run 0 wait image-available --image-ids "$ami3"
contains "$(image_of "$ami3" | jq -r .StateReason.Message)" "forced: the guest ignored ACPI power-off for 3 s"
run 0 wait instance-running --instance-ids "$IID"
run 0 terminate-instances --instance-ids "$IID"
ok "create-image (reboot) of a guest ignoring ACPI: forced after the grace period, StateReason says so"

[ "$(sha256sum <"$STORE/snapshots/$base_snap")" = "$base_sum" ] || fail "the parent snapshot changed"
root1=$(jq -r '.BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$img1")
root2=$(jq -r '.BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$img2")
[ "$(jq -r .AmiRun.Parent "$STORE/snapshots/$root2.json")" = "$base_snap" ] || fail "root2's parent"
ok "the parent snapshot's sha256 is unchanged after three captures"

# The images boot with the change: each shows the marker of the boot it captured.
boot 0 "$ami1" --user-data "$WORK/read.sh" --success 'ami-run-tiny: ready' --timeout 240
contains "$OUT" "prev root=[$m1] data=[$m1]"
run 0 run "$ami1" --dry-run
[ "$(jq -r .NvramSource <<<"$OUT")" = "$nv" ] || fail "a launch of image 1 does not start from its NVRAM"
boot 0 "$ami2" --user-data "$WORK/read.sh" --success 'ami-run-tiny: ready' --timeout 240
contains "$OUT" "prev root=[$m2] data=[$m2]"
ok "the new images boot (image 1 from its captured NVRAM) and show the change of the boot each captured"

# Delete the parents: the tiny image and its snapshot, then image 1 and its snapshots.
run 0 deregister-image --image-id "$ami" --delete-associated-snapshots
run 0 deregister-image --image-id "$ami1" --delete-associated-snapshots
run 2 describe-snapshots --snapshot-ids "$base_snap"
[ -e "$STORE/snapshots/$base_snap" ] || fail "the base layer file went while image 2 builds on it"
[ "$(sha256sum <"$STORE/snapshots/$base_snap")" = "$base_sum" ] || fail "the base layer changed"
boot 0 "$ami2" --user-data "$WORK/read.sh" --success 'ami-run-tiny: ready' --timeout 240
contains "$OUT" "prev root=[$m2] data=[$m2]"
ok "parent snapshots deleted (images deregistered first): the child image still boots, chain verified"
