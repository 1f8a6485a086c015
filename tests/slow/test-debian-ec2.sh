#!/usr/bin/env bash
# A Debian 12 AMI configured as real EC2 AMIs are (cloud-init `datasource_list: [ Ec2, None ]`,
# no seed ISO: images/debian variant ec2) boots as it would on EC2 (issue 11):
#  - MIME multipart user data (a #cloud-config part and a #! part) given to `run` reaches
#    cloud-init through the IMDS, `Datasource DataSourceEc2` says so, and the boot takes
#    at most 1.2 times what its NoCloud twin (variant ok, booted here with the same user
#    data and options) takes: no 120 s wait for the metadata service;
#  - inside the guest (tests/slow/debian-ec2-user-data.sh prints, this test judges):
#    IMDSv2 tokens, IMDSv1 refused under --metadata-options HttpTokens=required,
#    instance-id, local-ipv4 equal to the guest's own address, user-data byte-exact, the
#    identity document, and botocore's own IMDS client reading region and identity;
#  - a hostile guest does not reach a service on the host's 127.0.0.1 by any route it
#    tries (the listener logs every connection: there must be none);
#  - with --keep, `ssh -i` with a create-key-pair key to describe-instances'
#    PublicIpAddress port 22 logs in as the image's default user; QEMU does not run as
#    root and keeps its seccomp sandbox.
# One boot of each image: ~2 x 60-90 s under TCG.
source "$(dirname "$0")/lib.sh"
need ssh python3 sha256sum

region=eu-west-1
# AMIs are regional (docs/store.md): register, run and describe all in one region.
export AWS_REGION=$region
ec2=$(debian_ami ec2)
ok=$(debian_ami ok)

# The host service no guest may reach: loopback only, logging every connection.
secret=host-loopback-secret-$RANDOM$RANDOM
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 1700 python3 "$TOP/tests/integration/listener.py" 127.0.0.1 "$port" "$WORK/listener.log" \
    "$secret" 2>"$WORK/listener.err" &
listener=$!
trap 'kill "$listener" 2>/dev/null; cleanup_integration' EXIT
for _ in $(seq 50); do grep -qx listening "$WORK/listener.log" 2>/dev/null && break; sleep 0.1; done
grep -qx listening "$WORK/listener.log" || fail "listener on 127.0.0.1:$port: $(cat "$WORK/listener.err")"

run 0 create-key-pair --key-name ec2test
jq -r .KeyMaterial <<<"$OUT" >"$WORK/key.pem"
chmod 600 "$WORK/key.pem"
grep -q 'PRIVATE KEY' "$WORK/key.pem" || fail "create-key-pair gave no KeyMaterial: $OUT"

# One user data of both kinds, as EC2 users send them: MIME multipart (cloud-init's
# make-mime shape) with a cloud-config part and a shell script part.
ud=$WORK/user-data
{
    printf 'Content-Type: multipart/mixed; boundary="==ec2test=="\nMIME-Version: 1.0\n\n'
    printf -- '--==ec2test==\nContent-Type: text/cloud-config; charset="us-ascii"\n\n'
    printf '#cloud-config\nwrite_files:\n  - path: /run/ec2test.env\n    content: "HOSTPORT=%s\\n"\n' "$port"
    # Quoted whole: a plain YAML scalar cannot hold ": ".
    printf "runcmd:\n  - 'echo \"ec2test: cloud-config runcmd ran as \$(id -un)\"'\n\n"
    printf -- '--==ec2test==\nContent-Type: text/x-shellscript; charset="us-ascii"\n\n'
    cat "$(dirname "$0")/debian-ec2-user-data.sh"
    printf -- '\n--==ec2test==--\n'
} >"$ud"
ud_sha=$(sha256sum <"$ud" | cut -d' ' -f1)
opts=(--user-data "$ud" --region "$region" --metadata-options HttpTokens=required
      --key-name ec2test --timeout 600)

record() { "$AMI_RUN" describe-instances --instance-ids "$1" | jq -r ".Reservations[0]$2"; }
# val NAME: the value the guest printed as "ec2test: NAME=VALUE" (console lines carry
# a kernel or journal prefix and a carriage return).
val() { tr -d '\r' <<<"$OUT" | sed -n "s/.*ec2test: $1=\(.*\)\$/\1/p" | head -1; }
want() {
    local got
    got=$(val "$1")
    [ "$got" = "$2" ] || fail "guest's $1 is '$got', expected '$2'"
}

# --- the NoCloud twin: same user data and options, the seed instead of the IMDS
boot 0 "$ok" "${opts[@]}"
contains "$OUT" "Datasource DataSourceNoCloud"
contains "$OUT" "ec2test: script done at"
twin=$IID
t_twin=$(record "$twin" '.Instances[0].AmiRun.Verdict.Seconds')
assert_clean "$twin"
ok "NoCloud twin (variant ok): success after $t_twin s"

# --- the EC2-configured image
boot 0 "$ec2" "${opts[@]}" --keep
contains "$OUT" "Datasource DataSourceEc2"
contains "$ERR" "$IID: success after"
contains "$ERR" "stage cloud-init-finished, user data ran"
contains "$ERR" "kept running"
contains "$OUT" "ec2test: cloud-config runcmd ran as root"
contains "$OUT" "ec2test: script done at"
t_ec2=$(record "$IID" '.Instances[0].AmiRun.Verdict.Seconds')
awk -v a="$t_ec2" -v b="$t_twin" 'BEGIN { exit !(a <= 1.2 * b) }' ||
    fail "the Ec2 boot took $t_ec2 s, more than 1.2 x the NoCloud twin's $t_twin s"
