#!/usr/bin/env bash
# A guest reaches its own IMDS and nothing of the host's (issue 11), seen from inside
# the tiny image (tests/integration/network-isolation-user-data.sh), the whole test in a
# network namespace of its own with only lo up:
#  (a) the namespace has 169.254.169.254 on an interface with a listener on port 80 (the
#      host's "real" metadata service, as on an EC2 or OpenStack host): the guests' requests
#      to 169.254.169.254 get their own instance's answers and the listener logs nothing;
#  (b) two instances at once, each reading meta-data/instance-id again and again: each
#      gets its own id, never the other's, and reaches nothing of the other by its
#      address (directly, through the router, the IMDS alias);
#  (c) a host listener on 127.0.0.1 is reached by no route the guest tries (the router,
#      10.0.2.2, the resolver, the IMDS address, 127.0.0.1 routed out of eth0).
# The embedded libvirt and QEMU run in that namespace too.  Two tiny boots.
if [ "${AMI_RUN_TEST_NETNS:-}" != inside ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    AMI_RUN_TEST_NETNS=inside exec unshare --net -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
[ "${AMI_RUN_TEST_NETNS:-}" = inside ] || skip "needs root and unshare(1) for a network namespace"
need ip python3 curl
unset AMI_RUN_NET # the own network, as every instance has

# --- the namespace: lo up, 169.254.169.254 on a dummy interface (lo if there is no dummy)
ip link set lo up || fail "ip link set lo up"
if ip link add imds0 type dummy 2>/dev/null; then
    ip link set imds0 up
    ip addr add 169.254.169.254/32 dev imds0 || fail "ip addr add 169.254.169.254 dev imds0"
else
    ip addr add 169.254.169.254/32 dev lo || fail "ip addr add 169.254.169.254 dev lo"
fi
listeners=()
trap 'kill "${listeners[@]}" 2>/dev/null; cleanup_integration' EXIT
listen() { # ADDR PORT NAME: a listener logging to $WORK/NAME.log
    timeout 600 python3 "$(dirname "$0")/listener.py" "$1" "$2" "$WORK/$3.log" "$3-answered" \
        2>"$WORK/$3.err" &
    listeners+=($!)
    for _ in $(seq 50); do grep -qx listening "$WORK/$3.log" 2>/dev/null && break; sleep 0.1; done
    grep -qx listening "$WORK/$3.log" || fail "listener $3 on $1:$2: $(cat "$WORK/$3.err")"
}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
listen 169.254.169.254 80 host-imds
listen 127.0.0.1 "$port" host-loopback
# Both are really there for anything on the host that connects to them (so the test can
# fail): one connection each, which the checks below allow for.
[ "$(curl -s -m 5 http://169.254.169.254/latest/meta-data/instance-id)" = host-imds-answered ] ||
    fail "the namespace's 169.254.169.254:80 listener does not answer"
[ "$(curl -s -m 5 "http://127.0.0.1:$port/")" = host-loopback-answered ] ||
    fail "the namespace's 127.0.0.1:$port listener does not answer"
connections() { grep -c '^connection from' "$WORK/$1.log" || true; }
[ "$(connections host-imds)" = 1 ] && [ "$(connections host-loopback)" = 1 ] ||
    fail "the listeners did not log the host's own check"
ok "network namespace: only lo, 169.254.169.254:80 and 127.0.0.1:$port listen and log"

ami=$(tiny_ami x86_64 bios ok)
# user_data FILE OTHER_IP LOOP: the guest's script with its variables in front.
user_data() {
    {
        printf '#!/bin/sh\nHOSTPORT=%s\nOTHER_IP=%s\nLOOP=%s\n' "$port" "$2" "$3"
        tail -n +2 "$(dirname "$0")/network-isolation-user-data.sh"
    } >"$1"
}
# lines TEXT PREFIX: what follows "iso: PREFIX" on the guest's lines (a kernel message
# may come first on a line).
lines() { tr -d '\r' <<<"$1" | sed -n "s/.*iso: $2//p"; }

# --- A: kept running, reading its instance id every 0.5 s for 150 s
user_data "$WORK/ud-a.sh" "" 150
boot 0 "$ami" --keep --user-data "$WORK/ud-a.sh" --success 'ami-run-tiny: ready' --timeout 180
a=$IID
a_out=$OUT
contains "$ERR" "$a: success after"
contains "$ERR" "kept running"
a_ip=$(lines "$a_out" 'lease ' | sed 's/ .*//' | head -1)
[[ $a_ip == 172.31.* ]] || fail "A: no 172.31 lease: $a_out"
[ "$(lines "$a_out" 'imds instance-id=' | sort -u)" = "$a" ] ||
    fail "A read instance ids other than its own $a: $(lines "$a_out" 'imds instance-id=' | sort -u)"
[ "$(lines "$a_out" 'imds local-ipv4=')" = "$a_ip" ] || fail "A: local-ipv4 is not its $a_ip"
ok "A ($a, $a_ip) reads its own instance-id from 169.254.169.254 in a namespace with a host IMDS"

for p in "router 172.31.0.1:$port" "10.0.2.2:$port" "resolver 172.31.0.2:$port" \
    "169.254.169.254:$port" "routed 127.0.0.1:$port"; do
    got=$(lines "$a_out" "probe $p=" | head -1)
    [ -n "$(lines "$a_out" "probe $p=")" ] || fail "A did not probe $p: $a_out"
    case "$got" in *host-loopback-answered* | *"200 OK"*) fail "A reached the host's 127.0.0.1:$port via $p: $got" ;; esac
done
got=$(lines "$a_out" "probe routed 127.0.0.1:80=")
case "$got" in *host-imds-answered* | *"200 OK"*) fail "A reached the host's 127.0.0.1:80 via a routed 127.0.0.1: $got" ;; esac
tr -d '\r' <<<"$a_out" | grep 'iso: probe ' | sed 's/.*iso: /  A: /'
ok "A: no answer from the host's 127.0.0.1:$port (router, 10.0.2.2, resolver, IMDS address, 127.0.0.1 routed out of eth0)"

