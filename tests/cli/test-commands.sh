#!/usr/bin/env bash
# The remaining verbs: register-image from flags, import-image, describe filters and
# owners, tags, deprecation, deregister and delete-snapshot, output formats, exit codes.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/a.raw" 2G a
make_disk "$WORK/b.raw" 1G b

run 0 import-snapshot --disk-image "$WORK/a.raw"
snap_a=$(jq -r .SnapshotId <<<"$OUT")
[[ "$snap_a" =~ ^snap-[0-9a-f]{17}$ ]] || fail "new snapshot id '$snap_a' is not snap- + 17 hex"

# register-image from flags: EC2's defaults filled in, VolumeSize from the snapshot.
run 0 register-image --name web-server-1 --architecture x86_64 --root-device-name /dev/xvda \
    --boot-mode uefi --ena-support --tpm-support v2.0 --description "from flags" \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}},
                              {\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeSize\":10,\"VolumeType\":\"gp3\"}}]" \
    --tag-specifications '[{"ResourceType":"image","Tags":[{"Key":"Env","Value":"prod"}]}]'
img1=$(jq -r .ImageId <<<"$OUT")
run 0 describe-images --image-ids "$img1"
img=$(jq '.Images[0]' <<<"$OUT")
[ "$(jq -r '.BlockDeviceMappings[0].Ebs | "\(.VolumeSize) \(.VolumeType) \(.DeleteOnTermination) \(.Encrypted)"' <<<"$img")" = "2 gp2 true false" ] ||
    fail "EBS defaults not filled in: $img"
[ "$(jq -r '"\(.State) \(.OwnerId) \(.RootDeviceType) \(.BootMode) \(.TpmSupport) \(.EnaSupport) \(.ImageLocation)"' <<<"$img")" = \
  "available 000000000000 ebs uefi v2.0 true 000000000000/web-server-1" ] || fail "image members: $img"
ok "register-image from flags fills in EC2's defaults"

run 2 register-image --name web-server-1 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}}]"
contains "$ERR" "already registered"
ok "AMI names are unique per owner"

# Validation through flags: one line, exit 2, store unchanged.
before=$(store_digest)
bad() { run 2 register-image "$@"; one_line_error; [ "$(store_digest)" = "$before" ] || fail "store changed: $*"; }
bdm() { echo "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}},$1]"; }
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"/dev/sdg","Ebs":{"VolumeSize":0,"VolumeType":"gp3"}}')"
contains "$ERR" "ami-run: register-image: BlockDeviceMappings[1] (/dev/sdg): VolumeSize 0 is below 1 GiB for gp3"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"/dev/sdg","Ebs":{"VolumeSize":100,"VolumeType":"st1"}}')"
contains "$ERR" "below 125 GiB for st1"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"/dev/sdg","NoDevice":true}')"
contains "$ERR" "NoDevice must be a string"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"/dev/sdg","NoDevice":"","VirtualName":"ephemeral0"}')"
contains "$ERR" "exactly one of Ebs, VirtualName or NoDevice"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"/dev/../etc","Ebs":{"VolumeSize":1}}')"
contains "$ERR" "not a block device name"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings "$(bdm '{"DeviceName":"sdh","VirtualName":"ephemeral99"}')"
contains "$ERR" "ami-run: register-image: BlockDeviceMappings[1] (sdh): VirtualName 'ephemeral99' is not ephemeral0"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings \
    "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\",\"VolumeSize\":1}}]"
contains "$ERR" "smaller than snapshot $snap_a (2 GiB)"
bad --name n1-image --root-device-name /dev/xvda --boot-mode bios \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}}]"
contains "$ERR" "BootMode 'bios' is not one of legacy-bios, uefi, uefi-preferred"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings '[{"DeviceName":"/dev/xvda",'
contains "$ERR" "--block-device-mappings: line 1, column"
bad --name 'bad<name>' --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}}]"
contains "$ERR" "ami-run: register-image: Name 'bad<name>' must be 3-128 letters"
bad --name n1-image --root-device-name /dev/xvda --block-device-mappings \
    "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-0000000000000aaaa\"}},{\"DeviceName\":\"/dev/xvdb\",\"Ebs\":{\"SnapshotId\":\"snap-0000000000000bbbb\"}}]"
contains "$ERR" "snapshots not in the store: snap-0000000000000aaaa, snap-0000000000000bbbb"
bad --name n1-image
contains "$ERR" "RootDeviceName is required"
bad --name n1-image --bogus-flag x
contains "$ERR" "unknown option '--bogus-flag'"
bad --from-json "$WORK/nope.json"
contains "$ERR" "ami-run: register-image: $WORK/nope.json: cannot read the file"
ok "bad register-image input: exit 2, one line, store unchanged"

