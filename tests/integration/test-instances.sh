#!/usr/bin/env bash
# Instances that outlive the command, and EC2's lifecycle: run --detach returns at once
# with the guest running under a supervisor; describe-instances and get-console-output
# see it; stop-instances keeps its disks, forcing the power-off after the grace period
# when the guest ignores ACPI; start-instances boots them again (the console continues);
# terminate-instances deletes DeleteOnTermination volumes and keeps the others
# (describe-volumes); a guest that acts on the ACPI power button stops by itself, and
# --force skips ACPI; a guest that powers itself off is stopped; stop-instances refuses
# a foreground run and leaves it running; run --keep leaves it running after the
# verdict; a supervisor killed with SIGKILL takes QEMU with it and the next command
# terminates the instance; prune forgets terminated instances (--older-than by
# LaunchTime).
source "$(dirname "$0")/lib.sh"

ami=$(tiny_ami x86_64 bios ok)
before=$(snapshot_sums)

# wait_console ID TEXT COUNT: until TEXT appears COUNT times in the console (120 s).
wait_console() {
    for _ in $(seq 600); do
        n=$("$AMI_RUN" get-console-output --instance-id "$1" | jq -r .Output | grep -c -- "$2" || true)
        [ "$n" -ge "$3" ] && return 0
        sleep 0.2
    done
    fail "'$2' did not appear $3 time(s) in the console of $1"
}

# stopped_by ID: the StateReason message of an instance.
stopped_by() {
    "$AMI_RUN" describe-instances --instance-ids "$1" |
        jq -r '.Reservations[0].Instances[0].StateReason.Message'
}

# A data volume that survives termination, added at launch as run-instances would.  The
# tiny init ignores the ACPI power button (no acpid): a 3 s grace period instead of 60.
bdm='[{"DeviceName":"/dev/sdf","Ebs":{"VolumeSize":2,"DeleteOnTermination":false}}]'
AMI_RUN_STOP_GRACE=3 run 0 run "$ami" --detach --block-device-mappings "$bdm"
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
[ "$(jq -r '.Instances[0].State.Name' <<<"$OUT")" = running ] || fail "not running: $OUT"
[ -n "$(qemus_of "$IID")" ] || fail "no QEMU for the detached instance"
run 0 wait instance-running --instance-ids "$IID"
wait_console "$IID" "ami-run-tiny: ready" 1
contains "$("$AMI_RUN" get-console-output --instance-id "$IID" | jq -r .Output)" "size=2147483648"
ok "run --detach: returns with the guest running; its console shows both disks"

run 0 describe-volumes
[ "$(jq '[.Volumes[] | select(.State == "in-use")] | length' <<<"$OUT")" = 2 ] ||
    fail "expected 2 in-use volumes: $OUT"
t0=$(date +%s)
run 0 stop-instances --instance-ids "$IID"
took=$(($(date +%s) - t0))
[ "$(jq -r '.StoppingInstances[0].CurrentState.Name' <<<"$OUT")" = stopped ] || fail "$OUT"
[ "$(stopped_by "$IID")" = "stop-instances (forced: the guest ignored ACPI power-off for 3 s)" ] ||
    fail "not forced after the grace period: $(stopped_by "$IID")"
[ "$took" -ge 3 ] && [ "$took" -le 20 ] || fail "stop of a guest ignoring ACPI took $took s, grace 3 s"
[ -z "$(qemus_of "$IID")" ] || fail "QEMU still runs after stop"
ls "$STORE/instances/$IID"/vol-*.qcow2 >/dev/null || fail "stop deleted the disks"
ok "stop-instances, guest ignores ACPI: forced after the grace period (${took} s); QEMU gone, disks kept"

run 0 start-instances --instance-ids "$IID"
[ "$(jq -r '.StartingInstances[0].CurrentState.Name' <<<"$OUT")" = running ] || fail "$OUT"
wait_console "$IID" "ami-run-tiny: ready" 2
ok "start-instances: the same disks boot again; the console continues"

run 0 terminate-instances --instance-ids "$IID"
[ "$(jq -r '.TerminatingInstances[0].CurrentState.Name' <<<"$OUT")" = terminated ] || fail "$OUT"
assert_clean "$IID"
run 0 describe-volumes
[ "$(jq -r '.Volumes | length' <<<"$OUT")" = 1 ] || fail "expected the kept volume: $OUT"
[ "$(jq -r '.Volumes[0].State' <<<"$OUT")" = available ] || fail "$OUT"
[ "$(jq -r '.Volumes[0].Size' <<<"$OUT")" = 2 ] || fail "$OUT"
[ -e "$(jq -r '.Volumes[0].AmiRun.Path' <<<"$OUT")" ] || fail "the kept volume's file is missing"
ok "terminate-instances: root deleted, DeleteOnTermination=false volume kept and listed"