# --- B, while A runs: its own id, nothing of A's
cat "$STORE/instances/$a/console.log" >"$WORK/a-before.log"
n_before=$(grep -c 'iso: loop instance-id=' "$WORK/a-before.log" || true)
[ "$n_before" -gt 0 ] || fail "A's background reads did not start: $(tail -5 "$WORK/a-before.log")"
user_data "$WORK/ud-b.sh" "$a_ip" 0
boot 0 "$ami" --user-data "$WORK/ud-b.sh" --success 'ami-run-tiny: ready' --timeout 180
b=$IID
b_out=$OUT
[ "$b" != "$a" ] || fail "two runs got one instance id"
[ "$(state_of "$a")" = running ] || fail "A ($a) is no longer running"
[ "$(lines "$b_out" 'imds instance-id=' | sort -u)" = "$b" ] ||
    fail "B read instance ids other than its own $b: $(lines "$b_out" 'imds instance-id=' | sort -u)"
for p in "other $a_ip:80" "other routed $a_ip:80" "alias 172.31.15.254:80" "router 172.31.0.1:80"; do
    got=$(lines "$b_out" "$p=" | head -1)
    [ -n "$(lines "$b_out" "$p=")" ] || fail "B did not try $p: $b_out"
    case "$got" in *"$a"* | *"200 OK"*) fail "B reached something of A via $p: $got" ;; esac
done
tr -d '\r' <<<"$b_out" | grep -E 'iso: (other|alias|router) ' | sed 's/.*iso: /  B: /'
assert_clean "$b"
# A kept reading while B ran, and only ever got its own id.
log=$STORE/instances/$a/console.log
n_after=$(grep -c 'iso: loop instance-id=' "$log" || true)
[ "$n_after" -gt "$n_before" ] || fail "A's reads did not go on while B ran ($n_before, then $n_after)"
[ "$(tr -d '\r' <"$log" | sed -n 's/.*iso: loop instance-id=//p' | sort -u)" = "$a" ] ||
    fail "A's reads during B's run: $(tr -d '\r' <"$log" | sed -n 's/.*iso: loop instance-id=//p' | sort -u)"
ok "B ($b) alongside A: each reads only its own instance id ($((n_after - n_before)) reads of A's during B's run); A is not reachable from B at $a_ip, through the router or the IMDS alias"

run 0 terminate-instances --instance-ids "$a"
assert_clean "$a"
[ "$(connections host-imds)" = 1 ] ||
    fail "a guest reached the namespace's 169.254.169.254:80: $(cat "$WORK/host-imds.log")"
[ "$(connections host-loopback)" = 1 ] ||
    fail "a guest reached the host's 127.0.0.1:$port: $(cat "$WORK/host-loopback.log")"
ok "the host's 169.254.169.254:80 and 127.0.0.1:$port saw no connection from either guest"
echo "$PASSED passed, 0 failed"
