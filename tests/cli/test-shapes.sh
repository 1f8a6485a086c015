#!/usr/bin/env bash
# describe-images and describe-snapshots print exactly EC2's Image and Snapshot shapes:
# every member, recursively, checked against botocore's model by tests/cli/shape-oracle.py
# (the AWS CLI's own copy of the model); ami-run's AmiRun and members a --from-json file
# brought show only with --debug; images registered without an OwnerId are this
# account's (--owners self), docs/images.md.
source "$(dirname "$0")/lib.sh"
need /usr/bin/python3
/usr/bin/python3 -c 'import awscli.botocore' 2>/dev/null ||
    skip "the AWS CLI's botocore is missing (Debian package awscli; scripts/install-deps)"
oracle=$(dirname "$0")/shape-oracle.py
make_disk "$WORK/root.raw" 1G root

run 0 import-image --disk-image "$WORK/root.raw" --name shapes-import
ami=$(jq -r .ImageId <<<"$OUT")
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name shapes-flags --architecture arm64 --root-device-name /dev/xvda \
    --boot-mode uefi --tpm-support v2.0 --imds-support v2.0 --ena-support \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}},{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"}]" \
    --tag-specifications '[{"ResourceType":"image","Tags":[{"Key":"Name","Value":"x"}]}]'
# Saved from EC2 (or made by hand): no OwnerId, members EC2's model does not have, a
# member of the wrong kind.
jq -n --arg snap "$snap" '{Images: [{ImageId: "ami-0123456789abcdef0", Name: "saved-no-owner",
    Architecture: "x86_64", RootDeviceName: "/dev/xvda", RootDeviceType: "ebs",
    VirtualizationType: "hvm", State: "available", Public: false,
    BlockDeviceMappings: [{DeviceName: "/dev/xvda", Ebs: {SnapshotId: $snap, VolumeSize: 1,
        FutureEbsMember: 1}, FutureBdmMember: "x"}],
    StateReason: {Code: "x", Message: "y", Extra: true},
    LastLaunchedTime: "2026-01-01T00:00:00Z",
    SomeFutureMember: {KeepMe: true}, Name2: "stray"}]}' >"$WORK/saved.json"
run 0 register-image --from-json "$WORK/saved.json"
run 0 modify-image-attribute --image-id "$ami" --launch-permission 'Add=[{Group=all},{UserId=123456789012}]'
run 0 --region eu-west-1 copy-image --source-region us-east-1 --source-image-id "$ami" --name shapes-copy
copy=$(jq -r .ImageId <<<"$OUT")

for region in us-east-1 eu-west-1; do
    run 0 --region "$region" describe-images
    [ "$(jq '.Images | length' <<<"$OUT")" -ge 1 ] || fail "$region: no images: $OUT"
    /usr/bin/python3 "$oracle" DescribeImagesResult <<<"$OUT" || fail "$region: describe-images is not EC2's Image shape"
    run 0 --region "$region" describe-snapshots
    [ "$(jq '.Snapshots | length' <<<"$OUT")" -ge 1 ] || fail "$region: no snapshots: $OUT"
    /usr/bin/python3 "$oracle" DescribeSnapshotsResult <<<"$OUT" || fail "$region: describe-snapshots is not EC2's Snapshot shape"
done
ok "describe-images and describe-snapshots (imported, flags, saved, public, copied) print only EC2's members"

# The oracle can fail: --debug output has AmiRun, and the saved image's strays.
run 0 --debug describe-images
! /usr/bin/python3 "$oracle" DescribeImagesResult <<<"$OUT" >"$WORK/stray" || fail "the oracle accepted AmiRun"
grep -q 'AmiRun: not a member of Image' "$WORK/stray" || fail "AmiRun not reported: $(cat "$WORK/stray")"
grep -q 'SomeFutureMember: not a member of Image' "$WORK/stray" || fail "stray not reported"
grep -q 'Ebs.FutureEbsMember: not a member of EbsBlockDevice' "$WORK/stray" || fail "nested stray not reported"
[ "$(jq -r '.Images[] | select(.ImageId == "ami-0123456789abcdef0") | .SomeFutureMember.KeepMe' <<<"$OUT")" = true ] ||
    fail "--debug does not show the saved member"
run 0 --debug describe-snapshots
! /usr/bin/python3 "$oracle" DescribeSnapshotsResult <<<"$OUT" >/dev/null || fail "the oracle accepted a snapshot's AmiRun"
[ "$(jq -r '.Snapshots[0].AmiRun.Format' <<<"$OUT")" = qcow2 ] || fail "--debug lacks AmiRun: $OUT"
ok "--debug shows AmiRun and the saved strays, which the oracle refuses"

run 0 describe-images --image-ids ami-0123456789abcdef0
[ "$(jq -c '.Images[0] | [.OwnerId, .StateReason, .BlockDeviceMappings[0], .LastLaunchedTime]' <<<"$OUT")" = \
  "[\"000000000000\",{\"Code\":\"x\",\"Message\":\"y\"},{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\",\"VolumeSize\":1}},\"2026-01-01T00:00:00Z\"]" ] ||
    fail "projection of the saved image: $OUT"
run 0 describe-images --owners self --query 'Images[].Name' --output text
for n in shapes-import shapes-flags saved-no-owner; do contains "$OUT" "$n"; done
run 0 describe-images --owners 137112412989
[ "$(jq '.Images | length' <<<"$OUT")" = 0 ] || fail "--owners another account: $OUT"
ok "an image registered without OwnerId is this account's: --owners self finds it"
echo "$PASSED passed, 0 failed"
