#!/usr/bin/env bash
# export-image round trip (docs/export.md): the tiny BIOS image exported as RAW, VMDK and
# VHD, each imported again with import-image; every re-imported snapshot holds the very
# disk of the original (qemu-img compare, and the same sha256), and the re-imported
# VMDK boots to its marker.  One boot.
source "$(dirname "$0")/lib.sh"

ami=$(tiny_ami x86_64 bios ok)
orig_snap=$("$AMI_RUN" describe-images --image-ids "$ami" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
orig_sha=$(jq -r .AmiRun.Sha256 "$STORE/snapshots/$orig_snap.json")
mkdir "$WORK/bucket"
cd "$WORK"

declare -A qemu_fmt=([RAW]=raw [VMDK]=vmdk [VHD]=vpc)
declare -A ext=([RAW]=raw [VMDK]=vmdk [VHD]=vhd)
declare -A reimported
for f in RAW VMDK VHD; do
    run 0 export-image --image-id "$ami" --disk-image-format "$f" \
        --s3-export-location S3Bucket=bucket,S3Prefix=tiny/
    file=$WORK/bucket/tiny/$(jq -r .ExportImageTaskId <<<"$OUT").${ext[$f]}
    [ -f "$file" ] || fail "$f: no $file"
    [ "$(qemu-img info --output=json "$file" | jq -r .format)" = "${qemu_fmt[$f]}" ] ||
        fail "$f: $file is not ${qemu_fmt[$f]}"
    run 0 import-image --disk-image "$file" --name "tiny-from-${ext[$f]}"
    snap=$(jq -r .SnapshotId <<<"$OUT")
    reimported[$f]=$(jq -r .ImageId <<<"$OUT")
    qemu-img compare -q -f qcow2 -F qcow2 "$STORE/snapshots/$orig_snap" "$STORE/snapshots/$snap" ||
        fail "$f: the re-imported snapshot differs from the original"
    qemu-img compare -q -f qcow2 -F "${qemu_fmt[$f]}" "$STORE/snapshots/$orig_snap" "$file" ||
        fail "$f: the exported file differs from the original snapshot"
    [ "$(jq -r .AmiRun.Sha256 "$STORE/snapshots/$snap.json")" = "$orig_sha" ] ||
        fail "$f: the re-imported qcow2 is not the original's (sha256)"
done
[ "$(sha256sum <"$STORE/snapshots/$orig_snap" | cut -d' ' -f1)" = "$orig_sha" ] ||
    fail "the original snapshot changed"
ok "RAW, VMDK and VHD exported and imported again: the original disk (qemu-img compare, sha256)"

boot 0 "${reimported[VMDK]}" --success 'ami-run-tiny: ready' --timeout 120
contains "$OUT" "ami-run-tiny: firmware bios"
contains "$ERR" "$IID: success after"
assert_clean "$IID"
ok "the AMI imported from the exported VMDK boots to its ready marker"
echo "$PASSED passed, 0 failed"
