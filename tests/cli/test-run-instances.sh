#!/usr/bin/env bash
# run-instances, describe-instance-status, reboot-instances, modify- and
# describe-instance-attribute, tags on instances and volumes, without booting: every
# bad input is one line, exit 2, the store byte-identical; --dry-run checks and makes
# nothing; the ignored EC2 parameters are accepted and named once; the shapes fit
# botocore's model (tests/cli/shape-oracle.py).  Boots: tests/integration/test-run-instances.
source "$(dirname "$0")/lib.sh"
oracle=$(cd "$(dirname "$0")" && pwd)/shape-oracle.py
/usr/bin/python3 -c 'import awscli.botocore' 2>/dev/null ||
    skip "awscli (botocore's model, the shape oracle) is not installed: scripts/install-deps"
make_disk "$WORK/root.raw" 1G root
run 0 import-image --disk-image "$WORK/root.raw" --name instances --architecture x86_64
ami=$(jq -r .ImageId <<<"$OUT")

shape() { # SHAPE JSON
    local misfit
    misfit=$(/usr/bin/python3 "$oracle" "$1" --allow-amirun <<<"$2") || fail "not botocore's $1: $misfit"
}
# plant ID STATE CODE: an instance record as a launch leaves it, with no owner.
plant() {
    local dir=$STORE/instances/$1
    mkdir -p "$dir"
    jq -n --arg id "$1" --arg vol "vol-${1#i-}" --arg dir "$dir" --arg ami "$ami" --arg st "$2" --argjson code "$3" \
        '{InstanceId: $id, ImageId: $ami, InstanceType: "t3.micro", Architecture: "x86_64",
          LaunchTime: "2026-01-01T00:00:00.000Z", RootDeviceName: "/dev/xvda",
          Placement: {AvailabilityZone: "us-east-1a"}, State: {Code: $code, Name: $st},
          AmiRun: {OwnerPid: 0, Directory: $dir, Console: "\($dir)/console.log",
                   Disks: [{VolumeId: $vol, Path: "\($dir)/vol.qcow2", SizeGiB: 1,
                           DeleteOnTermination: true}]},
          BlockDeviceMappings: [{DeviceName: "/dev/xvda", Ebs: {VolumeId: $vol}}]}' \
        >"$dir/instance.json"
    printf "<domain>\n  <memory unit='MiB'>1024</memory>\n  <vcpu>2</vcpu>\n</domain>\n" >"$dir/domain.xml"
}

# --- run-instances: refusals -------------------------------------------------------------
refused 2 run-instances
contains "$ERR" "--image-id is required"
refused 2 run-instances --image-id ami-0123456789abcdef0
contains "$ERR" "does not exist"
for c in 0 x 3:2 9 -1; do
    refused 2 run-instances --image-id "$ami" --count "$c"
done
refused 2 run-instances --image-id "$ami" --count 2 --max-count 3
refused 2 run-instances --image-id "$ami" --min-count 3 --max-count 2
refused 2 run-instances --image-id "$ami" --launch-template LaunchTemplateId=lt-0123
contains "$ERR" "launch templates"
refused 2 run-instances --image-id "$ami" --instance-initiated-shutdown-behavior hibernate
refused 2 run-instances --image-id "$ami" --client-token "$(printf 'x%.0s' $(seq 65))"
refused 2 run-instances --image-id "$ami" --user-data "file://$WORK/nonexistent"
refused 2 run-instances --image-id "$ami" --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=a}'
contains "$ERR" "column"
refused 2 run-instances --image-id "$ami" --tag-specifications 'ResourceType=image,Tags=[{Key=a,Value=b}]'
contains "$ERR" "ResourceType 'image'"
refused 2 run-instances --image-id "$ami" --tag-specifications 'ResourceType=instance,Tags=[{Key=a}]'
refused 2 run-instances --image-id "$ami" --placement '{"AvailabilityZone":'
refused 2 run-instances --image-id "$ami" --instance-type t9.huge
head -c 16385 /dev/zero | tr '\0' a >"$WORK/big.txt"
refused 2 run-instances --image-id "$ami" --user-data "file://$WORK/big.txt"
contains "$ERR" "16384"
refused 2 run-instances --image-id "$ami" --key-name nobody
contains "$ERR" "InvalidKeyPair.NotFound"
refused 2 run-instances --image-id "$ami" --metadata-options HttpTokens=bogus
refused 2 run-instances --image-id "$ami" --block-device-mappings 'DeviceName=/dev/sdf,Ebs={VolumeSize=x}'
refused 2 run-instances --image-id "$ami" --frobnicate
contains "$ERR" "unknown option '--frobnicate'"
ok "run-instances: missing or unknown image, bad counts, launch templates, bad tags and structures: exit 2, one line, store unchanged"

