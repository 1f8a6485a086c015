#!/usr/bin/env bash
# run --component on the tiny x86_64 BIOS image, one boot (and the reboot a step asks
# for): two AWSTOE documents with every action ami-run runs, parameters, constants,
# chaining, loops, `if`, Assert, a 194 reboot, and a failing step with each onFailure
# value.  The results in AmiRun.Components match AWSTOE's rules step by step, the run
# exits 1 (component-failed) naming the first failed step, and nothing is left behind.
source "$(dirname "$0")/lib.sh"
DATA=$TOP/tests/data/toe

ami=$(tiny_ami x86_64 bios ok)
boot 1 "$ami" --component "$DATA/all-actions.yaml" --component "$DATA/failures.yaml" --timeout 300
contains "$ERR" "$IID: component-failed: document 'failures' phase 'validate' step 'FailContinue': exit code 3: try"
contains "$ERR" "component 'all-actions': SuccessWithIgnoredFailure (16 succeeded, 0 failed, 1 ignored, 1 skipped)"
contains "$ERR" "component 'failures': Failed (1 succeeded, 3 failed, 1 ignored, 2 skipped)"
[ "$(grep -c 'ami-run-tiny: init started' <<<"$OUT")" = 2 ] || fail "the guest did not reboot once"
contains "$OUT" 'AMI-RUN-TOE {"t":"reboot","n":19}'
ok "one boot and one reboot ran both documents; exit 1 names the first failed step"

rec=$("$AMI_RUN" describe-instances --debug --instance-ids "$IID" | jq '.Reservations[0].Instances[0].AmiRun')
[ "$(jq -r .Verdict.Class <<<"$rec")" = component-failed ] || fail "verdict: $(jq .Verdict <<<"$rec")"
steps=$(jq -r '.Components[] | .Name as $d | .Phases[] | .Name as $p | .Steps[] |
    "\($d)/\($p)/\(.Name) \(.Status) \(.Attempts // "-") \(.Reboots // 0)"' <<<"$rec")
want="all-actions/validate/Say Success 1 0
all-actions/validate/MakeDir Success 1 0
all-actions/validate/Write Success 1 0
all-actions/validate/Append Success 1 0
all-actions/validate/Copy Success 1 0
all-actions/validate/Move Success 1 0
all-actions/validate/Perms Success 1 0
all-actions/validate/Read Success 1 0
all-actions/validate/List Success 1 0
all-actions/validate/Binary Success 1 0
all-actions/validate/Loop Success 1 0
all-actions/validate/Each Success 1 0
all-actions/test/CheckRead Success 1 0
all-actions/test/CheckPerms Success 1 0
all-actions/test/SkipMe Skipped 0 0
all-actions/test/Delete Success 1 0
all-actions/test/Gone Success 1 0
all-actions/test/S3 Ignored 1 0
failures/validate/RebootOnce Success 1 1
failures/validate/FailContinue Failed 2 0
failures/validate/FailIgnore Ignored 1 0
failures/validate/TooSlow Failed 1 0
failures/validate/FailAbort Failed 1 0
failures/validate/NeverRuns Skipped - 0
failures/test/AlsoNeverRuns Skipped - 0"
[ "$steps" = "$want" ] || fail "steps differ from AWSTOE's rules:$(diff <(echo "$want") <(echo "$steps"))"
ok "every step's status, attempts and reboots as AWSTOE's rules give them"

st() { jq -r --arg d "$1" --arg p "$2" --arg s "$3" ".Components[] | select(.Name == \$d) | .Phases[] |
    select(.Name == \$p) | .Steps[] | select(.Name == \$s) | $4" <<<"$rec"; }
[ "$(jq -r '[.Components[] | .Status] | join(",")' <<<"$rec")" = SuccessWithIgnoredFailure,Failed ] ||
    fail "document statuses"
[ "$(jq -r '[.Components[1].Phases[] | .Status] | join(",")' <<<"$rec")" = Failed,Success ] ||
    fail "phase statuses of failures"
[ "$(st all-actions validate Say .Outputs.stdout)" = "hello world" ] || fail "parameter"
[ "$(st all-actions validate Read .Outputs.content)" = $'hello world\nmore' ] || fail "chaining into CreateFile"
[ "$(st all-actions validate Binary .Outputs.stdout)" = 640 ] || fail "SetFilePermissions"
[ "$(st all-actions validate List .Outputs.files)" = /tmp/toe-all/a.txt,/tmp/toe-all/b.txt ] || fail "ListFiles"
[ "$(st all-actions validate Loop .Outputs.stdout)" = $'0=1\n1=3\n2=5' ] || fail "for loop"
[ "$(st failures validate RebootOnce .Outputs.stdout)" = "after the reboot" ] || fail "194 rerun"
contains "$(st failures validate TooSlow .FailureMessage)" "timed out after 2 s"
contains "$(st all-actions test S3 .FailureMessage)" "S3Download needs Amazon S3"
contains "$(st failures validate NeverRuns .FailureMessage)" "not run: step 'FailAbort' failed and its onFailure is Abort"
ok "outputs chained, loop outputs joined, the 194 step rerun after the reboot, messages say why"

assert_clean "$IID"
ok "terminated; only the record and the console remain"
