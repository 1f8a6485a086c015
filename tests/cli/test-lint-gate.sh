#!/usr/bin/env bash
# scripts/lint, which `make check` runs: a finding fails it, and so does clang-tidy
# failing without one (a crash, a compile error): its stderr is shown, not discarded.
# A stand-in clang-tidy on PATH plays each part; the real one runs in make lint.
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK/bin" "$WORK/build"
echo '[]' >"$WORK/build/compile_commands.json"

# fake_tidy RC STDOUT STDERR: every clang-tidy call prints these and exits RC.
fake_tidy() {
    printf '#!/bin/sh\nprintf "%%b" "%s"\nprintf "%%b" "%s" >&2\nexit %s\n' "$2" "$3" "$1" \
        >"$WORK/bin/clang-tidy"
    chmod +x "$WORK/bin/clang-tidy"
}
lint() {
    RC=0
    LOUT=$(PATH="$WORK/bin:$PATH" "$top/scripts/lint" "$WORK/build" 2>&1) || RC=$?
}

fake_tidy 0 "" ""
lint
[ "$RC" = 0 ] || fail "a clean clang-tidy failed lint: $LOUT"
contains "$LOUT" "lint: clean"
ok "clean: exit 0"

fake_tidy 0 "src/core/ami.c:1:1: warning: something [bugprone-x]\\\\n" ""
lint
[ "$RC" = 1 ] || fail "a finding passed lint (exit $RC): $LOUT"
contains "$LOUT" "src/core/ami.c:1:1: warning: something"
ok "a finding: exit 1, shown"

fake_tidy 139 "" "Stack dump: clang-tidy crashed\\\\n"
lint
[ "$RC" = 1 ] || fail "a crashing clang-tidy passed lint (exit $RC): $LOUT"
contains "$LOUT" "Stack dump: clang-tidy crashed"
contains "$LOUT" "lint: clang-tidy failed"
ok "clang-tidy crashing: exit 1, its stderr shown"
echo "$PASSED passed, 0 failed"
