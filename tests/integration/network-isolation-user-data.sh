#!/bin/sh
# User data of tests/integration/test-network-isolation.sh (the tiny image's busybox).
# The test puts variables in front of this body: HOSTPORT (a host service on 127.0.0.1
# only), OTHER_IP (the other instance's address, or empty) and LOOP (seconds to keep
# reading the IMDS, in the background, after the user data is done).  It prints
# "iso: …" lines; the test judges them.
say() { echo "iso: $*"; }
cat >/tmp/udhcpc.sh <<'S'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -z "$router" ] || ip route add default via "${router%% *}" dev "$interface"
    echo "iso: lease $ip router $router"
    ;;
esac
S
chmod +x /tmp/udhcpc.sh
ip link set eth0 up
udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 5 -T 1 2>&1 | grep -v '^udhcpc: \(started\|sending\)'
gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
# busybox-static's wget segfaults in this initramfs (glibc static, no NSS): HTTP by nc.
http() { printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" | timeout 6 nc -w 3 "$1" "$2" 2>&1; }
body() { http "$@" | tr -d '\r' | sed '1,/^$/d'; }
first() { http "$@" | tr -d '\r' | tr '\n' ' ' | cut -c1-120; }

for _ in 1 2 3 4 5; do
    say "imds instance-id=$(body 169.254.169.254 80 /latest/meta-data/instance-id)"
done
say "imds local-ipv4=$(body 169.254.169.254 80 /latest/meta-data/local-ipv4)"

# The host's loopback service, by every route a hostile guest has.
say "probe router $gw:$HOSTPORT=[$(first "$gw" "$HOSTPORT" /)]"
say "probe 10.0.2.2:$HOSTPORT=[$(first 10.0.2.2 "$HOSTPORT" /)]"
say "probe resolver 172.31.0.2:$HOSTPORT=[$(first 172.31.0.2 "$HOSTPORT" /)]"
say "probe 169.254.169.254:$HOSTPORT=[$(first 169.254.169.254 "$HOSTPORT" /)]"
# lo is down and has no address here, so 127.0.0.0/8 is not local: send it to the
# router (route_localnet lets the kernel put a loopback destination on the wire).
echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet
echo 1 >/proc/sys/net/ipv4/conf/eth0/route_localnet
ip route add 127.0.0.0/8 via "$gw" dev eth0 2>&1 | sed 's/^/iso: route: /'
say "probe routed 127.0.0.1:$HOSTPORT=[$(first 127.0.0.1 "$HOSTPORT" /)]"
say "probe routed 127.0.0.1:80=[$(first 127.0.0.1 80 /latest/meta-data/instance-id)]"

# The other instance's metadata service and guest, by any address.
if [ -n "$OTHER_IP" ]; then
    say "other $OTHER_IP:80=[$(first "$OTHER_IP" 80 /latest/meta-data/instance-id)]"
    ip route add "$OTHER_IP/32" via "$gw" dev eth0 2>&1 | sed 's/^/iso: route: /'
    say "other routed $OTHER_IP:80=[$(first "$OTHER_IP" 80 /latest/meta-data/instance-id)]"
fi
say "alias 172.31.15.254:80=[$(first 172.31.15.254 80 /latest/meta-data/instance-id)]"
say "router $gw:80=[$(first "$gw" 80 /latest/meta-data/instance-id)]"

# Keep reading our own instance id while the other instance runs (in the background:
# the init goes on to "ready", the test keeps this instance with --keep).
[ "${LOOP:-0}" -gt 0 ] && (
    end=$(($(cut -d. -f1 /proc/uptime) + LOOP))
    while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
        say "loop instance-id=$(body 169.254.169.254 80 /latest/meta-data/instance-id)"
        sleep 0.5
    done
    say "loop done"
) &
sleep 1
say "user data done"
