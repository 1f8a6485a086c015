#!/usr/bin/env bash
# The network, IMDS and placement a run records (docs/network.md), seen through
# `run --dry-run` (the same resolve as a boot): the own network is every instance's NIC;
# --connect and AMI_RUN_NET=builtin fall back to QEMU's built-in one; --network,
# --metadata-source, --metadata-options, --publish, --region and the AWS_REGION /
# AWS_DEFAULT_REGION environment; and the refusals, one line each, exit 2.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name network --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")
unset AWS_REGION AWS_DEFAULT_REGION AMI_RUN_NET

q() { jq -r "$1" <<<"$OUT"; }

run 0 run "$ami" --dry-run --ssh-public-key 'ssh-ed25519 AAAAC3Nza test@host' --publish 8080:80
id=$(q .InstanceId)
[ "$(q .Nic)" = own ] || fail "default NIC: $(q .Nic)"
[ "$(q .AmiRun.Network.Mode)/$(q .AmiRun.Network.MetadataSource)" = nat/both ] || fail "defaults: $OUT"
[ "$(q .Instance.Placement.AvailabilityZone)/$(q .AmiRun.Region)" = us-east-1a/us-east-1 ] ||
    fail "placement: $OUT"
ip=$(q .Instance.PrivateIpAddress)
[[ $ip == 172.31.* ]] || fail "PrivateIpAddress $ip"
[ "$(q .Instance.PrivateDnsName)" = "ip-${ip//./-}.ec2.internal" ] || fail "PrivateDnsName: $OUT"
pub=$(q .Instance.PublicIpAddress)
[[ $pub == 127.100.* ]] || fail "PublicIpAddress $pub"
[ "$(q .Instance.PublicDnsName)" = "" ] || fail "PublicDnsName: $OUT"
nic=$(q '.Instance.NetworkInterfaces[0]')
[ "$(jq -r '[.NetworkInterfaceId, .SubnetId, .VpcId, .MacAddress, .PrivateIpAddress, .Association.PublicIp, .PrivateIpAddresses[0].PrivateIpAddress, .Status] | join(" ")' <<<"$nic")" = \
  "eni-${id#i-} subnet-${id#i-} vpc-${id#i-} $(q .Instance.MacAddress) $ip $pub $ip in-use" ] ||
    fail "NetworkInterfaces[0]: $nic"
[ "$(q .Instance.MetadataOptions.HttpTokens)/$(q .Instance.MetadataOptions.HttpEndpoint)/$(q .Instance.MetadataOptions.HttpPutResponseHopLimit)" = optional/enabled/1 ] ||
    fail "MetadataOptions: $OUT"
[ "$(q '.AmiRun.PublicKeys | join(",")')" = 'ssh-ed25519 AAAAC3Nza test@host' ] || fail "PublicKeys: $OUT"
q '.AmiRun.Network.Forwards[]' | jq -e --arg pub "$pub" 'select(.HostIp == $pub and .HostPort == 8080 and .GuestPort == 80)' >/dev/null ||
    fail "--publish 8080:80 not forwarded on $pub: $OUT"
ok "default: own NIC, a default-VPC address, ids shared with the IMDS, us-east-1a, PublicIpAddress $pub"

# AMIs are regional (docs/store.md): the image is copied into each region it runs in.
copy_to() { # REGION
    run 0 --region "$1" copy-image --source-region us-east-1 --source-image-id "$ami" --name network
    jq -r .ImageId <<<"$OUT"
}
run 2 run "$ami" --dry-run --region eu-west-3
contains "$ERR" "InvalidAMIID.NotFound: Image '$ami' does not exist in region 'eu-west-3'"
ami_eu3=$(copy_to eu-west-3) ami_ap=$(copy_to ap-south-1) ami_sa=$(copy_to sa-east-1)
ami_eu1=$(copy_to eu-north-1)
run 0 run "$ami_eu3" --dry-run --region eu-west-3
[ "$(q .Instance.Placement.AvailabilityZone)" = eu-west-3a ] || fail "--region: $OUT"
[[ $(q .Instance.PrivateDnsName) == ip-172-31-*.eu-west-3.compute.internal ]] || fail "domain: $OUT"
AWS_REGION=ap-south-1 AWS_DEFAULT_REGION=sa-east-1 run 0 run "$ami_ap" --dry-run
[ "$(q .AmiRun.Region)" = ap-south-1 ] || fail "AWS_REGION: $OUT"
AWS_DEFAULT_REGION=sa-east-1 run 0 run "$ami_sa" --dry-run
[ "$(q .AmiRun.Region)" = sa-east-1 ] || fail "AWS_DEFAULT_REGION: $OUT"
AWS_REGION=ap-south-1 run 0 --region eu-north-1 run "$ami_eu1" --dry-run
[ "$(q .AmiRun.Region)" = eu-north-1 ] || fail "--region before AWS_REGION: $OUT"
ok "region: --region (a global option), AWS_REGION, AWS_DEFAULT_REGION, us-east-1; zone <region>a; <region>.compute.internal"

