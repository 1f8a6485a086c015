#!/bin/sh
# User data of tests/integration/test-own-network.sh (the tiny image's busybox).  The test
# puts HOSTIP= (the host's own address, outbound NAT's target) and LISTEN= (serve a
# banner on port 22 and stay up) on line 2 of its copy.
say() { echo "spike: $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
cat >/tmp/udhcpc.sh <<'S'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -z "$router" ] || ip route add default via "${router%% *}" dev "$interface"
    echo "spike: lease $ip/$subnet router $router dns $dns hostname $hostname domain $domain"
    mkdir -p /etc
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    ;;
esac
S
chmod +x /tmp/udhcpc.sh
say "interfaces: $(ls /sys/class/net | tr '\n' ' ')"
if [ ! -e /sys/class/net/eth0 ]; then
    touch /tmp/poweroff
    exit 0
fi
ip link set eth0 up
say "eth0 $(cat /sys/class/net/eth0/address) up at $(up)"
udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 5 -T 1 2>&1 | grep -v '^udhcpc: \(started\|sending\)'
say "dhcp done at $(up)"
say "addr $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([^ ]*\).*/\1/p') route $(ip route | tr '\n' ';')"
# busybox-static's wget segfaults in this initramfs (glibc static, no NSS): HTTP by nc.
TOKEN=
http() {
    if [ -n "$TOKEN" ]; then
        printf 'GET %s HTTP/1.0\r\nHost: %s\r\nX-aws-ec2-metadata-token: %s\r\n\r\n' "$3" "$1" "$TOKEN"
    else
        printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1"
    fi | timeout 8 nc -w 5 "$1" "$2" 2>&1
}
body() { http "$@" | tr -d '\r' | sed '1,/^$/d'; }
md() { body 169.254.169.254 80 "/latest/meta-data/$1"; }
say "imds v1 status: $(http 169.254.169.254 80 /latest/meta-data/instance-id | head -1)"
TOKEN=$(printf 'PUT /latest/api/token HTTP/1.0\r\nHost: 169.254.169.254\r\nX-aws-ec2-metadata-token-ttl-seconds: 300\r\n\r\n' |
    timeout 8 nc -w 5 169.254.169.254 80 | tr -d '\r' | sed '1,/^$/d')
say "imds token ${#TOKEN} bytes"
say "imds instance-id=$(md instance-id) at $(up)"
say "imds local-ipv4=$(md local-ipv4)"
say "imds local-hostname=$(md local-hostname)"
say "imds mac=$(md mac)"
say "imds subnet=$(md network/interfaces/macs/$(cat /sys/class/net/eth0/address)/subnet-ipv4-cidr-block)"
say "imds placement=$(md placement/region) $(md placement/availability-zone)"
say "imds public-keys=$(md public-keys/ | tr '\n' ' ')"
say "imds openssh-key=$(md public-keys/0/openssh-key)"
say "imds user-data sha256 $(body 169.254.169.254 80 /latest/user-data | sha256sum | cut -d' ' -f1)"
say "imds status line: $(http 169.254.169.254 80 /latest/meta-data/ | head -1)"
# The identity document and its three signatures, line by line (the host verifies them).
for f in document pkcs7 rsa2048 signature; do
    body 169.254.169.254 80 "/latest/dynamic/instance-identity/$f" | sed "s/^/iid-$f: /"
    echo
done
say "outbound nat $HOSTIP:18081: [$(http "$HOSTIP" 18081 / | head -1 | tr -d '\r')]"
say "host-loopback via router 172.31.0.1:18080: [$(http 172.31.0.1 18080 / | head -1)] rc=$?"
say "imds:443: [$(http 169.254.169.254 443 / | head -1)]"
say "alias 172.31.15.254:80: [$(http 172.31.15.254 80 / | head -1)]"
say "at $(up)"
say "dns .253: $(timeout 20 nslookup example.com 169.254.169.253 2>&1 | tr '\n' ' ' | cut -c1-160)"
say "dns .2: $(timeout 20 nslookup example.com 172.31.0.2 2>&1 | tr '\n' ' ' | cut -c1-160)"
say "done at $(up)"
if [ -n "$LISTEN" ]; then
    (while :; do echo "SSH-2.0-ami-run-from-guest" | nc -l -p 22; done) &
    (while :; do printf 'HTTP/1.0 200 OK\r\n\r\npublished\r\n' | nc -l -p 80; done) &
    sleep 1
    say "listening on 22 and 80"
else
    touch /tmp/poweroff
fi
