#!/usr/bin/env bash
# wait: EC2's waiters, each outcome compared with botocore's own Waiter (the one the AWS
# CLI runs: Debian's awscli) fed by the same describe verbs (tests/cli/waiter-oracle.py):
# silent success, exit 255 with "Waiter … failed: …" word for word.  The instance
# waiters are exercised on real instances in tests/integration/test-instances.
source "$(dirname "$0")/lib.sh"
oracle=$(cd "$(dirname "$0")" && pwd)/waiter-oracle.py
/usr/bin/python3 -c 'import awscli.botocore.waiter' 2>/dev/null ||
    skip "awscli (botocore's waiters, the oracle) is not installed: scripts/install-deps"
make_disk "$WORK/a.raw" 1G a
run 0 import-image --disk-image "$WORK/a.raw" --name waited --architecture x86_64
ami=$(jq -r .ImageId <<<"$OUT")
run 0 describe-images --image-ids "$ami"
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$OUT")

# same RC WAITER NAME VERB CODE ARGS...: ami-run's wait and the oracle agree on the exit
# status and the message (ours carries the usual "ami-run: wait: " in front).
same() {
    local rc=$1 waiter=$2 name=$3 verb=$4 code=$5 orc=0 want
    shift 5
    AMI_RUN_WAITER_TIMEOUT=1 run "$rc" wait "$waiter" "$@"
    want=$(/usr/bin/python3 "$oracle" "$AMI_RUN" "$name" 2 "$verb" "$code" "$@") || orc=$?
    [ "$orc" = "$rc" ] || fail "oracle: $waiter $*: exit $orc, expected $rc ($want)"
    [ -z "$OUT" ] || fail "wait $waiter printed on stdout: $OUT"
    if [ "$rc" = 0 ]; then
        [ -z "$ERR" ] || fail "wait $waiter succeeded but said: $ERR"
    else
        [ "$ERR" = "ami-run: wait: $want" ] || fail "wait $waiter: '$ERR', botocore: '$want'"
    fi
}

same 0 image-exists ImageExists describe-images InvalidAMIID.NotFound --image-ids "$ami"
same 0 image-available ImageAvailable describe-images InvalidAMIID.NotFound --image-ids "$ami"
same 0 snapshot-completed SnapshotCompleted describe-snapshots InvalidSnapshot.NotFound --snapshot-ids "$snap"
ok "image-exists, image-available, snapshot-completed succeed in silence on what exists"

missing=ami-0123456789abcdef0
same 255 image-available ImageAvailable describe-images InvalidAMIID.NotFound --image-ids "$missing"
contains "$ERR" "Waiter ImageAvailable failed: An error occurred (InvalidAMIID.NotFound): "
ok "an error no acceptor matches fails at once, as botocore: 'An error occurred (CODE): …'"

same 255 image-exists ImageExists describe-images InvalidAMIID.NotFound --image-ids "$missing"
contains "$ERR" "Max attempts exceeded. Previously accepted state: Matched expected service error code: InvalidAMIID.NotFound"
same 255 volume-available VolumeAvailable describe-volumes InvalidVolume.NotFound
[ "$ERR" = "ami-run: wait: Waiter VolumeAvailable failed: Max attempts exceeded" ] || fail "$ERR"
same 0 volume-deleted VolumeDeleted describe-volumes InvalidVolume.NotFound --volume-ids vol-0123456789abcdef0
run 0 create-key-pair --key-name waited-key
same 0 key-pair-exists KeyPairExists describe-key-pairs InvalidKeyPair.NotFound --key-names waited-key
same 255 key-pair-exists KeyPairExists describe-key-pairs InvalidKeyPair.NotFound --key-names nobody
ok "retry acceptors wait to the limit and say what they last accepted; a success acceptor on an error succeeds"

noinst=i-0123456789abcdef0
same 255 instance-status-ok InstanceStatusOk describe-instance-status InvalidInstanceID.NotFound --instance-ids "$noinst"
contains "$ERR" "Previously accepted state: Matched expected service error code: InvalidInstanceID.NotFound"
same 255 system-status-ok SystemStatusOk describe-instance-status InvalidInstanceID.NotFound --instance-ids "$noinst"
contains "$ERR" "Waiter SystemStatusOk failed: An error occurred (InvalidInstanceID.NotFound): "
same 255 instance-status-ok InstanceStatusOk describe-instance-status InvalidInstanceID.NotFound
[ "$ERR" = "ami-run: wait: Waiter InstanceStatusOk failed: Max attempts exceeded" ] || fail "$ERR"
ok "instance-status-ok retries a missing id, system-status-ok fails at once on it, no statuses is no success: as botocore"

# The limit is AWS's delay × maxAttempts (image-exists: 15 s × 40), polled every 0.5 s.
start=$(date +%s%N)
AMI_RUN_WAITER_TIMEOUT=2 run 255 wait image-exists --image-ids "$missing"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 2000 ] && [ "$ms" -lt 6000 ] || fail "a 2 s limit took $ms ms"
run 0 wait --help
contains "$OUT" "image-exists           describe-images, up to 600 s"
contains "$OUT" "instance-running       describe-instances, up to 600 s"
contains "$OUT" "instance-status-ok     describe-instance-status, up to 600 s"
ok "the limit holds (2 s took $ms ms); --help lists each waiter with AWS's limit"

run 2 wait
one_line_error
run 2 wait instance-runing --instance-ids i-0123456789abcdef0
one_line_error
contains "$ERR" "unknown waiter 'instance-runing'"
run 2 wait image-exists --image-idz "$ami"
one_line_error
ok "no waiter, an unknown one and a bad option of its operation: one line, exit 2"
echo "$PASSED passed, 0 failed"
