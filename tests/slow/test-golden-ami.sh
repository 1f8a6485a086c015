#!/usr/bin/env bash
# Issue 12's acceptance: the tutorials' golden-AMI builder (tests/slow/golden-ami-builder.sh,
# written for `aws ec2`) runs against ami-run with only the command name changed, and
# closes the lifecycle: run-instances with --key-name, --tag-specifications and
# --query … --output text; wait instance-running; ssh in with the key; change a file;
# stop-instances; wait instance-stopped; create-image --sysprep with tags and
# --query ImageId --output text; wait image-available; terminate.  Then the new AMI
# boots (run-instances again) and shows the change, with fresh SSH host keys and none of
# the debris sysprep removes; its snapshot is an incremental layer on the base snapshot,
# whose digest is unchanged.  Debian ec2 variant (IMDS only, as real AMIs): 2 boots.
source "$(dirname "$0")/lib.sh"
need ssh ssh-keyscan ssh-keygen sha256sum jq

base=$(debian_ami ec2)
base_snap=$("$AMI_RUN" describe-images --image-ids "$base" \
    --query 'Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' --output text)
sums_before=$(snapshot_sums)
run 0 create-key-pair --key-name golden --query KeyMaterial --output text
printf '%s\n' "$OUT" >"$WORK/golden.pem"
chmod 0600 "$WORK/golden.pem"

# --- the builder, as written for AWS
release=r$RANDOM
if ! image=$(EC2=$AMI_RUN CREATE_IMAGE_OPTS=--sysprep \
    timeout 1200 "$TOP/tests/slow/golden-ami-builder.sh" "$base" golden "$WORK/golden.pem" "$release" \
    2>"$WORK/builder.err"); then
    cat "$WORK/builder.err" >&2
    fail "the golden-AMI builder failed"
fi
[[ $image == ami-* ]] || fail "the builder printed '$image', not an image id"
cat "$WORK/builder.err"
ok "golden-ami-builder.sh ran against ami-run unchanged: $image"
contains "$(cat "$WORK/builder.err")" "is available"

# --- the new image, as EC2 shows it
run 0 describe-images --image-ids "$image"
img=$OUT
[ "$(jq -r '.Images[0].State' <<<"$img")" = available ] || fail "state: $img"
[ "$(jq -r '.Images[0].Name' <<<"$img")" = "golden-$release" ] || fail "name: $img"
[ "$(jq -r '.Images[0].Tags[] | select(.Key=="Release") | .Value' <<<"$img")" = "$release" ] ||
    fail "image tags: $img"
[[ $(jq -r '.Images[0].SourceInstanceId' <<<"$img") == i-* ]] || fail "SourceInstanceId: $img"
[ "$(jq -r '.Images[0].BootMode' <<<"$img")" = uefi ] || fail "BootMode: $img"
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' <<<"$img")
[ "$snap" != "$base_snap" ] || fail "the new image reuses the base snapshot"
run 0 describe-snapshots --snapshot-ids "$snap"
contains "$(jq -r '.Snapshots[0].Description' <<<"$OUT")" "Created by CreateImage(i-"
contains "$(jq -r '.Snapshots[0].Description' <<<"$OUT")" "for $image"
[ "$(jq -r '.Snapshots[0].Tags[] | select(.Key=="Release") | .Value' <<<"$OUT")" = "$release" ] ||
    fail "snapshot tags: $OUT"
# Incremental: the layer holds what the instance changed (plus sysprep's work), not the disk.
layer=$(stat -c %s "$STORE/snapshots/$snap")
full=$(stat -c %s "$STORE/snapshots/$base_snap")
[ "$layer" -lt $((full / 4)) ] || fail "the captured layer is $layer bytes, the base $full"
backing=$(qemu-img info --output=json -U "$STORE/snapshots/$snap" | jq -r '."backing-filename"')
[ "$backing" = "$base_snap" ] || fail "the layer's backing file is '$backing', not '$base_snap'"
[ -z "$(comm -23 <(sort <<<"$sums_before") <(snapshot_sums | sort))" ] ||
    fail "a snapshot that existed before changed: $(snapshot_sums)"
ok "the image carries its name, tags, SourceInstanceId; its snapshot is a ${layer}-byte layer on $base_snap (${full} bytes), unchanged"

# --- launch again from the new image
builder=$(jq -r '.Reservations[0].Instances[0].InstanceId' <<<"$("$AMI_RUN" describe-instances \
    --filters Name=tag:Name,Values="golden-builder-$release")")
[[ $builder == i-* ]] || fail "describe-instances finds no builder instance by its Name tag"
run 0 run-instances --image-id "$image" --instance-type t3.micro --key-name golden \
    --query 'Instances[0].InstanceId' --output text
iid=$OUT
run 0 wait instance-running --instance-ids "$iid"
ip=$("$AMI_RUN" describe-instances --instance-ids "$iid" \
    --query 'Reservations[0].Instances[0].PublicIpAddress' --output text)
ssh_opts=(-i "$WORK/golden.pem" -o BatchMode=yes -o ConnectTimeout=20 -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
said=
for _ in $(seq 60); do
    said=$(ssh "${ssh_opts[@]}" "debian@$ip" \
        'cat golden-release; ls -A; cloud-init status --wait >/dev/null' 2>&1) && break
    sleep 3
done
[ "$(head -1 <<<"$said")" = "$release" ] || fail "the new image does not show the change: $said"
! grep -qx '.bash_history\|.aws' <<<"$said" || fail "sysprep left a history or ~/.aws: $said"
ok "the new AMI boots, ssh -i works, golden-release is '$release', no ~/.aws, no history"

# Fresh host keys: cloud-init prints each instance's host key fingerprints on the console.
fingerprints() {
    "$AMI_RUN" get-console-output --instance-id "$1" --query Output --output text \
        >"$WORK/console-$1" || fail "get-console-output --instance-id $1 failed"
    sed -n '/BEGIN SSH HOST KEY FINGERPRINTS/,/END SSH HOST KEY FINGERPRINTS/p' "$WORK/console-$1" |
        grep -o 'SHA256:[A-Za-z0-9+/]*' | sort -u || true
}
old_fp=$(fingerprints "$builder")
new_fp=$(fingerprints "$iid")
[ -n "$old_fp" ] || { tail -30 "$WORK/console-$builder" >&2; fail "no host key fingerprints on the builder's console"; }
[ -n "$new_fp" ] || { tail -30 "$WORK/console-$iid" >&2; fail "no host key fingerprints on the new instance's console"; }
[ -z "$(comm -12 <(echo "$old_fp") <(echo "$new_fp"))" ] ||
    fail "the new instance has the builder's host keys: $new_fp"
run 0 terminate-instances --instance-ids "$iid"
run 0 wait instance-terminated --instance-ids "$iid"
ok "the new instance's host keys are its own ($(wc -l <<<"$new_fp") fingerprints, none the builder's); terminated"
