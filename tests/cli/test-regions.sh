#!/usr/bin/env bash
# Regions (docs/store.md "Regions") and copy-image (docs/images.md): records carry the
# command's region, each region lists its own, an id of another region is EC2's
# NotFound; copy-image makes new ids over hard links of the same read-only files.
source "$(dirname "$0")/lib.sh"
unset AWS_REGION AWS_DEFAULT_REGION
make_disk "$WORK/root.raw" 1G root

count() { jq "$1 | length" <<<"$OUT"; }

# --- every record made carries its region; none means us-east-1 ---------------------
run 0 import-image --disk-image "$WORK/root.raw" --name golden
ami=$(jq -r .ImageId <<<"$OUT")
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 run "$ami" --dry-run
[ "$(jq -r .AmiRun.Region "$STORE/images/$ami.json")/$(jq -r .AmiRun.Region "$STORE/snapshots/$snap.json")" = us-east-1/us-east-1 ] ||
    fail "records lack AmiRun.Region"
AWS_REGION=ap-south-1 run 0 import-snapshot --disk-image "$WORK/root.raw" --description other
ap_snap=$(jq -r .SnapshotId <<<"$OUT")
[ "$ap_snap" != "$snap" ] || fail "the same disk imported in ap-south-1 returned us-east-1's id"
[ "$(jq -r .AmiRun.Region "$STORE/snapshots/$ap_snap.json")" = ap-south-1 ] || fail "AWS_REGION not recorded"
[ "$(stat -c %i "$STORE/snapshots/$ap_snap")" = "$(stat -c %i "$STORE/snapshots/$snap")" ] ||
    fail "the same content in another region is stored twice"
AWS_REGION=ap-south-1 refused 2 import-snapshot --disk-image "$WORK/root.raw" --snapshot-id "$snap"
contains "$ERR" "Snapshot '$snap' already exists in region 'us-east-1'"
# A record from before regions: us-east-1.
jq 'del(.AmiRun.Region)' "$STORE/images/$ami.json" >"$WORK/old.json" && cp "$WORK/old.json" "$STORE/images/$ami.json"
run 0 describe-images --image-ids "$ami"
ok "records carry AmiRun.Region (--region, AWS_REGION); none is us-east-1; one file for both regions"

# --- each region lists its own -------------------------------------------------------
run 0 --region eu-west-1 describe-images
[ "$(count .Images)" = 0 ] || fail "eu-west-1 sees us-east-1's image: $OUT"
run 0 --region eu-west-1 describe-snapshots
[ "$(count .Snapshots)" = 0 ] || fail "eu-west-1 sees snapshots: $OUT"
run 0 --region ap-south-1 describe-snapshots
[ "$(jq -r '[.Snapshots[].SnapshotId] | join(",")' <<<"$OUT")" = "$ap_snap" ] || fail "ap-south-1: $OUT"
run 0 describe-snapshots
[ "$(jq -r '[.Snapshots[].SnapshotId] | join(",")' <<<"$OUT")" = "$snap" ] || fail "us-east-1: $OUT"
ok "describe-images and describe-snapshots list the command's region only"

# --- an id of another region does not exist there ------------------------------------
refused 2 --region eu-west-1 describe-images --image-ids "$ami"
contains "$ERR" "InvalidAMIID.NotFound: Image '$ami' does not exist in region 'eu-west-1' (it is in 'us-east-1'"
refused 2 --region eu-west-1 run "$ami" --dry-run
contains "$ERR" "InvalidAMIID.NotFound"
refused 2 --region eu-west-1 describe-snapshots --snapshot-ids "$snap"
contains "$ERR" "InvalidSnapshot.NotFound: Snapshot '$snap' does not exist in region 'eu-west-1'"
refused 2 --region eu-west-1 delete-snapshot --snapshot-id "$snap"
refused 2 --region eu-west-1 deregister-image --image-id "$ami"
refused 2 --region eu-west-1 create-tags --resources "$ami" --tags Key=a,Value=b
refused 2 --region eu-west-1 describe-image-attribute --image-id "$ami" --attribute description
refused 2 --region eu-west-1 modify-image-attribute --image-id "$ami" --description Value=x
refused 2 --region eu-west-1 register-image --name cross --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
refused 2 --region 'eu west' describe-images
ok "an id of another region is EC2's NotFound (exit 2, one line, store unchanged); a bad region is refused"

# --- copy-image into eu-west-1 ---------------------------------------------------------
run 0 create-tags --resources "$ami" --tags Key=team,Value=a Key=aws:cloudformation:stack-name,Value=s
run 0 modify-image-attribute --image-id "$ami" --launch-permission 'Add=[{UserId=123456789012}]'
run 0 --region eu-west-1 copy-image --source-image-id "$ami" --source-region us-east-1 \
    --name golden --description "golden in eu" --copy-image-tags --encrypted --kms-key-id alias/x
