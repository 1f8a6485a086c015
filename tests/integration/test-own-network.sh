#!/usr/bin/env bash
# EXPERIMENTAL own network (AMI_RUN_NET=slirp, docs/network.md), booted for real: the
# tiny image's user data takes a DHCP lease, reads the IMDS at 169.254.169.254, asks the
# Amazon DNS address and the VPC resolver, and fails to reach a host loopback service
# through the router.  Needs ami-run built with libslirp (scripts/install-deps installs
# libslirp-dev); built without it, the test skips, which fails a CI run.
source "$(dirname "$0")/lib.sh"
need python3
export AMI_RUN_NET=slirp
ami=$(tiny_ami x86_64 bios ok)
# A host service on loopback only (it ends by itself if the test dies).
timeout 300 python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 &
server=$!
boot 0 "$ami" --user-data "$(dirname "$0")/own-network-user-data.sh" --until shutdown --timeout 180
grep -q 'is longer than a Unix socket allows\|built without libslirp' <<<"$ERR" && skip "$ERR"
ip=$(sed -n 's/.*spike: lease \([0-9.]*\)\/.*/\1/p' <<<"$OUT" | head -1)
[[ $ip == 172.31.* ]] || fail "no 172.31 lease: $OUT"
contains "$OUT" "spike: lease $ip/255.255.240.0 router 172.31.0.1 dns 172.31.0.2 hostname ip-${ip//./-} domain ec2.internal"
ok "DHCP: a default-VPC-like lease ($ip/20, router .1, resolver .2, hostname)"
contains "$OUT" "spike: imds instance-id=$IID"
contains "$OUT" "spike: imds local-ipv4=$ip"
contains "$OUT" "spike: imds local-hostname=ip-${ip//./-}.ec2.internal"
ok "169.254.169.254:80 is this instance's IMDS"
contains "$OUT" "spike: host-loopback via router 172.31.0.1:18080: [nc: can't connect to remote host (172.31.0.1): Network is unreachable]"
contains "$OUT" "spike: imds:443: [nc: timed out]"
ok "the host's loopback is not reachable through the router; IMDS serves port 80 only"
contains "$OUT" "Server:		169.254.169.253"
ok "DNS through 169.254.169.253 answers from it"
[ ! -e "$STORE/instances/$IID/net.sock" ] && [ ! -e "$STORE/instances/$IID/imds.sock" ] ||
    fail "sockets left in $STORE/instances/$IID"
ok "the sockets are gone after the run"
kill "$server" 2>/dev/null || true