# --- run-instances --dry-run: checks everything, makes nothing ------------------------
before=$(store_digest)
run 0 run-instances --image-id "$ami" --count 2 --dry-run --security-group-ids sg-1 sg-2 \
    --subnet-id subnet-1 --monitoring Enabled=true --ebs-optimized --placement AvailabilityZone=us-east-1b \
    --iam-instance-profile Name=role --network-interfaces 'DeviceIndex=0,Groups=[sg-1]' \
    --credit-specification CpuCredits=unlimited --metadata-options HttpTokens=required \
    --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value="a,b"}]' \
    --block-device-mappings 'DeviceName=/dev/sdf,Ebs={VolumeSize=2}' --user-data 'echo hi'
[ -z "$OUT" ] || fail "--dry-run printed a reservation: $OUT"
[ "$(store_digest)" = "$before" ] || fail "--dry-run changed the store"
[ "$(grep -c 'accepted but ignored' <<<"$ERR")" = 1 ] || fail "the ignored parameters not named once: $ERR"
contains "$ERR" "--ebs-optimized, --iam-instance-profile, --monitoring, --network-interfaces, --placement"
contains "$ERR" "--security-group-ids, --subnet-id"
contains "$ERR" "DryRunOperation: Request would have succeeded, but DryRun flag is set."
ok "run-instances --dry-run: ignored EC2 parameters named once, shorthand everywhere, nothing made"

# --- describe-instance-status -----------------------------------------------------------
run 0 describe-instance-status
json_eq "$OUT" '{"InstanceStatuses": []}' || fail "an empty store: $OUT"
refused 2 describe-instance-status --instance-ids i-0123456789abcdef9
contains "$ERR" "does not exist"
refused 2 describe-instance-status --filters Name=colour,Values=red
plant i-0000000000000000a stopped 80
run 0 describe-instance-status
json_eq "$OUT" '{"InstanceStatuses": []}' || fail "a stopped instance without --include-all-instances: $OUT"
run 0 describe-instance-status --include-all-instances --filters Name=instance-state-name,Values=stopped
shape DescribeInstanceStatusResult "$OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Status' <<<"$OUT")" = not-applicable ] || fail "$OUT"
echo 'Name=instance-status.status,Values=not-applicable' >"$WORK/f.txt"
run 0 describe-instance-status --include-all-instances --filters "file://$WORK/f.txt" --query 'length(InstanceStatuses)'
[ "$OUT" = 1 ] || fail "a file:// filter: $OUT"
ok "describe-instance-status: running only by default, --include-all-instances, filters, botocore's shape"

# --- reboot-instances, modify-/describe-instance-attribute ------------------------------
refused 2 reboot-instances
refused 2 reboot-instances --instance-ids i-0000000000000000a
contains "$ERR" "IncorrectInstanceState"
refused 2 modify-instance-attribute --instance-id i-0000000000000000a
refused 2 modify-instance-attribute --instance-id i-0000000000000000a --instance-type Value=t9.huge
refused 2 modify-instance-attribute --instance-id i-0000000000000000a --instance-type Value=t4g.micro
contains "$ERR" "arm64"
refused 2 modify-instance-attribute --instance-id i-0000000000000000a --instance-type t3.small --user-data Value=aGk=
refused 2 modify-instance-attribute --instance-id i-0000000000000000a --attribute kernel --value aki-1
refused 2 modify-instance-attribute --instance-id i-0000000000000000a --user-data 'Value=not base64!'
refused 2 modify-instance-attribute --instance-id i-0000000000000000f --instance-type t3.small
plant i-0000000000000000b running 16
refused 2 modify-instance-attribute --instance-id i-0000000000000000b --instance-type Value=t3.small
contains "$ERR" "IncorrectInstanceState: The instance 'i-0000000000000000b' is not in the 'stopped' state"
refused 2 describe-instance-attribute --instance-id i-0000000000000000a --attribute colour
refused 2 describe-instance-attribute --instance-id i-0000000000000000a
run 0 modify-instance-attribute --instance-id i-0000000000000000a --instance-type Value=t3.small
[ -z "$OUT" ] || fail "modify-instance-attribute printed: $OUT"
grep -q "<memory unit='MiB'>2048</memory>" "$STORE/instances/i-0000000000000000a/domain.xml" ||
    fail "domain.xml keeps the old memory"