# import-image: snapshot + AMI in one step.
run 0 import-image --disk-image "$WORK/b.raw" --architecture arm64 --name arm-box
img2=$(jq -r .ImageId <<<"$OUT")
snap_b=$(jq -r .SnapshotId <<<"$OUT")
run 0 describe-images --image-ids "$img2"
[ "$(jq -r '.Images[0] | "\(.Architecture) \(.Name) \(.BlockDeviceMappings[0].Ebs.SnapshotId) \(.BlockDeviceMappings[0].Ebs.VolumeSize)"' <<<"$OUT")" = \
  "arm64 arm-box $snap_b 1" ] || fail "import-image: $OUT"
ok "import-image registers a snapshot and an AMI"

# describe-images: filters with wildcards, tags, owners.
count() { jq '.Images | length' <<<"$OUT"; }
run 0 describe-images --filters Name=architecture,Values=arm64
[ "$(count)" = 1 ] || fail "architecture filter"
run 0 describe-images --filters Name=name,Values='web-*'
[ "$(count)" = 1 ] || fail "name wildcard"
run 0 describe-images --filters Name=name,Values='web-server-?' Name=boot-mode,Values=uefi
[ "$(count)" = 1 ] || fail "? wildcard with a second filter"
run 0 describe-images --filters Name=name,Values='web-*' Name=architecture,Values=arm64
[ "$(count)" = 0 ] || fail "filters are AND-ed"
run 0 describe-images --filters Name=architecture,Values=arm64,x86_64
[ "$(count)" = 2 ] || fail "values are OR-ed"
run 0 describe-images --filters Name=tag:Env,Values=prod
[ "$(count)" = 1 ] || fail "tag:KEY"
run 0 describe-images --filters Name=tag-key,Values=Env
[ "$(count)" = 1 ] || fail "tag-key"
run 0 describe-images --filters '[{"Name":"state","Values":["available"]}]'
[ "$(count)" = 2 ] || fail "JSON filters"
run 0 describe-images --owners self
[ "$(count)" = 2 ] || fail "owners self"
run 0 describe-images --owners 123456789012
[ "$(count)" = 0 ] || fail "owners other"
run 2 describe-images --filters Name=colour,Values=red
contains "$ERR" "unknown filter name 'colour'"
run 2 describe-images --image-ids ami-00000000000000000
contains "$ERR" "does not exist"
ok "describe-images filters, wildcards, tags and owners"

# Tags on images and snapshots.
run 0 create-tags --resources "$img2" "$snap_b" --tags Key=team,Value=infra Key=Env,Value=dev
[ -z "$OUT" ] || fail "create-tags printed: $OUT"
run 0 describe-images --filters Name=tag:team,Values=infra
[ "$(count)" = 1 ] || fail "create-tags on an image"
run 0 describe-snapshots --filters Name=tag:team,Values=infra
[ "$(jq '.Snapshots | length' <<<"$OUT")" = 1 ] || fail "create-tags on a snapshot"
run 0 create-tags --resources "$img2" --tags Key=team,Value=platform
run 0 describe-images --image-ids "$img2"
[ "$(jq -r '.Images[0].Tags | map(select(.Key=="team"))[0].Value' <<<"$OUT")" = platform ] || fail "overwrite"
before=$(store_digest)
run 2 create-tags --resources "$img2" ami-0000000000000dead --tags Key=x,Value=y
[ "$(store_digest)" = "$before" ] || fail "create-tags with a missing resource changed the store"
run 0 delete-tags --resources "$img2" --tags Key=team,Value=wrong
run 0 describe-images --filters Name=tag-key,Values=team
[ "$(count)" = 1 ] || fail "delete-tags with a different value removed the tag"
run 0 delete-tags --resources "$img2" --tags Key=team
run 0 describe-images --filters Name=tag-key,Values=team
[ "$(count)" = 0 ] || fail "delete-tags by key"
run 0 delete-tags --resources "$snap_b"
run 0 describe-snapshots --snapshot-ids "$snap_b"
[ "$(jq '.Snapshots[0].Tags | length' <<<"$OUT")" = 0 ] || fail "delete-tags without --tags"
ok "create-tags and delete-tags on images and snapshots"

# Deprecation.
run 0 enable-image-deprecation --image-id "$img1" --deprecate-at 2027-03-04T05:06:47Z
contains "$OUT" '"Return": true'
run 0 describe-images --image-ids "$img1"
[ "$(jq -r '.Images[0].DeprecationTime' <<<"$OUT")" = 2027-03-04T05:07:00.000Z ] || fail "rounding: $OUT"
run 2 enable-image-deprecation --image-id "$img1" --deprecate-at tomorrow
run 2 enable-image-deprecation --image-id "$img1" --deprecate-at 2099-01-01T00:00:00Z
contains "$ERR" "10 years"
run 0 disable-image-deprecation --image-id "$img1"
run 0 describe-images --image-ids "$img1"
[ "$(jq '.Images[0] | has("DeprecationTime")' <<<"$OUT")" = false ] || fail "disable"
ok "enable/disable-image-deprecation"

