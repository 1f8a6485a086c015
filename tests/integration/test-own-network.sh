#!/usr/bin/env bash
# The own network (docs/network.md), every instance's NIC, booted for real with the tiny
# image; three boots share the checks.
#  1. foreground, nat, --region eu-west-3, HttpTokens=required, a public key: the DHCP
#     lease, IMDSv2 only (v1 401), the IMDS's user data byte-exact, region and zone,
#     public-keys/0, outbound NAT to the host's own address, no host loopback.
#  2. --keep --network isolated --publish: the supervisor hosts the network; IMDS, DNS
#     and forwarded ports work (PublicIpAddress port 22 as root, and --publish), outbound
#     NAT does not.
#  3. --network none: no NIC at all, no addresses in the record.
# Needs ami-run built with libslirp (scripts/install-deps installs libslirp-dev).
source "$(dirname "$0")/lib.sh"
need python3
# tcp HOST PORT [REQUEST]: what a TCP server there says within 4 s (bash's /dev/tcp).
tcp() {
    timeout 8 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "%b" "$2" >&3; timeout 4 cat <&3' \
        "$1" "$2" "${3:-}" 2>/dev/null | tr -d '\r' || true
}
unset AMI_RUN_NET AWS_REGION AWS_DEFAULT_REGION
ami=$(tiny_ami x86_64 bios ok)
hostip=$(hostname -I | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.' || true)
[ -n "$hostip" ] || skip "this host has no IPv4 address besides loopback (outbound NAT target)"
# A host service on loopback only, and one on every address (it ends by itself if the test dies).
timeout 400 python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 &
timeout 400 python3 -m http.server 18081 --bind 0.0.0.0 >/dev/null 2>&1 &
key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwn5jQ0e6UjBxJzNRaYkGqP1cW8nLr4w1rP9QkQvAsG test@own-network'
user_data() { # HOSTIP and LISTEN on line 2
    sed "1a HOSTIP=$hostip LISTEN=$1" "$(dirname "$0")/own-network-user-data.sh" >"$WORK/ud-$1.sh"
    echo "$WORK/ud-$1.sh"
}

# --- 1. nat, eu-west-3, IMDSv2 required ---------------------------------------------------
# AMIs are regional (docs/store.md): the image boots in eu-west-3 as a copy-image copy,
# whose LastLaunchedTime the launch sets (docs/images.md).
run 0 --region eu-west-3 copy-image --source-region us-east-1 --source-image-id "$ami" --name own-network-eu
ami_eu=$(jq -r .ImageId <<<"$OUT")
run 0 --region eu-west-3 describe-image-attribute --image-id "$ami_eu" --attribute lastLaunchedTime
[ "$(jq -c .LastLaunchedTime <<<"$OUT")" = '{}' ] || fail "a new copy has a LastLaunchedTime: $OUT"
ud=$(user_data "")
boot 0 "$ami_eu" --user-data "$ud" --until shutdown --timeout 240 --region eu-west-3 \
    --metadata-options HttpTokens=required --ssh-public-key "$key"
grep -q 'is longer than a Unix socket allows\|built without libslirp' <<<"$ERR" && skip "$ERR"
ip=$(sed -n 's/.*spike: lease \([0-9.]*\)\/.*/\1/p' <<<"$OUT" | head -1)
[[ $ip == 172.31.* ]] || fail "no 172.31 lease: $OUT"
domain=eu-west-3.compute.internal
contains "$OUT" "spike: lease $ip/255.255.240.0 router 172.31.0.1 dns 172.31.0.2 hostname ip-${ip//./-} domain $domain"
ok "DHCP: a default-VPC-like lease ($ip/20, router .1, resolver .2, hostname, $domain)"
contains "$OUT" "spike: imds v1 status: HTTP/1.1 401 Unauthorized"
contains "$OUT" "spike: imds token 44 bytes"
contains "$OUT" "spike: imds instance-id=$IID"
contains "$OUT" "spike: imds local-ipv4=$ip"
contains "$OUT" "spike: imds local-hostname=ip-${ip//./-}.$domain"
ok "169.254.169.254:80 is this instance's IMDS; HttpTokens=required: v1 401, the token flow works"
contains "$OUT" "spike: imds placement=eu-west-3 eu-west-3a"
contains "$OUT" "spike: imds public-keys=0=ami-run-0"
contains "$OUT" "spike: imds openssh-key=$key"
sum=$(sha256sum "$ud" | cut -d' ' -f1)
contains "$OUT" "ami-run-tiny: user-data sha256 $sum"
contains "$OUT" "spike: imds user-data sha256 $sum"
ok "IMDS: region and zone from --region, public-keys/0 from --ssh-public-key, user-data byte-exact"
# (Not through run: $OUT keeps the console for the checks below.)
launched=$("$AMI_RUN" --region eu-west-3 describe-images --image-ids "$ami_eu" |
    jq -r '.Images[0].LastLaunchedTime')
launch_time=$("$AMI_RUN" --region eu-west-3 describe-instances --instance-ids "$IID" |
    jq -r '.Reservations[0].Instances[0].LaunchTime')
[ "$launched" = "$launch_time" ] || fail "LastLaunchedTime '$launched' is not the launch's '$launch_time'"
[ "$("$AMI_RUN" describe-images --image-ids "$ami" | jq -r '.Images[0].LastLaunchedTime')" = null ] ||
    fail "the source's LastLaunchedTime moved"
ok "the copy of the image boots in eu-west-3; its LastLaunchedTime is the launch time, the source's unset"
# The identity document's signatures verify, as the EC2 guide's openssl commands do, with
# the store's certificates (docs/imds.md).
iid() { sed -n "s/^iid-$1: //p" <<<"$OUT" | tr -d '\r'; }
printf '%s' "$(iid document)" >"$WORK/document"
jq -e --arg id "$IID" --arg ip "$ip" '.instanceId == $id and .privateIp == $ip and
    .region == "eu-west-3" and .availabilityZone == "eu-west-3a" and .architecture == "x86_64"' \
    "$WORK/document" >/dev/null || fail "identity document: $(cat "$WORK/document")"
for sig in pkcs7:dsa rsa2048:rsa; do
    { echo "-----BEGIN PKCS7-----"; iid "${sig%:*}"; echo "-----END PKCS7-----"; } >"$WORK/${sig%:*}"
    openssl smime -verify -in "$WORK/${sig%:*}" -inform PEM -certfile "$STORE/identity/${sig#*:}.crt" \
        -noverify -out "$WORK/verified" 2>"$WORK/verify.err" || fail "${sig%:*}: $(cat "$WORK/verify.err")"
    cmp -s "$WORK/verified" "$WORK/document" || fail "${sig%:*} does not carry the served document"
done
iid signature | base64 -d >"$WORK/signature"
openssl x509 -pubkey -noout -in "$STORE/identity/rsa.crt" >"$WORK/rsa.pub"
[ "$(openssl dgst -sha256 -verify "$WORK/rsa.pub" -signature "$WORK/signature" "$WORK/document")" = "Verified OK" ] ||
    fail "the base64 signature does not verify"
ok "identity document: the record's values; pkcs7, rsa2048 and signature verify with the store's certificates"
contains "$OUT" "spike: outbound nat $hostip:18081: [HTTP/1.0 200 OK]"
contains "$OUT" "spike: host-loopback via router 172.31.0.1:18080: [nc: can't connect to remote host (172.31.0.1): Network is unreachable]"
contains "$OUT" "spike: imds:443: [nc: timed out]"
ok "outbound NAT reaches the host's address; its loopback is not reachable; IMDS serves port 80 only"
contains "$OUT" "Server:		169.254.169.253"
ok "DNS through 169.254.169.253 answers from it"
[ ! -e "$STORE/instances/$IID/net.sock" ] && [ ! -e "$STORE/instances/$IID/imds.sock" ] &&
    [ ! -e "$STORE/instances/$IID/user-data" ] || fail "sockets or user data left in $STORE/instances/$IID"
ok "the sockets and the kept user data are gone after the run"

# --- 2. isolated, supervised, forwarded ports --------------------------------------------
ud=$(user_data 1)
boot 0 "$ami" --user-data "$ud" --keep --network isolated --publish 18082:80 --timeout 240 \
    --success 'spike: listening on 22 and 80'
rec=$("$AMI_RUN" describe-instances --instance-ids "$IID" | jq '.Reservations[0].Instances[0]')
pub=$(jq -r .PublicIpAddress <<<"$rec")
ip=$(jq -r .PrivateIpAddress <<<"$rec")
[[ $pub == 127.100.* ]] || fail "PublicIpAddress: $rec"
[ "$(jq -r '.NetworkInterfaces[0].PrivateIpAddress' <<<"$rec")" = "$ip" ] || fail "NIC: $rec"
contains "$OUT" "spike: lease $ip/255.255.240.0"
contains "$OUT" "spike: imds instance-id=$IID"
contains "$OUT" "spike: imds placement=us-east-1 us-east-1a"
contains "$OUT" "spike: imds user-data sha256 $(sha256sum "$ud" | cut -d' ' -f1)"
[ "$(stat -c %a "$STORE/instances/$IID/user-data")" = 600 ] || fail "user-data is not 0600"
contains "$OUT" "Server:		169.254.169.253"
contains "$OUT" "spike: outbound nat $hostip:18081: [nc: timed out]"
ok "isolated, under the supervisor: IMDS (user data from the instance's 0600 file), DNS; no outbound NAT"
if [ "$(id -u)" = 0 ]; then
    banner=$(tcp "$pub" 22 | head -1)
    [ "$banner" = "SSH-2.0-ami-run-from-guest" ] || fail "$pub:22 gave '$banner'"
    ok "PublicIpAddress $pub port 22 reaches the guest's port 22 (as root)"
fi
page=$(tcp "$pub" 18082 'GET / HTTP/1.0\r\n\r\n' | grep -m1 published || true)
[ "$page" = published ] || fail "--publish 18082:80 on $pub gave '$page'"
ok "--publish 18082:80 reaches the guest's port 80 on $pub"
run 0 terminate-instances --instance-ids "$IID"
for _ in $(seq 50); do [ -z "$(qemus_of "$IID")" ] && break; sleep 0.2; done
[ ! -e "$STORE/instances/$IID/net.sock" ] || fail "net.sock left after terminate"

# --- 3. no network -----------------------------------------------------------------------
ud=$(user_data "")
boot 0 "$ami" --user-data "$ud" --until shutdown --timeout 120 --network none
contains "$OUT" "spike: interfaces: lo "
rec=$("$AMI_RUN" describe-instances --instance-ids "$IID" | jq '.Reservations[0].Instances[0]')
[ "$(jq -r '[.PrivateIpAddress, .PublicIpAddress, .NetworkInterfaces] | map(tostring) | join(" ")' <<<"$rec")" = "null null null" ] ||
    fail "--network none reports addresses: $rec"
ok "--network none: the guest has no NIC, the record no addresses"