run 0 describe-instance-attribute --instance-id i-0000000000000000a --attribute instanceType
shape InstanceAttribute "$OUT"
json_eq "$OUT" '{"InstanceType": {"Value": "t3.small"}, "InstanceId": "i-0000000000000000a"}' || fail "$OUT"
printf '#!/bin/sh\necho new\n' >"$WORK/ud.sh"
run 0 modify-instance-attribute --instance-id i-0000000000000000a --user-data "file://$WORK/ud.sh"
run 0 describe-instance-attribute --instance-id i-0000000000000000a --attribute userData
[ "$(jq -r .UserData.Value <<<"$OUT" | base64 -d)" = "$(cat "$WORK/ud.sh")" ] || fail "user data: $OUT"
run 0 modify-instance-attribute --instance-id i-0000000000000000a --attribute userData --value "$(printf hi | base64)"
[ "$(cat "$STORE/instances/i-0000000000000000a/user-data")" = hi ] || fail "--attribute userData --value"
for a in instanceInitiatedShutdownBehavior disableApiTermination rootDeviceName blockDeviceMapping \
    groupSet productCodes sourceDestCheck ebsOptimized enaSupport kernel ramdisk; do
    run 0 describe-instance-attribute --instance-id i-0000000000000000a --attribute "$a"
    shape InstanceAttribute "$OUT"
done
ok "reboot-instances and modify-instance-attribute refuse what EC2 refuses (IncorrectInstanceState, types); modify on stopped; describe-instance-attribute in botocore's shape"

# --- tags on instances and volumes, shorthand and JSON alike ----------------------------
refused 2 create-tags --resources i-0000000000000000f --tags Key=a,Value=b
refused 2 create-tags --resources vol-0000000000000000f --tags Key=a,Value=b
refused 2 create-tags --resources x-0000000000000000a --tags Key=a,Value=b
contains "$ERR" "instance (i-…) or volume (vol-…)"
refused 2 create-tags --resources i-0000000000000000a --tags Key=a,Value=b,c
contains "$ERR" 'Value="a,b"'
refused 2 create-tags --resources i-0000000000000000a --tags 'Key=a,Value=[b'
contains "$ERR" "column"
run 0 create-tags --resources i-0000000000000000a vol-0000000000000000a --tags 'Key=Name,Value="x,y"'
echo '[{"Key": "Team", "Value": "infra"}]' >"$WORK/tags.json"
run 0 create-tags --resources i-0000000000000000a --tags "file://$WORK/tags.json"
run 0 describe-instances --filters 'Name=tag:Name,Values="x,y"' --query 'Reservations[].Instances[].InstanceId' --output text
[ "$OUT" = i-0000000000000000a ] || fail "tag:Name filter: $OUT"
run 0 describe-instances --filters '{"Name": "tag:Team", "Values": ["inf*"]}' --query 'length(Reservations)'
[ "$OUT" = 1 ] || fail "JSON tag filter: $OUT"
run 0 describe-volumes --filters 'Name=tag:Name,Values="x,y"' --query 'Volumes[].Tags'
json_eq "$OUT" '[[{"Key": "Name", "Value": "x,y"}]]' || fail "volume tags: $OUT"
run 0 delete-tags --resources vol-0000000000000000a i-0000000000000000a --tags Key=Name
run 0 describe-instances --instance-ids i-0000000000000000a --query 'Reservations[0].Instances[0].Tags'
json_eq "$OUT" '[{"Key": "Team", "Value": "infra"}]' || fail "delete-tags: $OUT"
ok "create-tags/delete-tags on instances and volumes; --tags shorthand (quoted commas), JSON, file://; --filters tag:K"
echo "$PASSED passed, 0 failed"
