#!/usr/bin/env bash
# create-image without a boot: a stopped instance (its record and disks made here as
# ami-run makes them) is captured by the detached worker into incremental layers; the
# parent snapshot is untouched; deleting a parent keeps the child whole (reference
# counting); refusals of bad input leave the store byte-identical; a worker that died
# leaves a failed image, not a pending one.  Booting captured images: tests/integration/
# test-create-image.sh.
source "$(dirname "$0")/lib.sh"
need qemu-io

make_disk "$WORK/base.raw" 64M base
run 0 register-image --name base-image --architecture x86_64 --root-device-name /dev/xvda \
    --boot-mode uefi --ena-support --imds-support v2.0 --tpm-support v2.0 \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$(
        "$AMI_RUN" import-snapshot --disk-image "$WORK/base.raw" | jq -r .SnapshotId)\"}}]"
base_ami=$(jq -r .ImageId <<<"$OUT")
base_snap=$("$AMI_RUN" describe-images --image-ids "$base_ami" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
base_sum=$(sha256sum <"$STORE/snapshots/$base_snap")

# fake_instance IID AMI SNAP: a stopped instance of AMI as ami-run leaves one: an overlay
# over SNAP's file with 1 MiB written at 8 MiB, a blank 1 GiB data volume with a marker,
# and an NVRAM file.
fake_instance() {
    local iid=$1 ami=$2 snap=$3 dir=$STORE/instances/$1
    mkdir -p "$dir"
    qemu-img create -q -f qcow2 -F qcow2 -b "$STORE/snapshots/$snap" "$dir/vol-0aaaaaaaaaaaaaaa1.qcow2" 1G
    qemu-io -f qcow2 -c "write -P 0x5a 8M 1M" "$dir/vol-0aaaaaaaaaaaaaaa1.qcow2" >/dev/null
    qemu-img create -q -f qcow2 "$dir/vol-0aaaaaaaaaaaaaaa2.qcow2" 1G
    qemu-io -f qcow2 -c "write -P 0x33 0 64k" "$dir/vol-0aaaaaaaaaaaaaaa2.qcow2" >/dev/null
    printf 'nvram of %s' "$iid" >"$dir/nvram.fd"
    jq -n --arg iid "$iid" --arg ami "$ami" --arg snap "$snap" --arg dir "$dir" '{
        InstanceId: $iid, ImageId: $ami, InstanceType: "t3.micro", Architecture: "x86_64",
        BootMode: "uefi", RootDeviceName: "/dev/xvda", RootDeviceType: "ebs",
        VirtualizationType: "hvm", State: {Code: 80, Name: "stopped"},
        LaunchTime: "2026-01-01T00:00:00.000Z",
        BlockDeviceMappings: [
            {DeviceName: "/dev/xvda", Ebs: {VolumeId: "vol-0aaaaaaaaaaaaaaa1"}},
            {DeviceName: "/dev/sdf", Ebs: {VolumeId: "vol-0aaaaaaaaaaaaaaa2"}}],
        AmiRun: {Directory: $dir, Nvram: ($dir + "/nvram.fd"), Disks: [
            {VolumeId: "vol-0aaaaaaaaaaaaaaa1", Path: ($dir + "/vol-0aaaaaaaaaaaaaaa1.qcow2"),
             Kind: "overlay", DeleteOnTermination: true, SizeGiB: 1, SnapshotId: $snap},
            {VolumeId: "vol-0aaaaaaaaaaaaaaa2", Path: ($dir + "/vol-0aaaaaaaaaaaaaaa2.qcow2"),
             Kind: "blank", DeleteOnTermination: false, SizeGiB: 1}]}}' >"$dir/instance.json"
}

# wait_available AMI: the image leaves pending (the waiter, as a script would).
wait_available() {
    run 0 wait image-available --image-ids "$1"
    run 0 describe-images --image-ids "$1"
    IMG=$(jq '.Images[0]' <<<"$OUT")
}

