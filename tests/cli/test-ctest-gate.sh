#!/usr/bin/env bash
# scripts/ctest-gate, which `make check` runs ctest through: a test that exits 77 and a
# test that skips a part (skip_part) are both listed with their reasons; under CI=true
# either fails the run, outside CI they do not; a failing test keeps ctest's failure.
source "$(dirname "$0")/lib.sh"
need ctest python3
gate=$(cd "$(dirname "$0")/../.." && pwd)/scripts/ctest-gate
lib=$(cd "$(dirname "$0")" && pwd)/lib.sh

# project DIR TEST...: a ctest directory whose tests are bash snippets (name=snippet).
project() {
    local dir=$1 t
    shift
    mkdir -p "$dir"
    : >"$dir/CTestTestfile.cmake"
    for t in "$@"; do
        printf '%s\n' "${t#*=}" >"$dir/${t%%=*}.sh"
        cat >>"$dir/CTestTestfile.cmake" <<EOF
add_test(${t%%=*} bash "$dir/${t%%=*}.sh")
set_tests_properties(${t%%=*} PROPERTIES SKIP_RETURN_CODE 77 ENVIRONMENT "AMI_RUN=$AMI_RUN")
EOF
    done
}

# gate CI DIR: runs the gate with CI=$1 on DIR; rc in $RC, output in $GOUT.
gate() {
    RC=0
    GOUT=$(cd "$WORK" && CI=$1 "$gate" "$2" 2>&1) || RC=$?
}

project "$WORK/p1" "passes=echo fine" \
    "whole=source '$lib'; skip 'no frobnicator here'" \
    "part=source '$lib'; skip_part 'the widget case needs a widget'; ok 'the rest ran'"
gate true "$WORK/p1"
[ "$RC" = 1 ] || fail "CI=true with skips: exit $RC, expected 1: $GOUT"
contains "$GOUT" "ctest-gate: 2 skipped (CI=true: a skip fails the run)"
contains "$GOUT" "SKIPPED whole: no frobnicator here"
contains "$GOUT" "SKIPPED p1/part: part: the widget case needs a widget"
ok "CI=true: a skipped test and a skipped part fail the run, each named with its reason"

gate "" "$WORK/p1"
[ "$RC" = 0 ] || fail "outside CI, skips: exit $RC, expected 0: $GOUT"
contains "$GOUT" "ctest-gate: 2 skipped"
contains "$GOUT" "SKIPPED whole: no frobnicator here"
ok "outside CI: skips are listed at the end, exit 0"

project "$WORK/p2" "passes=echo fine" "also=echo fine too"
gate true "$WORK/p2"
[ "$RC" = 0 ] || fail "CI=true, nothing skipped: exit $RC: $GOUT"
contains "$GOUT" "ctest-gate: nothing skipped"
ok "CI=true, nothing skipped: exit 0"

project "$WORK/p3" "fails=exit 1" "whole=source '$lib'; skip 'no frobnicator here'"
gate true "$WORK/p3"
[ "$RC" != 0 ] || fail "a failing test passed the gate: $GOUT"
contains "$GOUT" "SKIPPED whole: no frobnicator here"
ok "a failing test fails the gate too (ctest's status)"
echo "$PASSED passed, 0 failed"
