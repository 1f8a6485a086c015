#!/usr/bin/env bash
# The README and the man page describe every verb the binary has, and the man page
# renders without warnings.
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
run 0 --help
verbs=$(sed -n 's/^  \([a-z-]*\) .*/\1/p' <<<"$OUT")
[ -n "$verbs" ] || fail "no verbs in --help"
# Whole words only: a verb must be named as a verb (README: `verb …` in the verb table;
# man page: a .B line that starts with it), not found inside another word ("run" is in
# "ami-run", "prune" and nearly every line).
for v in $verbs; do
    grep -qE -- "(^| )\`$v[ \`]" "$top/README.md" || fail "README.md's verb table does not list '$v'"
    grep -qE -- "^\.B ${v//-/\\\\-}( |$)" "$top/docs/ami-run.1" || fail "ami-run.1 has no .B entry for $v"
    run 0 "$v" --help
    contains "$OUT" "Usage: ami-run $v "
done
ok "README and man page cover every verb: $(echo $verbs)"
if command -v man >/dev/null; then
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$top/docs/ami-run.1" 2>&1 >/dev/null || true)
    [ -z "$warnings" ] || fail "man page warnings: $warnings"
    ok "the man page renders without warnings"
else
    skip_part "man (man-db) is not installed: the man page is not rendered"
fi
echo "$PASSED passed, 0 failed"
