#!/usr/bin/env bash
# `ami-run test` with the Debian 12 cloud-init image next to a tiny one (issue 13's
# acceptance: the tiny BIOS/UEFI/arm64 cells and the broken one are in
# tests/integration/test-test.sh): one user data variant both run, whose output is
# Debian's success marker (cloud-init's scripts-user runs it after a login prompt may show),
# both cells pass (exit 0), the JUnit validates, the HTML holds both cells and
# their timelines as headless Chromium builds it.
source "$(dirname "$0")/lib.sh"
need xmllint chromium
debian=$(debian_ami ok)
tiny=$(tiny_ami x86_64 bios ok)

cat >"$WORK/spec.yaml" <<YAML
name: debian and tiny
images: [$debian, $tiny]
matrix:
  user-data:
    - {name: hello, text: "#!/bin/sh\necho ami-run-test-hello \$((6 * 7))\n"}
success: ['ami-run-tiny: ready', 'ami-run-test-hello 42']
must-appear: ['Linux version', 'ami-run-test-hello 42']
must-not-appear: ['Call Trace']
timeout: 300
YAML
T0=$SECONDS
run 0 test "$WORK/spec.yaml" --jobs 2 --junit "$WORK/r.xml" --json "$WORK/r.json" --html "$WORK/r.html"
echo "2 cells took $((SECONDS - T0)) s"
contains "$ERR" "2 cells: 2 passed or flaky, 0 failed"
[ "$(jq -r '[.Cells[].Status] | join(",")' "$WORK/r.json")" = passed,passed ] || fail "statuses"
[ "$(jq -r '[.Cells[0].Attempts[0].Checks[] | .Status] | join(",")' "$WORK/r.json")" = \
    passed,passed,passed,passed ] || fail "Debian's checks: $(jq -c '.Cells[0].Attempts[0].Checks' "$WORK/r.json")"
xmllint --noout --schema "$TOP/tests/data/test/junit.xsd" "$WORK/r.xml" 2>"$WORK/xmllint" ||
    fail "JUnit invalid: $(cat "$WORK/xmllint")"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$WORK/chromium" --dump-dom "file://$WORK/r.html" >"$WORK/dom.html" 2>/dev/null ||
    fail "chromium --dump-dom failed"
[ "$(grep -c '<section class="cell' "$WORK/dom.html")" = 2 ] || fail "DOM cells"
[ "$(grep -o '<svg class="timeline"' "$WORK/dom.html" | wc -l)" = 2 ] || fail "DOM timelines"
ok "Debian + tiny with user data: exit 0, markers found, JUnit valid, HTML with 2 cells and timelines"