# A second image sharing snap_a; delete-snapshot refused while in use.
run 0 register-image --name web-server-2 --root-device-name /dev/sda1 \
    --block-device-mappings "[{\"DeviceName\":\"/dev/sda1\",\"Ebs\":{\"SnapshotId\":\"$snap_a\"}}]"
img3=$(jq -r .ImageId <<<"$OUT")
run 2 delete-snapshot --snapshot-id "$snap_a"
one_line_error
contains "$ERR" "Snapshot '$snap_a' is in use by"
contains "$ERR" "$img1"
contains "$ERR" "$img3"
ok "delete-snapshot is refused while an AMI refers to it, naming the AMIs"

run 0 deregister-image --image-id "$img1" --delete-associated-snapshots
[ "$(jq -r '.DeleteSnapshotResults[0] | "\(.SnapshotId) \(.ReturnCode)"' <<<"$OUT")" = "$snap_a skipped" ] ||
    fail "shared snapshot not skipped: $OUT"
contains "$ERR" "kept snapshot $snap_a: still used by $img3"
run 0 deregister-image --image-id "$img3" --delete-associated-snapshots
[ "$(jq -r '.DeleteSnapshotResults[0].ReturnCode' <<<"$OUT")" = success ] || fail "$OUT"
[ ! -e "$STORE/snapshots/$snap_a" ] || fail "snapshot file still there"
run 0 deregister-image --image-id "$img2"
run 0 delete-snapshot --snapshot-id "$snap_b"
run 2 delete-snapshot --snapshot-id "$snap_b"
contains "$ERR" "does not exist"
run 0 describe-images
[ "$(count)" = 0 ] || fail "images left"
run 0 describe-snapshots
[ "$(jq '.Snapshots | length' <<<"$OUT")" = 0 ] || fail "snapshots left"
ok "deregister-image keeps shared snapshots and deletes the rest"

# Output formats and the command line itself.
run 0 import-image --disk-image "$WORK/a.raw" --name fmt-test
run 0 --output text describe-images
[[ "$OUT" == IMAGES$'\t'* ]] || fail "text output: $OUT"
run 0 describe-images --output table
[[ "$OUT" == -*$'\n|'*' DescribeImages '*'|'$'\n+'* ]] || fail "no DescribeImages title box: $OUT"
contains "$OUT" "||  Architecture"
run 2 describe-images --output yaml
one_line_error
contains "$ERR" "ami-run: --output 'yaml' is not one of json, table, text"
[ -z "$OUT" ] || fail "a refused --output printed: $OUT"
run 2 frobnicate
one_line_error
contains "$ERR" "ami-run: unknown verb 'frobnicate' (see 'ami-run --help')"
run 0 --help
contains "$OUT" "Usage: ami-run [--store DIR]"
contains "$OUT" "  register-image  "
run 0 describe-images --help
contains "$OUT" "Usage: ami-run describe-images"
contains "$OUT" "--filters"
run 2
contains "$ERR" "Usage: ami-run [--store DIR]"
[ -z "$OUT" ] || fail "no verb: usage must go to stderr, got stdout: $OUT"
ok "output formats, help, unknown verbs: exact messages"

# Store location: --store beats $AMI_RUN_STORE beats XDG_DATA_HOME; the one not chosen
# is left exactly as it was.
before=$(store_digest)
XDG_DATA_HOME=$WORK/xdg AMI_RUN_STORE= "$AMI_RUN" import-image --disk-image "$WORK/b.raw" >/dev/null
[ -d "$WORK/xdg/ami-run/images" ] || fail "XDG_DATA_HOME default"
[ "$(stat -c %a "$WORK/xdg/ami-run")" = 700 ] || fail "store is not 0700"
[ "$(store_digest)" = "$before" ] || fail "an empty \$AMI_RUN_STORE still wrote to $STORE"
XDG_DATA_HOME=$WORK/xdg2 "$AMI_RUN" --store "$WORK/flag" import-image --disk-image "$WORK/b.raw" >/dev/null
[ -d "$WORK/flag/images" ] || fail "--store"
[ "$(store_digest)" = "$before" ] || fail "--store still wrote to \$AMI_RUN_STORE ($STORE)"
[ ! -e "$WORK/xdg2" ] || fail "--store still wrote to \$XDG_DATA_HOME"
[ "$(ls "$WORK/flag/images" | wc -l)" = 1 ] || fail "--store: expected one image in $WORK/flag"
ok "store location: --store, \$AMI_RUN_STORE, \$XDG_DATA_HOME"

# Found by fuzz-filters: invalid UTF-8 in a filter used to abort inside GLib.
run 2 describe-images --filters "$(printf 'Name=name,Values=\xff*')"
one_line_error
contains "$ERR" "not valid UTF-8"
ok "a filter that is not UTF-8: exit 2, one line"
echo "$PASSED passed, 0 failed"