fake_instance i-0aaaaaaaaaaaaaaa1 "$base_ami" "$base_snap"
run 0 create-image --instance-id i-0aaaaaaaaaaaaaaa1 --name "golden (1)" --description "first" \
    --tag-specifications 'ResourceType=image,Tags=[{Key=role,Value=web}]' \
    'ResourceType=snapshot,Tags=[{Key=from,Value=ci}]' --query ImageId --output text
ami1=$OUT
[[ "$ami1" =~ ^ami-[0-9a-f]{17}$ ]] || fail "create-image printed '$ami1', not an image id"
wait_available "$ami1"
[ "$(jq -r '[.State, .Name, .Description, .SourceInstanceId, .OwnerId, .BootMode, .ImdsSupport,
             .TpmSupport, .EnaSupport, .PlatformDetails, .UsageOperation, .RootDeviceName,
             .Architecture, .VirtualizationType, .Hypervisor, (.Tags | tostring)] | join(" ")' <<<"$IMG")" = \
  'available golden (1) first i-0aaaaaaaaaaaaaaa1 000000000000 uefi v2.0 v2.0 true Linux/UNIX RunInstances /dev/xvda x86_64 hvm xen [{"Key":"role","Value":"web"}]' ] ||
    fail "the new image does not carry what EC2 carries: $IMG"
