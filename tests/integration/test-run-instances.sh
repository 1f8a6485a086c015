#!/usr/bin/env bash
# run-instances as the AWS CLI scripts use it: --count 2 with tags and --query …
# --output text; wait instance-running and instance-status-ok; describe-instance-status
# in botocore's shape (tests/cli/shape-oracle.py); tags on instances and volumes with
# --filters tag:K; reboot-instances (the checks go back through initializing to ok); a
# broken image is impaired with its verdict's class in Details; --client-token returns
# the same reservation and starts nothing; stop, modify-instance-attribute
# --instance-type (refused while running), start with the new type; a guest's own
# power-off terminates it with --instance-initiated-shutdown-behavior terminate;
# terminate --force.
source "$(dirname "$0")/lib.sh"
oracle=$TOP/tests/cli/shape-oracle.py
/usr/bin/python3 -c 'import awscli.botocore' 2>/dev/null ||
    skip "awscli (botocore's model, the shape oracle) is not installed: scripts/install-deps"

ami=$(tiny_ami x86_64 bios ok)
panic=$(tiny_ami x86_64 bios panic)
# The tiny init prints its own marker, not a login prompt: ami-run's --success says so.
ready=(--success 'ami-run-tiny: ready' --timeout 120)
export AMI_RUN_WAITER_TIMEOUT=150

shape() { # SHAPE JSON: fits botocore's model
    local misfit
    misfit=$(/usr/bin/python3 "$oracle" "$1" --allow-amirun <<<"$2") || fail "not botocore's $1: $misfit"
}

run 0 run-instances --image-id "$ami" --count 2 "${ready[@]}" --security-group-ids sg-1 sg-2 \
    --subnet-id subnet-1 --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=web}]' \
    'ResourceType=volume,Tags=[{Key=Team,Value=infra}]' --query 'Instances[*].InstanceId' --output text
read -r A B <<<"$OUT"
[[ "$A" == i-* && "$B" == i-* ]] || fail "expected two ids on one line: '$OUT'"
[ "$ERR" = "ami-run: run-instances: accepted but ignored (nothing to do on one machine; kept in the instance's AmiRun.Ignored): --security-group-ids, --subnet-id" ] ||
    fail "the ignored parameters are not named once: $ERR"
ok "run-instances --count 2 --query … --output text: two ids; ignored parameters named once"

run 0 wait instance-running --instance-ids "$A" "$B"
run 0 describe-instances --instance-ids "$A" "$B"
[ "$(jq '.Reservations | length' <<<"$OUT")" = 1 ] || fail "two instances, not one reservation: $OUT"
[ "$(jq -r '.Reservations[0].Instances[0].AmiRun.Ignored.SecurityGroupIds | join(",")' <<<"$OUT")" = sg-1,sg-2 ] ||
    fail "ignored parameters not recorded"
run 0 wait instance-status-ok --instance-ids "$A" "$B"
run 0 wait system-status-ok --instance-ids "$A" "$B"
run 0 describe-instance-status --instance-ids "$A" "$B"
shape DescribeInstanceStatusResult "$OUT"
[ "$(jq -r '[.InstanceStatuses[] | .InstanceStatus.Status, .SystemStatus.Status,
    .InstanceStatus.Details[0].Status] | unique | join(",")' <<<"$OUT")" = ok,passed ] ||
    fail "not ok: $OUT"
ok "wait instance-running, instance-status-ok, system-status-ok; describe-instance-status ok, botocore's shape"

run 0 describe-instances --filters Name=tag:Name,Values=web --query 'length(Reservations[].Instances[])'
[ "$OUT" = 2 ] || fail "tag:Name filter found $OUT instances"
run 0 describe-volumes --filters Name=tag:Team,Values=infra --query 'length(Volumes)'
[ "$OUT" = 2 ] || fail "tag:Team filter found $OUT volumes"
vol=$("$AMI_RUN" describe-volumes --filters "Name=attachment.instance-id,Values=$A" --query 'Volumes[0].VolumeId' --output text)
run 0 create-tags --resources "$A" "$vol" --tags Key=Role,Value=primary
run 0 describe-instances --filters Name=tag:Role,Values=primary --query 'Reservations[].Instances[].InstanceId' --output text
[ "$OUT" = "$A" ] || fail "create-tags on an instance: $OUT"
run 0 describe-volumes --filters Name=tag:Role,Values=primary --query 'Volumes[].VolumeId' --output text
[ "$OUT" = "$vol" ] || fail "create-tags on a volume: $OUT"
run 0 delete-tags --resources "$A" --tags Key=Role
run 0 describe-instances --filters Name=tag-key,Values=Role --query 'length(Reservations)'
[ "$OUT" = 0 ] || fail "delete-tags on an instance left it"
ok "tags from --tag-specifications and create-tags/delete-tags on instances and volumes; --filters tag:K"

run 0 reboot-instances --instance-ids "$A"
[ -z "$OUT" ] || fail "reboot-instances printed: $OUT"
run 0 describe-instance-status --instance-ids "$A"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Status' <<<"$OUT")" = initializing ] ||
    fail "after a reboot the check is not initializing: $OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceState.Name' <<<"$OUT")" = running ] || fail "not running: $OUT"
