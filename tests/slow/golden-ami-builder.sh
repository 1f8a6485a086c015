#!/usr/bin/env bash
# The golden-AMI builder of the AWS tutorials (launch, configure, create-image, launch
# again), written for `aws ec2`.  It runs against ami-run with only the command name
# changed: EC2="ami-run" (tests/slow/test-golden-ami.sh does exactly that).
# Usage: golden-ami-builder.sh BASE_AMI KEY_NAME KEY_FILE RELEASE
# Prints the new image's id.  $CREATE_IMAGE_OPTS is added to create-image (empty for AWS).
set -euo pipefail
EC2=${EC2:-aws ec2}
base_ami=$1 key_name=$2 key_file=$3 release=$4
ssh_opts=(-i "$key_file" -o BatchMode=yes -o ConnectTimeout=20 -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)

log() { echo "golden-ami-builder: $(date +%T) $*" >&2; }

instance_id=$($EC2 run-instances --image-id "$base_ami" --instance-type t3.micro \
    --key-name "$key_name" \
    --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=golden-builder-$release}]" \
    --query 'Instances[0].InstanceId' --output text)
log "launched $instance_id"
$EC2 wait instance-running --instance-ids "$instance_id"
ip=$($EC2 describe-instances --instance-ids "$instance_id" \
    --query 'Reservations[0].Instances[0].PublicIpAddress' --output text)
log "$instance_id is running at $ip"

# Configure, once cloud-init is done (as Packer's provisioners wait for it): what a
# provisioning step does (here: a release stamp, and the debris a session leaves that
# an image must not carry).
for _ in $(seq 60); do
    ssh "${ssh_opts[@]}" "debian@$ip" true 2>/dev/null && break
    sleep 3
done
ssh "${ssh_opts[@]}" "debian@$ip" \
    "cloud-init status --wait >/dev/null; echo $release > golden-release && mkdir -p .aws && echo secret > .aws/credentials && echo 'ls' > .bash_history && sync"
log "configured $instance_id"

$EC2 stop-instances --instance-ids "$instance_id" >/dev/null
$EC2 wait instance-stopped --instance-ids "$instance_id"
log "$instance_id is stopped"

# shellcheck disable=SC2086  # CREATE_IMAGE_OPTS is a list of words
image_id=$($EC2 create-image --instance-id "$instance_id" --name "golden-$release" \
    --description "Golden image $release" ${CREATE_IMAGE_OPTS:-} \
    --tag-specifications "ResourceType=image,Tags=[{Key=Release,Value=$release}]" \
    "ResourceType=snapshot,Tags=[{Key=Release,Value=$release}]" \
    --query ImageId --output text)
log "creating $image_id"
$EC2 wait image-available --image-ids "$image_id"
log "$image_id is available"

$EC2 terminate-instances --instance-ids "$instance_id" >/dev/null
$EC2 wait instance-terminated --instance-ids "$instance_id"
log "$instance_id is terminated"
echo "$image_id"