run 0 run "$ami" --dry-run --network none
[ "$(q .Nic)" = none ] && [ "$(q .Instance.PrivateIpAddress)" = null ] &&
    [ "$(q .Instance.NetworkInterfaces)" = null ] || fail "--network none: $OUT"
run 0 run "$ami" --dry-run --output xml --network none
! grep -q "interface\|netdev" <<<"$OUT" || fail "--network none has a NIC: $OUT"
run 0 run "$ami" --dry-run --network isolated
[ "$(q .AmiRun.Network.Mode)" = isolated ] || fail "isolated: $OUT"
ok "--network none: no NIC, no addresses; isolated recorded"

AMI_RUN_NET=builtin run 0 run "$ami" --dry-run --output xml
grep -q "<interface type='user'>" <<<"$OUT" || fail "AMI_RUN_NET=builtin: $OUT"
run 0 run "$ami" --dry-run --connect qemu:///nowhere
[ "$(q .Nic)" = builtin ] || fail "--connect NIC: $OUT"
[ "$(grep -c 'no IMDS with --connect; NoCloud only' <<<"$ERR")" = 1 ] || fail "--connect notice: $ERR"
ok "--connect and AMI_RUN_NET=builtin: QEMU's built-in user network, one notice for --connect"

run 0 run "$ami" --dry-run --metadata-source imds
[ "$(q .Seed)" = null ] || fail "--metadata-source imds has a seed: $OUT"
run 0 run "$ami" --dry-run --metadata-source nocloud
[ "$(q .Seed)" != null ] && [ "$(q .AmiRun.Network.MetadataSource)" = nocloud ] || fail "nocloud: $OUT"
ok "--metadata-source imds: no seed; nocloud recorded (the network serves no IMDS)"

run 0 run "$ami" --dry-run --metadata-options HttpTokens=required,HttpPutResponseHopLimit=3,InstanceMetadataTags=enabled
[ "$(q '.Instance.MetadataOptions | [.HttpTokens, .HttpPutResponseHopLimit, .InstanceMetadataTags, .HttpEndpoint, .State] | join(",")')" = required,3,enabled,enabled,applied ] ||
    fail "--metadata-options shorthand: $OUT"
run 0 run "$ami" --dry-run --metadata-options '{"HttpEndpoint":"disabled","HttpPutResponseHopLimit":2}'
[ "$(q '.Instance.MetadataOptions | [.HttpEndpoint, .HttpPutResponseHopLimit, .HttpTokens] | join(",")')" = disabled,2,optional ] ||
    fail "--metadata-options JSON: $OUT"
ok "--metadata-options: shorthand and JSON, EC2's MetadataOptions shape"

refused 2 run "$ami" --dry-run --network bridge
contains "$ERR" "--network must be nat, isolated or none"
refused 2 run "$ami" --dry-run --metadata-source seed
contains "$ERR" "--metadata-source must be both, imds or nocloud"
refused 2 run "$ami" --dry-run --metadata-options HttpTokens=maybe
contains "$ERR" "HttpTokens must be optional or required"
refused 2 run "$ami" --dry-run --metadata-options HttpPutResponseHopLimit=0
contains "$ERR" "HttpPutResponseHopLimit must be a whole number from 1 to 64"
refused 2 run "$ami" --dry-run --metadata-options HttpEndpoint=on
refused 2 run "$ami" --dry-run --metadata-options Bogus=1
contains "$ERR" "unknown option 'Bogus'"
refused 2 run "$ami" --dry-run --metadata-options 'HttpTokens=[a'
for p in 80 0:22 80:70000 a:b 1:2:3; do
    refused 2 run "$ami" --dry-run --publish "$p"
    contains "$ERR" "--publish '$p' must be HOSTPORT:GUESTPORT"
done
for r in 'US East' us-east east-1 '' us--east-1; do
    refused 2 --region "$r" run "$ami" --dry-run
done
AWS_REGION='bad region' refused 2 run "$ami" --dry-run
refused 2 run "$ami" --dry-run --metadata-source imds --network none
refused 2 run "$ami" --dry-run --metadata-source imds --connect qemu:///x
refused 2 run "$ami" --dry-run --network isolated --connect qemu:///x
refused 2 run "$ami" --dry-run --ssh-port 2222 --network none
ok "bad --network, --metadata-source, --metadata-options, --publish, --region: one line, exit 2"