run 0 wait instance-status-ok --instance-ids "$A"
n=$("$AMI_RUN" get-console-output --instance-id "$A" | jq -r .Output | grep -c 'ami-run-tiny: ready' || true)
[ "$n" = 2 ] || fail "the console shows $n boots, not 2"
ok "reboot-instances: prints nothing, stays running, the check goes initializing → ok (2 boots)"

run 0 run-instances --image-id "$panic" --client-token tok-1 "${ready[@]}"
C=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
res=$(jq -r .ReservationId <<<"$OUT")
shape Reservation "$OUT"
records=$(ls "$STORE/instances" | wc -l)
run 0 run-instances --image-id "$panic" --client-token tok-1 "${ready[@]}"
[ "$(jq -r .ReservationId <<<"$OUT")" = "$res" ] || fail "the same token made another reservation"
[ "$(ls "$STORE/instances" | wc -l)" = "$records" ] || fail "the same token started an instance"
run 2 run-instances --image-id "$ami" --client-token tok-1
one_line_error
contains "$ERR" IdempotentParameterMismatch
ok "--client-token: the same reservation again, nothing started; another request with it refused"

for _ in $(seq 600); do
    st=$("$AMI_RUN" describe-instance-status --instance-ids "$C" --query 'InstanceStatuses[0].InstanceStatus.Status' --output text)
    [ "$st" = initializing ] || break
    sleep 0.2
done
run 0 describe-instance-status --instance-ids "$C"
shape DescribeInstanceStatusResult "$OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Status' <<<"$OUT")" = impaired ] || fail "not impaired: $OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Details[0].Status' <<<"$OUT")" = failed ] || fail "$OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Details[0].AmiRun.Class' <<<"$OUT")" = root-device-not-found ] ||
    fail "the class is not in Details: $OUT"
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Details[0].ImpairedSince' <<<"$OUT")" != null ] || fail "$OUT"
AMI_RUN_WAITER_TIMEOUT=2 run 255 wait instance-status-ok --instance-ids "$C"
contains "$ERR" "Waiter InstanceStatusOk failed: Max attempts exceeded"
run 0 terminate-instances --instance-ids "$C" --force --skip-os-shutdown
ok "a broken image: impaired, failed, ImpairedSince, class root-device-not-found in Details; the waiter fails"

run 0 stop-instances --force --instance-ids "$A"
run 0 describe-instance-status --instance-ids "$A" "$B"
[ "$(jq '.InstanceStatuses | length' <<<"$OUT")" = 1 ] || fail "a stopped instance without --include-all-instances: $OUT"
run 0 describe-instance-status --instance-ids "$A" --include-all-instances
[ "$(jq -r '.InstanceStatuses[0].InstanceStatus.Status' <<<"$OUT")" = not-applicable ] || fail "$OUT"
before=$(jq -S 'del(.AmiRun.OwnerPid, .AmiRun.OwnerStart)' "$STORE/instances/$B/instance.json")
run 2 modify-instance-attribute --instance-id "$B" --instance-type Value=t3.small
one_line_error
contains "$ERR" "IncorrectInstanceState"
[ "$(jq -S 'del(.AmiRun.OwnerPid, .AmiRun.OwnerStart)' "$STORE/instances/$B/instance.json")" = "$before" ] ||
    fail "a refused modify changed the record"
run 0 modify-instance-attribute --instance-id "$A" --instance-type Value=t3.small
[ -z "$OUT" ] || fail "modify-instance-attribute printed: $OUT"
run 0 describe-instance-attribute --instance-id "$A" --attribute instanceType
shape InstanceAttribute "$OUT"
[ "$(jq -r .InstanceType.Value <<<"$OUT")" = t3.small ] || fail "$OUT"
grep -q "<memory unit='MiB'>2048</memory>" "$STORE/instances/$A/domain.xml" || fail "the domain keeps the old memory"
run 0 start-instances --instance-ids "$A"
run 0 wait instance-status-ok --instance-ids "$A"
[ "$(state_of "$A")" = running ] || fail "not running after start"
ok "stop; modify-instance-attribute --instance-type (refused while running: exit 2, record unchanged); start with 2 GiB"

# The guest's own power-off: terminated when the launch said so (stopped is the default).
printf '#!/bin/sh\ntouch /tmp/poweroff\n' >"$WORK/off.sh"
run 0 run-instances --image-id "$ami" --instance-initiated-shutdown-behavior terminate \
    --user-data "file://$WORK/off.sh" --until shutdown --timeout 120 --query 'Instances[0].InstanceId' --output text
D=$OUT
run 0 describe-instance-attribute --instance-id "$D" --attribute instanceInitiatedShutdownBehavior
[ "$(jq -r .InstanceInitiatedShutdownBehavior.Value <<<"$OUT")" = terminate ] || fail "$OUT"
run 0 wait instance-terminated --instance-ids "$D"
contains "$("$AMI_RUN" describe-instances --instance-ids "$D" | jq -r '.Reservations[0].Instances[0].StateReason.Message')" \
    "instance-initiated shutdown"
ok "--instance-initiated-shutdown-behavior terminate: the guest's power-off terminates it; user data from file://"

run 0 terminate-instances --instance-ids "$A" "$B" --force
[ "$(jq -r '[.TerminatingInstances[].CurrentState.Name] | unique | join(",")' <<<"$OUT")" = terminated ] || fail "$OUT"
assert_clean "$A"
assert_clean "$B"
ok "terminate-instances --force: terminated, nothing left"
echo "$PASSED passed, 0 failed"
