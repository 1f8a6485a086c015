#!/usr/bin/env bash
# tests/sh-guard, which ctest runs every shell test through: a test that exits 0 without
# having loaded lib.sh (its `source` failed) fails; a test that loaded it keeps its exit
# status (0, 1, 77).
source "$(dirname "$0")/lib.sh"
guard=$(cd "$(dirname "$0")/.." && pwd)/sh-guard
lib=$(cd "$(dirname "$0")" && pwd)/lib.sh

# guarded SNIPPET: runs SNIPPET as a test file through the guard; rc in $RC, output in $GOUT.
guarded() {
    printf '%s\n' "$1" >"$WORK/t.sh"
    RC=0
    GOUT=$("$guard" "$WORK/t.sh" 2>&1) || RC=$?
}

guarded "source '$WORK/no-such-lib.sh'; echo 'ok - nothing was checked'"
[ "$RC" = 1 ] || fail "a test whose source failed: exit $RC, expected 1: $GOUT"
contains "$GOUT" "never loaded tests/cli/lib.sh"
ok "a test that exits 0 after a failed 'source' fails"

guarded "source '$lib'; ok 'checked'"
[ "$RC" = 0 ] || fail "a test that loaded lib.sh and passed: exit $RC: $GOUT"
guarded "source '$lib'; fail 'broken'"
[ "$RC" = 1 ] || fail "a failing test: exit $RC: $GOUT"
guarded "source '$lib'; skip 'no widget'"
[ "$RC" = 77 ] || fail "a skipped test: exit $RC: $GOUT"
ok "a test that loaded lib.sh keeps its status (0, 1, 77)"
echo "$PASSED passed, 0 failed"
