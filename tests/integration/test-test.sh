#!/usr/bin/env bash
# `ami-run test` over the tiny images: BIOS, UEFI and arm64 boots that pass, and the
# panic image as the cell broken on purpose, two at a time (--jobs 2), with a must-appear
# marker every console shows and a must-not-appear one only the panic shows.  Asserts exit 1,
# the JUnit valid against tests/data/test/junit.xsd, the JSON's cells, and the HTML as
# headless Chromium renders it (DOM: every cell and its timeline SVG; a PNG screenshot).
# Then Ctrl-C: a running cell is stopped and nothing of it runs on (exit 130).
source "$(dirname "$0")/lib.sh"
need xmllint chromium
XSD=$TOP/tests/data/test/junit.xsd

bios=$(tiny_ami x86_64 bios ok)
uefi=$(tiny_ami x86_64 uefi ok)
arm=$(tiny_ami arm64 uefi ok)
panic=$(tiny_ami x86_64 bios panic)

cat >"$WORK/spec.yaml" <<YAML
name: tiny golden images
images:
  - $bios
  - id: $uefi
  - $arm
  - $panic
success:
  - 'ami-run-tiny: ready'
must-appear:
  - 'Linux version'
must-not-appear:
  - 'Call Trace'
timeout: 120
YAML

T0=$SECONDS
run 1 test "$WORK/spec.yaml" --jobs 2 --junit "$WORK/r.xml" --json "$WORK/r.json" \
    --html "$WORK/r.html"
echo "matrix of 4 cells took $((SECONDS - T0)) s"
contains "$ERR" "4 cells: 3 passed or flaky, 1 failed"
contains "$ERR" "ami-run: test: 1 of 4 cells failed: c4"
contains "$ERR" "boot failed (root-device-not-found)"
contains "$ERR" "must-not-appear 'Call Trace' failed (marker-present)"
ok "4 cells, --jobs 2: exit 1, the panic cell named with its failure class"

# JSON: every cell, its status, its instance's verdict, the checks.
j() { jq -r "$1" "$WORK/r.json"; }
[ "$(j '.Cells | length')" = 4 ] || fail "JSON cells: $(j '.Cells | length')"
[ "$(j '[.Cells[].Status] | join(",")')" = "passed,passed,passed,failed" ] ||
    fail "JSON statuses: $(j '[.Cells[].Status] | join(",")')"
[ "$(j '.Summary | "\(.Cells) \(.Passed) \(.Flaky) \(.Failed)"')" = "4 3 0 1" ] ||
    fail "JSON summary: $(j .Summary)"
[ "$(j '.Cells[2].Architecture')" = arm64 ] || fail "cell 3 is not the arm64 image"
[ "$(j '.Cells[3].Attempts[-1].Verdict.Class')" = root-device-not-found ] ||
    fail "panic cell verdict: $(j '.Cells[3].Attempts[-1].Verdict')"
[ "$(j '[.Cells[0].Attempts[0].Checks[] | "\(.Kind)=\(.Status)"] | join(",")')" = \
    "boot=passed,must-appear=passed,must-not-appear=passed" ] ||
    fail "cell 1 checks: $(j '.Cells[0].Attempts[0].Checks')"
[ "$(j '.Cells[3].Attempts[0].Checks[0].Type')" = root-device-not-found ] ||
    fail "panic cell boot check: $(j '.Cells[3].Attempts[0].Checks[0]')"