# A guest that acts on the ACPI power button (user data doing acpid's job): --force
# skips ACPI, a plain stop-instances is the guest's own power-off.
cat >"$WORK/acpi.sh" <<'EOF'
#!/bin/sh
for e in /sys/class/input/event*; do
    [ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] || continue
    echo "ami-run-tiny: acpi: watching /dev/input/${e##*/}"
    (dd if="/dev/input/${e##*/}" of=/dev/null bs=4096 count=1 2>/dev/null &&
        echo "ami-run-tiny: acpi: power button, powering off" && sync && poweroff -f) &
done
EOF
run 0 run "$ami" --detach --user-data "$WORK/acpi.sh"
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
wait_console "$IID" "ami-run-tiny: acpi: watching" 1
wait_console "$IID" "ami-run-tiny: ready" 1
run 0 stop-instances --instance-ids "$IID" --force
[ "$(jq -r '.StoppingInstances[0].CurrentState.Name' <<<"$OUT")" = stopped ] || fail "$OUT"
[ "$(stopped_by "$IID")" = "stop-instances --force" ] || fail "stopped by: $(stopped_by "$IID")"
[ -z "$(qemus_of "$IID")" ] || fail "QEMU still runs after stop --force"
console=$("$AMI_RUN" get-console-output --instance-id "$IID" | jq -r .Output)
[ "$(grep -c 'acpi: power button' <<<"$console")" = 0 ] || fail "--force pressed the power button"
ok "stop-instances --force: powered off at once, no ACPI power button"

run 0 start-instances --instance-ids "$IID"
wait_console "$IID" "ami-run-tiny: acpi: watching" 2
wait_console "$IID" "ami-run-tiny: ready" 2
run 0 stop-instances --instance-ids "$IID"
[ "$(jq -r '.StoppingInstances[0].CurrentState.Name' <<<"$OUT")" = stopped ] || fail "$OUT"
[ "$(stopped_by "$IID")" = "stop-instances (ACPI power-off)" ] || fail "stopped by: $(stopped_by "$IID")"
wait_console "$IID" "ami-run-tiny: acpi: power button, powering off" 1
[ -z "$(qemus_of "$IID")" ] || fail "QEMU still runs after the ACPI power-off"
run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
ok "stop-instances, guest honours ACPI: the guest powers itself off within the grace period"

# The guest powers itself off: stopped, as EC2's default shutdown behaviour.
printf '#!/bin/sh\ntouch /tmp/poweroff\n' >"$WORK/off.sh"
run 0 run "$ami" --detach --user-data "$WORK/off.sh"
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
# `wait` as scripts use it between steps (the waiters' messages: tests/cli/test-wait).
run 0 wait instance-exists --instance-ids "$IID"
[ -z "$OUT$ERR" ] || fail "wait instance-exists said: $OUT$ERR"
AMI_RUN_WAITER_TIMEOUT=120 run 0 wait instance-stopped --instance-ids "$IID"
[ "$(state_of "$IID")" = stopped ] || fail "a powered-off guest is $(state_of "$IID"), not stopped"
[ -z "$(qemus_of "$IID")" ] || fail "QEMU still runs after the guest powered off"
AMI_RUN_WAITER_TIMEOUT=1 run 255 wait instance-running --instance-ids "$IID"
[ "$ERR" = "ami-run: wait: Waiter InstanceRunning failed: Max attempts exceeded" ] || fail "$ERR"
run 0 terminate-instances --instance-ids "$IID"
run 0 wait instance-terminated --instance-ids "$IID"
run 255 wait instance-stopped --instance-ids "$IID"
[ "$ERR" = 'ami-run: wait: Waiter InstanceStopped failed: Waiter encountered a terminal failure state: For expression "Reservations[].Instances[].State.Name" we matched expected path: "terminated" at least once' ] ||
    fail "$ERR"
assert_clean "$IID"
ok "guest power-off: stopped (wait instance-stopped); terminating a stopped instance cleans up (wait instance-terminated)"

# A foreground run is not stoppable (docs/run.md): stop-instances refuses it with exit 2,
# naming its pid, and the run goes on; terminate-instances ends it (exit 130).
"$AMI_RUN" run "$ami" --console quiet --success 'never printed' --timeout 120 \
    >"$WORK/fg.out" 2>"$WORK/fg.err" &
fg=$!
for _ in $(seq 600); do
    grep -q ": started from" "$WORK/fg.err" 2>/dev/null && break
    sleep 0.2