root1=$(jq -r '.BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$IMG")
data1=$(jq -r '.BlockDeviceMappings[1].Ebs.SnapshotId' <<<"$IMG")
[ "$(jq -r '[.BlockDeviceMappings[] | "\(.DeviceName) \(.Ebs.VolumeSize) \(.Ebs.VolumeType) \(.Ebs.DeleteOnTermination)"] | join(",")' <<<"$IMG")" = \
  "/dev/xvda 1 gp2 true,/dev/sdf 1 gp3 false" ] || fail "mappings: $IMG"
ok "create-image of a stopped instance: {ImageId} at once, then available with EC2's members"

run 0 describe-snapshots --snapshot-ids "$root1"
rec=$(jq '.Snapshots[0]' <<<"$OUT")
[ "$(jq -r '"\(.Description)|\(.VolumeId)|\(.State)|\(.Tags | tostring)"' <<<"$rec")" = \
  "Created by CreateImage(i-0aaaaaaaaaaaaaaa1) for $ami1|vol-0aaaaaaaaaaaaaaa1|completed|[{\"Key\":\"from\",\"Value\":\"ci\"}]" ] ||
    fail "snapshot record: $rec"
[ "$(jq -r .AmiRun.Parent "$STORE/snapshots/$root1.json")" = "$base_snap" ] || fail "no AmiRun.Parent"
[ "$(jq -r '.AmiRun.Parent // "none"' "$STORE/snapshots/$data1.json")" = none ] || fail "blank volume has a parent"
info=$(qemu-img info --output=json -f qcow2 "$STORE/snapshots/$root1")
[ "$(jq -r '"\(.["backing-filename"]) \(.["backing-filename-format"])"' <<<"$info")" = "$base_snap qcow2" ] ||
    fail "layer's backing is not '$base_snap' (qcow2): $info"
[ "$(qemu-img info --output=json -f qcow2 "$STORE/snapshots/$data1" | jq -r '.["backing-filename"] // "none"')" = none ] ||
    fail "the blank volume's snapshot is not a full disk"
[ "$(stat -c %a "$STORE/snapshots/$root1")" = 400 ] && [ "$(stat -c %a "$STORE/snapshots/$data1")" = 400 ] ||
    fail "layers are not 0400"
[ "$(sha256sum <"$STORE/snapshots/$root1" | cut -d' ' -f1)" = "$(jq -r .AmiRun.Sha256 "$STORE/snapshots/$root1.json")" ] ||
    fail "layer sha256 not recorded"
used=$(du -k "$STORE/snapshots/$root1" | cut -f1)
[ "$used" -lt 3072 ] || fail "the layer of a 1 MiB change takes $used KiB"
qemu-io -r -f qcow2 -c "read -P 0x5a 8M 1M" -c "read -P 0x62 0 1" "$STORE/snapshots/$root1" | grep -c "^read " | grep -qx 2 ||
    fail "the layer does not hold the instance's write over its parent's data"
[ "$(sha256sum <"$STORE/snapshots/$base_snap")" = "$base_sum" ] || fail "the parent snapshot changed"
nv=$(jq -r .AmiRun.Nvram.File "$STORE/images/$ami1.json")
[ "$(cat "$STORE/$nv")" = "nvram of i-0aaaaaaaaaaaaaaa1" ] && [ "$(stat -c %a "$STORE/$nv")" = 400 ] ||
    fail "NVRAM not kept with the image ($nv)"
ok "layers: only the changed clusters (${used} KiB), backing '$base_snap' pinned qcow2, 0400, own sha256; parent unchanged; NVRAM kept"

# The plan of a launch of the new image: the whole chain, and the captured NVRAM.
run 0 run "$ami1" --dry-run
[ "$(jq -r '.Disks[0].BackingChain[0]' <<<"$OUT")" = "$STORE/snapshots/$base_snap" ] ||
    fail "the plan lacks the chain: $OUT"
[ "$(jq -r .NvramSource <<<"$OUT")" = "$nv" ] || fail "the plan does not start from the captured NVRAM: $OUT"
run 0 run "$ami1" --dry-run --output xml --disk-bus virtio
grep -qF "<source file='$STORE/snapshots/$base_snap'/>" <<<"$OUT" || fail "domain XML lacks the parent layer"
ok "a launch of the image: the chain in plan and domain XML, NVRAM from the image"

# A second generation: an instance of ami1 captured again builds on root1.
fake_instance i-0aaaaaaaaaaaaaaa2 "$ami1" "$root1"
run 0 create-image --instance-id i-0aaaaaaaaaaaaaaa2 --name "golden (2)" \
    --block-device-mappings '[{"DeviceName":"/dev/sdf","NoDevice":""},{"DeviceName":"/dev/sdg","Ebs":{"VolumeSize":5}}]'
ami2=$(jq -r .ImageId <<<"$OUT")
wait_available "$ami2"
root2=$(jq -r '.BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$IMG")
[ "$(jq -r '[.BlockDeviceMappings[] | "\(.DeviceName) \(.Ebs.SnapshotId // "blank")"] | join(",")' <<<"$IMG")" = \
  "/dev/xvda $root2,/dev/sdg blank" ] || fail "NoDevice / new volume not applied: $IMG"
[ "$(jq -c '[.AmiRun.Chain[].SnapshotId]' "$STORE/snapshots/$root2.json")" = "[\"$root1\",\"$base_snap\"]" ] ||
    fail "chain of the second layer: $(cat "$STORE/snapshots/$root2.json")"
ok "a capture of an instance of a captured image: layer on layer, chain recorded whole"

# Deleting parents (after their images): the files stay while a chain needs them.
run 2 delete-snapshot --snapshot-id "$root1"
contains "$ERR" "in use by $ami1"
run 0 deregister-image --image-id "$base_ami" --delete-associated-snapshots
[ ! -e "$STORE/snapshots/$base_snap.json" ] && [ -e "$STORE/snapshots/$base_snap" ] ||
    fail "the base record should go and its file stay"
run 0 deregister-image --image-id "$ami1" --delete-associated-snapshots
[ ! -e "$STORE/$nv" ] || fail "the NVRAM of a deregistered image stayed"
[ -e "$STORE/snapshots/$root1" ] && [ -e "$STORE/snapshots/$base_snap" ] && [ ! -e "$STORE/snapshots/$data1" ] ||
    fail "layers under root2 must stay, the unshared data layer go: $(ls "$STORE/snapshots")"
run 0 describe-snapshots
[ "$(jq -r '[.Snapshots[].SnapshotId] | join(" ")' <<<"$OUT")" = "$root2" ] || fail "listed: $OUT"
run 0 run "$ami2" --dry-run
[ "$(jq -r '.Disks[0].BackingChain | join(" ")' <<<"$OUT")" = "$STORE/snapshots/$root1 $STORE/snapshots/$base_snap" ] ||
    fail "the child's chain after deleting its parents: $OUT"
qemu-img info --backing-chain -f qcow2 "$STORE/snapshots/$root2" >/dev/null || fail "the child's chain is broken"
[ "$(sha256sum <"$STORE/snapshots/$base_snap")" = "$base_sum" ] || fail "the base layer changed"
run 0 deregister-image --image-id "$ami2" --delete-associated-snapshots
left=$(ls "$STORE/snapshots" "$STORE/nvram" | grep -c snap- || true)
[ "$left" = 0 ] || fail "layer files left after the last record went: $(ls "$STORE/snapshots")"
ok "delete a parent: its file stays under the child; the last record takes every layer with it"

# Refusals: one line, exit 2, the store byte-identical.
snap3=$("$AMI_RUN" import-snapshot --disk-image "$WORK/base.raw" | jq -r .SnapshotId)
fake_instance i-0aaaaaaaaaaaaaaa3 ami-0ccccccccccccccc1 "$snap3"
run 0 create-image --instance-id i-0aaaaaaaaaaaaaaa3 --name "taken name"
wait_available "$(jq -r .ImageId <<<"$OUT")"
before=$(store_digest)
bad() {
    run 2 create-image "$@"
    one_line_error
    [ "$(store_digest)" = "$before" ] || fail "store changed by: create-image $*"
}
I=(--instance-id i-0aaaaaaaaaaaaaaa3)
bad "${I[@]}" --name ab
contains "$ERR" "3 to 128 characters"
bad "${I[@]}" --name "$(printf 'x%.0s' $(seq 129))"
bad "${I[@]}" --name 'bad*name'
contains "$ERR" "has '*' at character 4"
bad "${I[@]}" --name ok-name --tag-specifications 'ResourceType=instance,Tags=[{Key=a,Value=b}]'
contains "$ERR" "ResourceType 'instance' is not image or snapshot"
bad "${I[@]}" --name ok-name --tag-specifications 'ResourceType=image,Tags=[{Key=aws:x,Value=b}]'
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":9}}]'
contains "$ERR" "only DeleteOnTermination can change, not VolumeSize"
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/xvda","NoDevice":""}]'
contains "$ERR" "root device /dev/xvda cannot be omitted"
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/sdh","Ebs":{"VolumeSize":1,"Encrypted":true}}]'
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/sdh","Ebs":{"KmsKeyId":"k","VolumeSize":1}}]'
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/sdh","Ebs":{}}]'
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/sdh","Ebs":{"SnapshotId":"snap-0000000000000dead"}}]'
bad "${I[@]}" --name ok-name --block-device-mappings '[{"DeviceName":"/dev/sdh","VirtualName":"ephemeral0"},{"DeviceName":"sdh","NoDevice":""}]'
contains "$ERR" "mapped twice"
bad "${I[@]}" --name ok-name --description "$(printf 'd%.0s' $(seq 256))"
bad --instance-id i-0aaaaaaaaaaaaaaa9 --name ok-name
bad --instance-id bogus --name ok-name
bad --name ok-name
bad "${I[@]}"
bad "${I[@]}" --name "taken name"
contains "$ERR" "InvalidAMIName.Duplicate"
bad "${I[@]}" --name ok-name --bogus
bad "${I[@]}" --name ok-name --sysprep=ssh-hostkeys,no-such-op
contains "$ERR" "no-such-op"
jq '.State = {Code: 48, Name: "terminated"}' "$STORE/instances/i-0aaaaaaaaaaaaaaa3/instance.json" >"$WORK/t.json"
cp "$STORE/instances/i-0aaaaaaaaaaaaaaa3/instance.json" "$WORK/stopped.json"
cp "$WORK/t.json" "$STORE/instances/i-0aaaaaaaaaaaaaaa3/instance.json"
before=$(store_digest)
bad "${I[@]}" --name ok-name
contains "$ERR" "IncorrectInstanceState"
cp "$WORK/stopped.json" "$STORE/instances/i-0aaaaaaaaaaaaaaa3/instance.json"
before=$(store_digest)
run 0 create-image "${I[@]}" --name ok-name --dry-run
contains "$ERR" "DryRunOperation"
[ "$(store_digest)" = "$before" ] || fail "--dry-run changed the store"
ok "refusals (name, tags, mappings, description, instance, state): exit 2, one line, store byte-identical; --dry-run writes nothing"

# --sysprep=list: the operations, with nothing else needed.
run 0 create-image --sysprep=list
for op in ssh-hostkeys authorized-keys shell-history aws-credentials cloud-init tmp-files logs machine-id dhcp-leases net-config fstrim; do
    grep -q "^$op  *\*" <<<"$OUT" || fail "--sysprep=list does not show '$op' as a default: $OUT"
done
ok "--sysprep=list shows the operations; a bad --sysprep is refused before anything is made"

# A worker that died: the next describe-images marks the image failed.
jq -n '{ImageId: "ami-0bbbbbbbbbbbbbbb1", Name: "orphan", State: "pending",
        BlockDeviceMappings: [], AmiRun: {Region: "us-east-1", CreateImage: {
        InstanceId: "i-0aaaaaaaaaaaaaaa3", Worker: {Pid: 2147483000, Start: "1"}}}}' \
    >"$STORE/images/ami-0bbbbbbbbbbbbbbb1.json"
run 0 describe-images --image-ids ami-0bbbbbbbbbbbbbbb1
[ "$(jq -r '.Images[0] | "\(.State) \(.StateReason.Code)"' <<<"$OUT")" = "failed Server.InternalError" ] ||
    fail "a dead worker's image: $OUT"
run 255 wait image-available --image-ids ami-0bbbbbbbbbbbbbbb1
ok "a create-image worker that died: the image is failed, and wait image-available fails"

# A capture that fails (the instance's overlay vanished): failed with the reason, and
# nothing half-made: no layer file, no NVRAM, no work directory left.
fake_instance i-0aaaaaaaaaaaaaaa4 ami-0ccccccccccccccc1 "$snap3"
rm "$STORE/instances/i-0aaaaaaaaaaaaaaa4/vol-0aaaaaaaaaaaaaaa2.qcow2"
files_before=$(ls "$STORE/snapshots" "$STORE/nvram" | sort)
run 0 create-image --instance-id i-0aaaaaaaaaaaaaaa4 --name "doomed"
doomed=$(jq -r .ImageId <<<"$OUT")
run 255 wait image-available --image-ids "$doomed"
run 0 describe-images --image-ids "$doomed"
[ "$(jq -r '.Images[0] | "\(.State) \(.StateReason.Code)"' <<<"$OUT")" = "failed Client.CreateImageFailed" ] ||
    fail "a failed capture: $OUT"
contains "$(jq -r '.Images[0].StateReason.Message' <<<"$OUT")" "vol-0aaaaaaaaaaaaaaa2.qcow2"
[ "$(ls "$STORE/snapshots" "$STORE/nvram" | sort)" = "$files_before" ] || fail "a failed capture left files"
[ -z "$(ls "$STORE/tmp")" ] || fail "a failed capture left a work directory: $(ls "$STORE/tmp")"
ok "a capture that fails: the image is failed with the reason; no layer, NVRAM or work directory is left"