ok "#cloud-config and #! user data from the IMDS ran, DataSourceEc2, $t_ec2 s (NoCloud twin $t_twin s)"

ip=$(val guest_ipv4)
[[ $ip == 172.31.* ]] || fail "the guest's address is '$ip', not in 172.31.0.0/16"
[ "$(record "$IID" '.Instances[0].PrivateIpAddress')" = "$ip" ] ||
    fail "describe-instances PrivateIpAddress is not the guest's $ip"
[ "$(val token_bytes)" -gt 0 ] 2>/dev/null || fail "no IMDSv2 token: $(val token_bytes)"
want v2_status 200
want v1_status 401
want bad_token_status 401
want ttl_0_status 400
ok "IMDSv2: a PUT token works, IMDSv1 and a bogus token get 401 (HttpTokens=required), TTL 0 is 400"
want instance_id "$IID"
want local_ipv4 "$ip"
want placement_region "$region"
want user_data_sha256 "$ud_sha"
ok "instance-id, local-ipv4 = the guest's own $ip, placement/region, user-data byte-exact"
want doc.instanceId "$IID"
want doc.region "$region"
want doc.availabilityZone "${region}a"
want doc.imageId "$ec2"
want doc.instanceType "$(record "$IID" '.Instances[0].InstanceType')"
want doc.privateIp "$ip"
want doc.accountId "$(record "$IID" '.OwnerId')"
want doc.architecture x86_64
ok "the identity document: instanceId, region, availabilityZone, imageId, instanceType, privateIp, accountId, architecture"
want botocore_region "$region"
want botocore_session_region "$region"
want botocore_token yes
want botocore_doc "$IID $region $ip"
ok "botocore $(val botocore_version): InstanceMetadataRegionFetcher, IMDSRegionProvider and IMDSFetcher (IMDSv2) read region and identity"

# Nothing reached the host's loopback service, whatever the guest tried.
case "$OUT" in *"$secret"*) fail "the guest read the host's 127.0.0.1:$port service" ;; esac
[ "$(grep -vx listening "$WORK/listener.log")" = "" ] ||
    fail "the host's 127.0.0.1:$port was connected to: $(cat "$WORK/listener.log")"
[ "$(tr -d '\r' <<<"$OUT" | sed -n 's/.*ec2test: raw 169.254.169.254:80 answer=//p')" = "tcp flags 0x12" ] ||
    fail "the raw-frame prober's control (a SYN to 169.254.169.254:80) got no SYN-ACK: $(val 'raw[^=]*')"
for dst in 127.0.0.1 0.0.0.0; do
    a=$(tr -d '\r' <<<"$OUT" | sed -n "s/.*ec2test: raw $dst:$port answer=//p" | head -1)
    case "$a" in none | "tcp flags 0x14" | "tcp flags 0x04") ;;
        *) fail "a raw SYN to $dst:$port from the guest got '$a'" ;; esac
done
v6=$(val imds_ipv6)
[ "$v6" = "[$IID]" ] || [[ $v6 == "[curl: "* ]] || fail "[fd00:ec2::254] answered '$v6'"
contains "$OUT" "ec2test: probe 172.31.0.1:$port=[curl: "
ok "the host's 127.0.0.1:$port is unreachable (router, 10.0.2.2, resolver, IMDS address, raw 127.0.0.1 and 0.0.0.0 frames); IPv6 IMDS is off or this instance's"

# --- as on EC2: ssh -i key.pem USER@PublicIpAddress
pub=$(record "$IID" '.Instances[0].PublicIpAddress')
[[ $pub == 127.* ]] || fail "describe-instances PublicIpAddress is '$pub', not a host loopback address"
said=
for _ in $(seq 30); do
    if said=$(ssh -i "$WORK/key.pem" -p 22 -o BatchMode=yes -o ConnectTimeout=20 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        "debian@$pub" 'id -un; cloud-init status' 2>&1); then
        break
    fi
    sleep 3
done
[ "$(head -1 <<<"$said")" = debian ] || fail "ssh -i key.pem debian@$pub: $said"
contains "$said" "status: done"
ok "ssh -i (create-key-pair, run --key-name) debian@$pub: cloud-init status: done"

qpid=$(record "$IID" '.Instances[0].AmiRun.QemuPid')
[ -r "/proc/$qpid/status" ] || fail "QEMU of $IID (pid '$qpid') is not running"
quid=$(awk '/^Uid:/ { print $2 }' "/proc/$qpid/status")
[ "$quid" != 0 ] || fail "QEMU of $IID runs as root"
tr '\0' ' ' <"/proc/$qpid/cmdline" | grep -q -- '-sandbox on' || fail "QEMU of $IID has no -sandbox on"
ok "QEMU runs as uid $quid, with -sandbox on"

run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
[ "$(grep -vx listening "$WORK/listener.log")" = "" ] ||
    fail "the host's 127.0.0.1:$port was connected to: $(cat "$WORK/listener.log")"
ok "terminated, nothing left"
echo "$PASSED passed, 0 failed"
