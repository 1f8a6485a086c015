#!/bin/bash
# User data of tests/slow/test-debian-ec2.sh: the shell part of its MIME multipart (the
# cloud-config part writes /run/ec2test.env with HOSTPORT, a port on which the host
# listens on 127.0.0.1 only).  It checks nothing itself: it prints "ec2test: NAME=VALUE"
# lines, and the test compares them with what the host knows.  It never stops early:
# every line is printed, whatever failed before it.
say() { echo "ec2test: $*"; }
say "script started at $(cut -d' ' -f1 /proc/uptime)"
# shellcheck disable=SC1091
. /run/ec2test.env
imds=http://169.254.169.254
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }

# IMDSv2, as the EC2 user guide shows it: PUT a token, GET with it.
tok=$(curl -sS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token")
say "token_bytes=${#tok}"
say "v1_status=$(code "$imds/latest/meta-data/instance-id")"
say "v2_status=$(code -H "X-aws-ec2-metadata-token: $tok" "$imds/latest/meta-data/instance-id")"
say "bad_token_status=$(code -H 'X-aws-ec2-metadata-token: AAAAbogus' "$imds/latest/meta-data/instance-id")"
say "ttl_0_status=$(code -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 0' "$imds/latest/api/token")"
get() { curl -sS -m 5 -H "X-aws-ec2-metadata-token: $tok" "$imds/latest/$1"; }
say "instance_id=$(get meta-data/instance-id)"
say "local_ipv4=$(get meta-data/local-ipv4)"
say "placement_region=$(get meta-data/placement/region)"
dev=$(ip -4 route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1)
gw=$(ip -4 route show default | sed -n 's/.* via \([0-9.]*\).*/\1/p' | head -1)
me=$(ip -4 -o addr show dev "$dev" scope global | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -1)
say "guest_dev=$dev gateway=$gw"
say "guest_ipv4=$me"
say "hostname=$(hostname -f 2>/dev/null || hostname)"
# Byte-exact: the test compares this with the sha256 of the file it gave to `run`.
say "user_data_sha256=$(get user-data | sha256sum | cut -d' ' -f1)"
get dynamic/instance-identity/document >/run/ec2test-doc.json
python3 - <<'PY'
import json
try:
    d = json.load(open("/run/ec2test-doc.json"))
except ValueError as e:
    d = {}
    print("ec2test: doc.error=%s" % e)
for k in ("instanceId", "region", "availabilityZone", "imageId", "instanceType",
          "privateIp", "accountId", "architecture"):
    print("ec2test: doc.%s=%s" % (k, d.get(k)))
PY

# botocore's own IMDS client (what the AWS CLI and boto3 use on an instance), IMDSv2.
python3 - <<'PY'
import json
import botocore
import botocore.session
import botocore.utils as u
print("ec2test: botocore_version=%s" % botocore.__version__)
print("ec2test: botocore_region=%s" % u.InstanceMetadataRegionFetcher(timeout=5).retrieve_region())
print("ec2test: botocore_session_region=%s" %
      u.IMDSRegionProvider(botocore.session.get_session()).provide())
f = u.IMDSFetcher(timeout=5)
tok = f._fetch_metadata_token()
print("ec2test: botocore_token=%s" % ("yes" if tok else "no"))
try:
    r = f._get_request("latest/dynamic/instance-identity/document", None, tok)
    doc = json.loads(r.text)
    print("ec2test: botocore_doc=%s %s %s" % (doc.get("instanceId"), doc.get("region"),
                                             doc.get("privateIp")))
except Exception as e:
    print("ec2test: botocore_doc=error %r" % e)
PY

# What a hostile guest would try to reach the host's loopback service.  The host's
# listener answers a secret and logs every connection: the test wants neither.
probe() { say "probe $1=[$(curl -sS -m 4 "http://$1/" 2>&1 | head -c 160 | tr '\r\n' '  ')]"; }
probe "$gw:$HOSTPORT"
probe "10.0.2.2:$HOSTPORT"
probe "172.31.0.2:$HOSTPORT"
probe "169.254.169.254:$HOSTPORT"
say "imds_ipv6=[$(curl -g -sS -m 4 "http://[fd00:ec2::254]/latest/meta-data/instance-id" 2>&1 | head -c 160 | tr '\r\n' '  ')]"
# Raw frames: a TCP SYN to 127.0.0.1 and 0.0.0.0 sent out of the NIC to the router's MAC
# (the guest kernel would never route these); the stack must not connect them on the host.
# The same SYN to 169.254.169.254:80 is the control: the IMDS answers it (SYN-ACK, 0x12).
python3 - "$dev" "$me" "$gw" "$HOSTPORT" <<'PY'
import random, select, socket, struct, sys, time
dev, me, gw, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
mine = bytes.fromhex(open("/sys/class/net/%s/address" % dev).read().strip().replace(":", ""))
gwmac = None
for line in open("/proc/net/arp").read().splitlines()[1:]:
    f = line.split()
    if f[0] == gw:
        gwmac = bytes.fromhex(f[3].replace(":", ""))
if gwmac is None:
    print("ec2test: raw=no ARP entry for %s" % gw)
    sys.exit(0)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((dev, 0))
for dst, dport in (("169.254.169.254", 80), ("127.0.0.1", port), ("0.0.0.0", port)):
    sport = random.randint(20000, 60000)
    src, d = socket.inet_aton(me), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0, 5 << 4, 0x02,
                      64240, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(src + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000,
                     64, 6, 0, src, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    answer = "none"
    for _ in range(2):
        s.send(gwmac + mine + b"\x08\x00" + ip + tcp)
        end = time.time() + 2
        while answer == "none" and time.time() < end:
            if not select.select([s], [], [], 0.2)[0]:
                continue
            fr = s.recv(2048)
            if len(fr) < 54 or fr[23] != 6 or fr[26:30] != d:
                continue
            ihl = (fr[14] & 15) * 4
            sp, dp = struct.unpack("!HH", fr[14 + ihl:18 + ihl])
            if sp == dport and dp == sport:
                answer = "tcp flags 0x%02x" % fr[14 + ihl + 13]
        if answer != "none":
            break
    print("ec2test: raw %s:%d answer=%s" % (dst, dport, answer))
PY
say "script done at $(cut -d' ' -f1 /proc/uptime)"
