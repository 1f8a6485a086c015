#!/usr/bin/env bash
# The block device mapping, as the guest sees it: a root overlay, a data volume from a
# second snapshot, a blank volume, an instance-store disk (ephemeral0) and a NoDevice
# entry that must be absent — each at its VolumeSize, each with EC2's disk serial (vol…
# without the dash for EBS, AWS… for the instance store) — on NVMe (a Nitro type's
# default), on virtio (--disk-bus), and on a Xen-era type's virtio; after each run the DeleteOnTermination volumes are deleted and the others kept.
source "$(dirname "$0")/lib.sh"

root_ami=$(tiny_ami x86_64 bios ok)
root_snap=$("$AMI_RUN" describe-images --image-ids "$root_ami" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
make_disk "$WORK/data.raw" 1M "data volume"
data_snap=$("$AMI_RUN" import-snapshot --disk-image "$WORK/data.raw" | jq -r .SnapshotId)
bdm=$(jq -n -c --arg r "$root_snap" --arg d "$data_snap" '[
    {DeviceName: "/dev/xvda", Ebs: {SnapshotId: $r, VolumeSize: 1}},
    {DeviceName: "/dev/sdf", Ebs: {SnapshotId: $d, VolumeSize: 2}},
    {DeviceName: "/dev/sdg", Ebs: {VolumeSize: 3, DeleteOnTermination: false}},
    {DeviceName: "/dev/sdb", VirtualName: "ephemeral0"},
    {DeviceName: "/dev/sdh", NoDevice: ""}]')
run 0 register-image --name multi-disk --root-device-name /dev/xvda --block-device-mappings "$bdm"
ami=$(jq -r .ImageId <<<"$OUT")
before=$(snapshot_sums)

# check_disks PREFIX: the guest's disks, in plan order, against describe-instances.
check_disks() {
    local prefix=$1 i=0 vol size
    local -a sizes=(1 4 2 3) # root, ephemeral0 (sdb), sdf, sdg: root first, then by name
    local kind serial want
    while read -r vol kind serial; do
        size=$((sizes[i] * 1073741824))
        # EC2's serials: an EBS volume's id without the dash; instance store AWS + 17 hex.
        if [ "$kind" = ephemeral ]; then
            want=$(tr a-f A-F <<<"AWS${vol#vol-}")
        else
            want=${vol/-/}
        fi
        [ "$serial" = "$want" ] || fail "$vol ($kind): recorded serial '$serial', not '$want'"
        if [ "$prefix" = nvme ]; then
            contains "$OUT" "disk nvme${i}n1 size=$size serial=$serial model=QEMU_NVMe_Ctrl"
        else
            contains "$OUT" "disk vd$(printf "\\x$(printf %x $((97 + i)))") size=$size serial=$serial"
        fi
        i=$((i + 1))
    done < <("$AMI_RUN" describe-instances --instance-ids "$IID" |
        jq -r '.Reservations[0].Instances[0].AmiRun.Disks[] | "\(.VolumeId) \(.Kind) \(.Serial)"')
    [ "$i" = 4 ] || fail "expected 4 volumes, the record has $i"
    [ "$(grep -c 'ami-run-tiny: disk ' <<<"$OUT")" = 5 ] || fail "unexpected disks: $OUT" # + the seed
}

# check_terminated COUNT: after the run, each of its COUNT volumes with DeleteOnTermination
# true is gone (file and describe-volumes); each with false was moved to volumes/ and is
# listed as available.
check_terminated() {
    local want=$1 vols id path dot n=0
    vols=$("$AMI_RUN" describe-volumes)
    while read -r id path dot; do
        n=$((n + 1))
        [ ! -e "$path" ] || fail "$id (DeleteOnTermination=$dot) is still at $path"
        if [ "$dot" = true ]; then
            ! jq -e --arg v "$id" 'any(.Volumes[]; .VolumeId == $v)' <<<"$vols" >/dev/null ||
                fail "deleted volume $id still listed: $vols"
        else
            [ -e "$STORE/volumes/$id.qcow2" ] || fail "kept volume $id has no file in volumes/"
            [ "$(jq -r --arg v "$id" '.Volumes[] | select(.VolumeId == $v) | .State' <<<"$vols")" = available ] ||
                fail "kept volume $id is not listed as available: $vols"
        fi
    done < <("$AMI_RUN" describe-instances --instance-ids "$IID" | jq -r \
        '.Reservations[0].Instances[0].AmiRun.Disks[] | "\(.VolumeId) \(.Path) \(.DeleteOnTermination)"')
    [ "$n" = "$want" ] || fail "expected $want volumes in the record, found $n"
    [ -z "$(ls "$STORE/instances/$IID" | grep '^vol-')" ] || fail "volumes left in instances/$IID"
}

# m5d is a Nitro type: NVMe by default, one controller per volume, as on EC2.
boot 0 "$ami" --instance-type m5d.large --memory 1024 --ephemeral-size 4 \
    --success 'ami-run-tiny: ready' --timeout 120
check_disks nvme
[ "$(jq -r .Reservations[0].Instances[0].AmiRun.DiskBus <<<"$("$AMI_RUN" describe-instances \
    --instance-ids "$IID")")" = nvme ] || fail "the record does not say DiskBus nvme"
check_terminated 4
ok "nvme (m5d.large's default): root, ephemeral0, snapshot volume, blank volume at their sizes, serials vol…/AWS… as on EC2; NoDevice absent"

boot 0 "$ami" --instance-type m5d.large --memory 1024 --ephemeral-size 4 --disk-bus virtio \
    --success 'ami-run-tiny: ready' --timeout 120
check_disks virtio
check_terminated 4
ok "--disk-bus virtio overrides the Nitro default, same disks and serials"

# A Xen-era type keeps virtio (and Xen's SMBIOS); types without instance store skip
# ephemeral disks, as EC2 does, and say so.
boot 0 "$ami" --instance-type t2.micro --success 'ami-run-tiny: ready' --timeout 120
contains "$ERR" "ephemeral0"
[ "$(grep -c 'ami-run-tiny: disk ' <<<"$OUT")" = 4 ] || fail "ephemeral0 not skipped: $OUT"
contains "$OUT" "ami-run-tiny: disk vda size=1073741824 serial=vol"
contains "$OUT" "ami-run-tiny: dmi sys_vendor=Xen product_name=HVM_domU product_uuid=ec2"
check_terminated 3
ok "t2.micro (Xen): virtio by default, Xen SMBIOS with an ec2 UUID; no instance store: ephemeral0 skipped with a notice"

run 0 describe-volumes
[ "$(jq '.Volumes | length' <<<"$OUT")" = 3 ] &&
    [ "$(jq '[.Volumes[] | select(.State == "available" and .Size == 3)] | length' <<<"$OUT")" = 3 ] ||
    fail "expected exactly the three DeleteOnTermination=false volumes: $OUT"
[ "$(snapshot_sums)" = "$before" ] || fail "a snapshot changed"
ok "after each run: DeleteOnTermination=true volumes deleted, false ones kept and listed; snapshots unchanged"
echo "$PASSED passed, 0 failed"