done
IID=$(sed -n 's/^ami-run: run: \(i-[0-9a-f]*\): started.*/\1/p' "$WORK/fg.err" | head -1)
[ -n "$IID" ] || fail "the foreground run did not start: $(cat "$WORK/fg.err")"
wait_console "$IID" "ami-run-tiny: ready" 1
run 2 stop-instances --instance-ids "$IID"
one_line_error
contains "$ERR" "$IID is a foreground run (pid $fg)"
[ "$(state_of "$IID")" = running ] || fail "a refused stop changed the state to $(state_of "$IID")"
[ -n "$(qemus_of "$IID")" ] || fail "a refused stop killed QEMU"
kill -0 "$fg" 2>/dev/null || fail "a refused stop ended the foreground run"
run 0 terminate-instances --instance-ids "$IID"
[ "$(jq -r '.TerminatingInstances[0].CurrentState.Name' <<<"$OUT")" = terminated ] || fail "$OUT"
rc=0
wait "$fg" || rc=$?
[ "$rc" = 130 ] || fail "the terminated foreground run exited $rc, not 130: $(cat "$WORK/fg.err")"
assert_clean "$IID"
ok "stop-instances of a foreground run: exit 2, the run goes on; terminate-instances ends it"

# run --keep: a verdict, and the instance stays, under a supervisor.
boot 0 "$ami" --keep --success 'ami-run-tiny: ready' --timeout 120
contains "$ERR" "kept running"
[ "$(state_of "$IID")" = running ] || fail "--keep did not keep it running"
qemu=$(qemus_of "$IID")
[ -n "$qemu" ] || fail "--keep: no QEMU"
ok "run --keep: verdict, then still running"

# SIGKILL of the supervisor: its reaper kills QEMU at once; the record still says running
# until the next command, which marks it terminated and cleans up (docs/run.md).
sup=$(jq -r .AmiRun.OwnerPid "$STORE/instances/$IID/instance.json")
tr '\0' ' ' <"/proc/$sup/cmdline" | grep -q "__supervise $IID" || fail "pid $sup is not the supervisor"
kill -9 "$sup"
for _ in $(seq 50); do
    kill -0 "$qemu" 2>/dev/null || break
    sleep 0.2
done
! kill -0 "$qemu" 2>/dev/null || fail "QEMU $qemu outlived its killed supervisor by 10 s"
[ "$(jq -r .State.Name "$STORE/instances/$IID/instance.json")" = running ] ||
    fail "the record changed without a command"
[ "$(state_of "$IID")" = terminated ] || fail "after the supervisor's death: $(state_of "$IID")"
[ "$(stopped_by "$IID")" = "ami-run ended without terminating the instance (killed?)" ] ||
    fail "reason: $(stopped_by "$IID")"
assert_clean "$IID"
ok "kill -9 of the supervisor: QEMU dies with it; the next command terminates the instance"

# prune --older-than goes by LaunchTime: age two records by two days.
mapfile -t all < <("$AMI_RUN" describe-instances |
    jq -r '.Reservations[].Instances[] | select(.State.Name == "terminated") | .InstanceId')
[ "${#all[@]}" = 5 ] || fail "expected 5 terminated instances: ${all[*]}"
old=$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%S.000Z)
for id in "${all[0]}" "${all[1]}"; do
    jq --arg t "$old" '.LaunchTime = $t' "$STORE/instances/$id/instance.json" >"$WORK/aged.json"
    cat "$WORK/aged.json" >"$STORE/instances/$id/instance.json"
done
run 0 prune --older-than 1d
[ "$(jq -c '.PrunedInstanceIds | sort' <<<"$OUT")" = "$(printf '%s\n' "${all[0]}" "${all[1]}" | jq -R . | jq -sc sort)" ] ||
    fail "prune --older-than 1d: $OUT, aged: ${all[0]} ${all[1]}"
[ ! -e "$STORE/instances/${all[0]}" ] && [ ! -e "$STORE/instances/${all[1]}" ] || fail "aged records left"
for id in "${all[@]:2}"; do
    [ "$(state_of "$id")" = terminated ] || fail "prune --older-than 1d removed the newer $id"
done
ok "prune --older-than 1d: the two records launched 2 days ago go, the three newer stay"

run 0 prune
[ "$(jq '.PrunedInstanceIds | length' <<<"$OUT")" = 3 ] || fail "prune: $OUT"
run 0 describe-instances
[ "$(jq '.Reservations | length' <<<"$OUT")" = 0 ] || fail "instances left after prune: $OUT"
[ "$(snapshot_sums)" = "$before" ] || fail "a snapshot changed"
ok "prune forgets terminated instances; the snapshot never changed"
echo "$PASSED passed, 0 failed"
