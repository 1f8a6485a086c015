#!/usr/bin/env bash
# `ami-run test` with the Debian 12 cloud-init image next to a tiny one (issue 13's
# acceptance: the tiny BIOS/UEFI/arm64 cells and the broken one are in
# tests/integration/test-test.sh): one user data variant both run, whose output is
# Debian's success marker (cloud-init's scripts-user runs it after a login prompt may show),
# both cells pass (exit 0), the JUnit validates, the HTML holds both cells and
# their timelines as headless Chromium builds it.  Then `test --image-id --component` on
# Debian alone: an AWSTOE document whose WebDownload fetches from an HTTP server on the
# host (the guest's network reaches the host's address) with its SHA256 checked, read back
# and asserted; a wrong checksum fails the step (docs/components.md).
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

# --- test --image-id --component: WebDownload on Debian -----------------------------
hostip=$(hostname -I | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.' || true)
[ -n "$hostip" ] || fail "this host has no IPv4 address besides loopback (the download's server)"
mkdir -p "$WORK/www"
echo "golden payload $$" >"$WORK/www/payload.txt"
sum=$(sha256sum "$WORK/www/payload.txt" | cut -d' ' -f1)
(cd "$WORK/www" && exec timeout 600 python3 -m http.server 18093 --bind 0.0.0.0) >/dev/null 2>&1 &
cat >"$WORK/web.yaml" <<YAML
name: web-download
description: WebDownload from the host, checksum checked, read back
schemaVersion: 1.0
phases:
  - name: test
    steps:
      - name: Fetch
        action: WebDownload
        inputs:
          - source: http://$hostip:18093/payload.txt
            destination: /tmp/payload.txt
            checksum: $sum
            algorithm: SHA256
      - name: Read
        action: ReadFile
        inputs:
          path: /tmp/payload.txt
      - name: Check
        action: Assert
        inputs:
          stringEquals: "golden payload $$"
          value: '{{ test.Read.outputs.content }}'
      - name: WrongSum
        action: WebDownload
        onFailure: Continue
        inputs:
          - source: http://$hostip:18093/payload.txt
            destination: /tmp/wrong.txt
            checksum: 0000000000000000000000000000000000000000000000000000000000000000
            algorithm: SHA256
YAML
T0=$SECONDS
run 1 test --image-id "$debian" --component "$WORK/web.yaml" --timeout 400 --json "$WORK/w.json" \
    --junit "$WORK/w.xml"
echo "the component cell took $((SECONDS - T0)) s"
steps=$(jq -c '[.Cells[0].Attempts[-1].Checks[] | select(.Kind == "component") | .Status]' "$WORK/w.json")
[ "$steps" = '["passed","passed","passed","failed"]' ] ||
    fail "WebDownload steps: $steps ($(jq -c '.Cells[0].Attempts[-1].Checks' "$WORK/w.json"))"
xmllint --noout --schema "$TOP/tests/data/test/junit.xsd" "$WORK/w.xml" 2>"$WORK/xmllint" ||
    fail "JUnit invalid: $(cat "$WORK/xmllint")"
ok "test --image-id --component on Debian: WebDownload from the host with its SHA256, read back, asserted; a wrong checksum fails its step"
