#!/usr/bin/env bash
# URL imports through libcurl against a local HTTP server on 127.0.0.1: verification,
# progress on a terminal, failures and Ctrl-C that leave nothing behind.
source "$(dirname "$0")/lib.sh"
need python3 script

mkdir -p "$WORK/www"
head -c 8M /dev/urandom >"$WORK/www/disk.raw"
sum=$(sha256sum "$WORK/www/disk.raw" | cut -d' ' -f1)

# A static server, and a slow one that trickles 64 MiB at 256 KiB/s.
cat >"$WORK/serve.py" <<'PY'
import http.server, sys, time, functools
class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(64 << 20))
        self.end_headers()
        for _ in range(256):
            self.wfile.write(b"\0" * 262144)
            time.sleep(1)
    def log_message(self, *a): pass
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
handler = Slow if sys.argv[1] == "slow" else functools.partial(Quiet, directory=sys.argv[2])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
python3 "$WORK/serve.py" static "$WORK/www" >"$WORK/static.port" &
static_pid=$!
python3 "$WORK/serve.py" slow >"$WORK/slow.port" &
slow_pid=$!
trap 'kill $static_pid $slow_pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    [ -s "$WORK/static.port" ] && [ -s "$WORK/slow.port" ] && break
    sleep 0.1
done
url="http://127.0.0.1:$(cat "$WORK/static.port")"
slow="http://127.0.0.1:$(cat "$WORK/slow.port")/disk.raw"

run 0 import-snapshot --disk-image "$url/disk.raw" --sha256 "$sum"
snap=$(jq -r .SnapshotId <<<"$OUT")
# ami-run's own members (AmiRun) show with --debug only (docs/images.md).
run 0 --debug describe-snapshots --snapshot-ids "$snap"
[ "$(jq -r '.Snapshots[0].AmiRun.SourceSha256' <<<"$OUT")" = "$sum" ] || fail "SourceSha256"
[ "$(jq -r '.Snapshots[0].AmiRun.Source' <<<"$OUT")" = "$url/disk.raw" ] || fail "Source"
ok "an http:// import works and verifies --sha256"

before=$(store_digest)
head -c 4M /dev/urandom >"$WORK/www/other.raw"
run 2 import-snapshot --disk-image "$url/other.raw" --sha256 "$sum"
one_line_error
contains "$ERR" "sha256 mismatch"
[ "$(store_digest)" = "$before" ] || fail "a wrong --sha256 changed the store"
[ -z "$(ls -A "$STORE/tmp")" ] || fail "a wrong --sha256 left files in tmp/"
ok "a wrong --sha256 leaves nothing behind"

run 2 import-snapshot --disk-image "$url/missing.raw"
contains "$ERR" "HTTP 404"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run 4 import-snapshot --disk-image "http://127.0.0.1:$port/disk.raw"
one_line_error
run 2 import-snapshot --disk-image "ftp://127.0.0.1/disk.raw"
[ "$(store_digest)" = "$before" ] || fail "a failed download changed the store"
ok "404 is bad input (2), an unreachable server a host problem (4)"

run 0 import-snapshot --disk-image "file://$WORK/www/other.raw"
ok "a file:// URL imports"

script -qfec "$AMI_RUN import-snapshot --disk-image $url/disk.raw --snapshot-id snap-0000000000000tty0" \
    /dev/null >"$WORK/tty.log" 2>&1 || fail "import on a tty failed: $(cat "$WORK/tty.log")"
grep -q "Downloading $url/disk.raw" "$WORK/tty.log" || fail "no progress on a tty: $(cat "$WORK/tty.log")"
grep -q "100%" "$WORK/tty.log" || fail "progress never reached 100%"
run 0 import-snapshot --disk-image "$url/disk.raw"
[[ "$ERR" != *Downloading* ]] || fail "progress printed when stderr is not a terminal"
ok "progress shows on a terminal only"

# Ctrl-C in the middle of a download: exit 130, nothing left.
before=$(store_digest)
"$AMI_RUN" import-snapshot --disk-image "$slow" >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
for _ in $(seq 100); do
    [ -n "$(find "$STORE/tmp" -type f -size +100k 2>/dev/null)" ] && break
    sleep 0.1
done
kill -INT $pid
rc=0
wait $pid || rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C gave exit $rc: $(cat "$WORK/int.err")"
grep -q "Interrupted" "$WORK/int.err" || fail "no interruption message"
[ -z "$(ls -A "$STORE/tmp")" ] || fail "Ctrl-C left files in tmp/"
[ "$(store_digest)" = "$before" ] || fail "Ctrl-C changed the store"
ok "Ctrl-C during a download exits 130 and leaves nothing"

# kill -9: the next command removes what the dead one left.
"$AMI_RUN" import-snapshot --disk-image "$slow" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
    [ -n "$(find "$STORE/tmp" -type f -size +100k 2>/dev/null)" ] && break
    sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null || true
[ -n "$(ls -A "$STORE/tmp")" ] || fail "expected the killed import's work dir"
run 0 describe-images
[ -z "$(ls -A "$STORE/tmp")" ] || fail "the next command did not clean up after kill -9"
ok "after kill -9 the next command cleans up"
echo "$PASSED passed, 0 failed"