copy=$(jq -r .ImageId <<<"$OUT")
[[ $copy == ami-* && $copy != "$ami" ]] || fail "copy-image: $OUT"
run 0 --region eu-west-1 describe-images
[ "$(jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT")" = "$copy" ] || fail "eu-west-1 lists: $OUT"
img=$(jq -c '.Images[0]' <<<"$OUT")
[ "$(jq -r '[.Name, .Description, .SourceImageId, .SourceImageRegion, .Public, .State] | join(" ")' <<<"$img")" = \
  "golden golden in eu $ami us-east-1 false available" ] || fail "the copy: $img"
[ "$(jq -c .Tags <<<"$img")" = '[{"Key":"team","Value":"a"}]' ] || fail "tags (aws: ones are not copied): $img"
csnap=$(jq -r '.BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$img")
[[ $csnap == snap-* && $csnap != "$snap" ]] || fail "the copy's snapshot id: $img"
[ "$(jq -r '.BlockDeviceMappings[0].Ebs | [.Encrypted, .KmsKeyId] | join(" ")' <<<"$img")" = "true alias/x" ] ||
    fail "--encrypted not recorded: $img"
run 0 --region eu-west-1 describe-image-attribute --image-id "$copy" --attribute launchPermission
[ "$(jq -c .LaunchPermissions <<<"$OUT")" = '[]' ] || fail "launch permissions were copied: $OUT"
run 0 --region eu-west-1 describe-snapshots
[ "$(jq -r '.Snapshots[0] | [.SnapshotId, .VolumeId] | join(" ")' <<<"$OUT")" = "$csnap vol-ffffffff" ] || fail "$OUT"
[[ $(jq -r '.Snapshots[0].Description' <<<"$OUT") =~ ^Copied\ for\ DestinationAmi\ $copy\ from\ SourceAmi\ $ami\ for\ SourceSnapshot\ $snap\.\ Task\ created\ on\ [0-9]{1,3}(,[0-9]{3})+\.$ ]] ||
    fail "snapshot description: $OUT"
[ "$(stat -c %i "$STORE/snapshots/$csnap")" = "$(stat -c %i "$STORE/snapshots/$snap")" ] ||
    fail "the copy's file is not a hard link of the source's"
[ "$(stat -c %a "$STORE/snapshots/$csnap")" = 400 ] || fail "the copy is not read-only"
[ "$(jq -c '.AmiRun | del(.Region)' "$STORE/snapshots/$csnap.json")" = "$(jq -c '.AmiRun | del(.Region)' "$STORE/snapshots/$snap.json")" ] ||
    fail "the copy's AmiRun (Sha256, Format, …) differs from the source's"
[ "$(jq -r .AmiRun.Region "$STORE/snapshots/$csnap.json")" = eu-west-1 ] || fail "the copy's snapshot region"
run 0 describe-images
[ "$(jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT")" = "$ami" ] || fail "us-east-1 lists: $OUT"
run 0 --region eu-west-1 run "$copy" --dry-run
[ "$(jq -r .Instance.Placement.AvailabilityZone <<<"$OUT")" = eu-west-1a ] || fail "the copy's run plan: $OUT"
ok "copy-image: a new AMI in eu-west-1 over hard links, SourceImageId/Region, user tags, no launch permissions"

# Without --copy-image-tags no tags; within one region; the token returns the same copy.
run 0 copy-image --source-image-id "$ami" --source-region us-east-1 --name golden-2 --client-token t1
same=$(jq -r .ImageId <<<"$OUT")
run 0 copy-image --source-image-id "$ami" --source-region us-east-1 --name golden-2 --client-token t1
[ "$(jq -r .ImageId <<<"$OUT")" = "$same" ] || fail "--client-token made a second copy"
run 0 describe-images --image-ids "$same"
[ "$(jq -c '.Images[0] | [.Tags, .SourceImageRegion, (.Description // null)]' <<<"$OUT")" = '[[],"us-east-1",null]' ] ||
    fail "same-region copy: $OUT"
ok "copy-image within a region; tags only with --copy-image-tags; --client-token is idempotent"

# The source goes, the copy stays whole (its own name of the same file).
run 0 deregister-image --image-id "$same" --delete-associated-snapshots
run 0 deregister-image --image-id "$ami" --delete-associated-snapshots
[ ! -e "$STORE/snapshots/$snap" ] || fail "the source snapshot is still there"
[ "$(sha256sum <"$STORE/snapshots/$csnap" | cut -d' ' -f1)" = "$(jq -r .AmiRun.Sha256 "$STORE/snapshots/$csnap.json")" ] ||
    fail "the copy's data changed"
run 0 --region eu-west-1 run "$copy" --dry-run
ok "deregistering the source (and its snapshots) leaves the copy whole"

# --- a captured UEFI image's variable store goes with the copy (AmiRun.Nvram, as ------
# create-image stores it): a hard link, and describe-image-attribute uefiData is it in base64.
run 0 --region eu-west-1 import-image --disk-image "$WORK/root.raw" --name uefi --boot-mode uefi
uefi=$(jq -r .ImageId <<<"$OUT")
mkdir -p "$STORE/nvram" && printf 'VARS\0\1\2' >"$STORE/nvram/$uefi.fd" && chmod 0400 "$STORE/nvram/$uefi.fd"
jq --arg f "nvram/$uefi.fd" '.AmiRun.Nvram = {File: $f, Sha256: "x"}' "$STORE/images/$uefi.json" >"$WORK/u.json"
cp "$WORK/u.json" "$STORE/images/$uefi.json"
run 0 copy-image --source-region eu-west-1 --source-image-id "$uefi" --name uefi-copy
ucopy=$(jq -r .ImageId <<<"$OUT")
[ "$(stat -c %i "$STORE/nvram/$ucopy.fd")" = "$(stat -c %i "$STORE/nvram/$uefi.fd")" ] ||
    fail "the copy's NVRAM is not a hard link of the source's"
run 0 describe-image-attribute --image-id "$ucopy" --attribute uefiData
[ "$(jq -r .UefiData.Value <<<"$OUT")" = "$(printf 'VARS\0\1\2' | base64)" ] || fail "uefiData: $OUT"
ok "copy-image takes a captured image's UEFI variable store along; uefiData shows it"

# --- instances: a stopped one planted in eu-west-1 (as run --region would record it) --
iid=i-0123456789abcdef0
mkdir -p "$STORE/instances/$iid"
jq -n --arg id "$iid" --arg dir "$STORE/instances/$iid" --arg ami "$copy" \
    '{InstanceId: $id, ImageId: $ami, State: {Code: 80, Name: "stopped"}, LaunchTime: "2026-01-01T00:00:00.000Z",
      AmiRun: {Region: "eu-west-1", OwnerPid: 0, Directory: $dir, Console: "\($dir)/console.log", Disks: []}}' \
    >"$STORE/instances/$iid/instance.json"
