#!/bin/sh
# User data of tests/integration/test-own-network.sh (the tiny image's busybox).
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
ip link set eth0 up
say "eth0 $(cat /sys/class/net/eth0/address) up at $(up)"
udhcpc -i eth0 -s /tmp/udhcpc.sh -q -n -t 5 -T 1 2>&1 | grep -v '^udhcpc: \(started\|sending\)'
say "dhcp done at $(up)"
say "addr $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([^ ]*\).*/\1/p') route $(ip route | tr '\n' ';')"
# busybox-static's wget segfaults in this initramfs (glibc static, no NSS): HTTP by nc.
http() { printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" | timeout 8 nc -w 5 "$1" "$2" 2>&1; }
body() { http "$@" | tr -d '\r' | sed '1,/^$/d'; }
say "imds instance-id=$(body 169.254.169.254 80 /latest/meta-data/instance-id) at $(up)"
say "imds local-ipv4=$(body 169.254.169.254 80 /latest/meta-data/local-ipv4)"
say "imds local-hostname=$(body 169.254.169.254 80 /latest/meta-data/local-hostname)"
say "imds mac=$(body 169.254.169.254 80 /latest/meta-data/mac)"
say "imds subnet=$(body 169.254.169.254 80 /latest/meta-data/network/interfaces/macs/$(cat /sys/class/net/eth0/address)/subnet-ipv4-cidr-block)"
say "imds status line: $(http 169.254.169.254 80 /latest/meta-data/ | head -1)"
say "host-loopback via router 172.31.0.1:18080: [$(http 172.31.0.1 18080 / | head -1)] rc=$?"
say "10.0.2.2:18080: [$(http 10.0.2.2 18080 / | head -1)]"
say "imds:443: [$(http 169.254.169.254 443 / | head -1)]"
say "alias 172.31.15.254:80: [$(http 172.31.15.254 80 / | head -1)]"
say "at $(up)"
say "dns .253: $(nslookup example.com 169.254.169.253 2>&1 | tr '\n' ' ' | cut -c1-160)"
say "dns .2: $(nslookup example.com 172.31.0.2 2>&1 | tr '\n' ' ' | cut -c1-160)"
say "done at $(up)"
touch /tmp/poweroff