# --jobs 2: never more than two attempts at once, and two did run at once.
most=$(jq '[.Cells[].Attempts[] | [.StartSeconds, .StartSeconds + .Seconds]] as $iv
    | [$iv[] | .[0] as $t | [$iv[] | select(.[0] <= $t and $t < .[1])] | length] | max' "$WORK/r.json")
[ "$most" = 2 ] || fail "--jobs 2: $most attempts ran at once"
for i in 0 1 2 3; do
    iid=$(j ".Cells[$i].Attempts[-1].InstanceId")
    [ "$(state_of "$iid")" = terminated ] || fail "cell $i's instance $iid is $(state_of "$iid")"
    assert_clean "$iid"
    [ -s "$(j ".Cells[$i].Attempts[-1].Console")" ] || fail "cell $i has no console file"
done
grep -q ConsoleText "$WORK/r.json" && fail "console text in the JSON report"
ok "JSON: 4 cells, statuses, the panic verdict, checks, 2 at a time, each instance terminated and clean"

# JUnit: valid against the schema; one testsuite per cell, the failure typed by class.
xmllint --noout --schema "$XSD" "$WORK/r.xml" 2>"$WORK/xmllint" ||
    fail "JUnit does not validate: $(cat "$WORK/xmllint")"
x() { xmllint --xpath "$1" "$WORK/r.xml"; }
[ "$(x 'count(/testsuites/testsuite)')" = 4 ] || fail "testsuites: $(x 'count(/testsuites/testsuite)')"
[ "$(x 'string(/testsuites/@failures)')" = 2 ] || fail "failures: $(x 'string(/testsuites/@failures)')"
[ "$(x 'string(/testsuites/testsuite[4]/testcase[@name="boot"]/failure/@type)')" = \
    root-device-not-found ] || fail "the panic cell's failure type"
contains "$(x 'string(/testsuites/testsuite[1]/testcase[@name="boot"]/system-out)')" 'Linux version'
[ "$(x 'count(/testsuites/testsuite[1]/testcase)')" = 3 ] || fail "cell 1 testcases"
ok "JUnit: valid (xmllint --schema), 4 testsuites, failure type root-device-not-found, console in system-out"

# HTML: self-contained, and what a browser builds from it holds every cell and timeline.
grep -Eq '<script|<link|src="|href="http|url\(' "$WORK/r.html" && fail "the HTML refers outside itself"
chrome() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$WORK/chromium" "$@" 2>>"$WORK/chromium.log"
}
chrome --dump-dom "file://$WORK/r.html" >"$WORK/dom.html" || fail "chromium --dump-dom failed: $(tail -5 "$WORK/chromium.log")"
[ "$(grep -c '<section class="cell' "$WORK/dom.html")" = 4 ] || fail "DOM cells"
[ "$(grep -o '<svg class="timeline"' "$WORK/dom.html" | wc -l)" = 4 ] || fail "DOM timelines"
grep -q '<g class="phase" data-name="command-start">' "$WORK/dom.html" || fail "DOM timeline phases"
for c in c1 c2 c3 c4; do
    grep -q "<tr class=\"cell-row [a-z]*\" data-cell=\"$c\">" "$WORK/dom.html" || fail "matrix row $c"
done
grep -q 'href="#c4-l[0-9]*"' "$WORK/dom.html" || fail "no link to the panic cell's console line"
line=$(grep -m1 -o 'href="#c4-l[0-9]*"' "$WORK/dom.html" | sed 's/.*#\(c4-l[0-9]*\)"/\1/')
grep -q "<span id=\"$line\">" "$WORK/dom.html" || fail "link target $line missing"
(cd "$WORK" && chrome --screenshot="$WORK/r.png" --window-size=1200,2000 "file://$WORK/r.html") ||
    fail "chromium --screenshot failed: $(tail -5 "$WORK/chromium.log")"
[ "$(head -c 8 "$WORK/r.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "no PNG"
ok "HTML: no outside reference; Chromium's DOM has 4 cells, 4 timeline SVGs, console links; PNG rendered"

# Ctrl-C: the running cell is stopped, its instance torn down, exit 130.
rc=0
before=$(ls -d "$STORE"/instances/i-* | sort)
"$AMI_RUN" test --image-id "$bios" --timeout 120 --retries 0 >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
iid=""
for _ in $(seq 300); do
    iid=$(comm -13 <(echo "$before") <(ls -d "$STORE"/instances/i-* | sort) | sed -n 1p)
    iid=${iid##*/}
    [ -n "$iid" ] && [ -n "$(qemus_of "$iid")" ] && break
    sleep 0.1
done
[ -n "$iid" ] && [ -n "$(qemus_of "$iid")" ] || fail "the cell to interrupt never ran QEMU"
kill -INT "$pid"
wait "$pid" || rc=$?
[ "$rc" = 130 ] || fail "interrupted test exited $rc: $(cat "$WORK/int.err")"
[ "$(state_of "$iid")" = terminated ] || fail "interrupted cell's $iid is $(state_of "$iid")"
[ -z "$(qemus_of "$iid")" ] || fail "QEMU of $iid still runs"
[ -z "$(pgrep -f "^$AMI_RUN .*run --image-id=$bios")" ] || fail "a cell's run still runs"
ok "SIGINT while QEMU runs: exit 130, the cell's instance $iid terminated, no QEMU, no run left"