: >"$STORE/instances/$iid/console.log"
run 0 describe-instances
[ "$(count .Reservations)" = 0 ] || fail "us-east-1 lists eu-west-1's instance: $OUT"
run 0 --region eu-west-1 describe-instances
[ "$(jq -r '.Reservations[0].Instances[0].InstanceId' <<<"$OUT")" = "$iid" ] || fail "eu-west-1: $OUT"
refused 2 describe-instances --instance-ids "$iid"
contains "$ERR" "InvalidInstanceID.NotFound: Instance '$iid' does not exist in region 'us-east-1'"
refused 2 get-console-output --instance-id "$iid"
refused 2 start-instances --instance-ids "$iid"
run 0 --region eu-west-1 get-console-output --instance-id "$iid"
ok "instances: listed and found in their own region only"

# --- refusals: one line, exit 2, nothing written ---------------------------------------
run 0 --region eu-west-1 copy-image --source-image-id "$copy" --source-region eu-west-1 --name back --dry-run
contains "$ERR" DryRunOperation
refused 2 copy-image --source-region eu-west-1 --name xyz
refused 2 copy-image --source-image-id "$copy" --name xyz
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1
refused 2 copy-image --source-image-id "$copy" --source-region us-east-1 --name xyz
contains "$ERR" "InvalidAMIID.NotFound"
refused 2 copy-image --source-image-id nope --source-region eu-west-1 --name xyz
refused 2 copy-image --source-image-id "$copy" --source-region 'EU/1' --name xyz
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1 --name 'a*b'
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1 --name ab
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1 --name okname --kms-key-id k
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1 --name okname --description "$(head -c 300 /dev/zero | tr '\0' d)"
refused 2 --region eu-west-1 copy-image --source-image-id "$copy" --source-region eu-west-1 --name golden
contains "$ERR" "InvalidAMIName.Duplicate"
refused 2 copy-image --source-image-id "$copy" --source-region eu-west-1 --name okname --bogus
ok "copy-image refuses missing, malformed and duplicate input: one line, exit 2, store byte-identical"
echo "$PASSED passed, 0 failed"
