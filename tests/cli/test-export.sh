#!/usr/bin/env bash
# export-image (docs/export.md): the root volume as stream-optimized VMDK, RAW or dynamic
# VHD, where EC2 would put the S3 object or at --output-file; the same disk comes back
# when imported; bad input is one line, exit 2 (4 for the host), the store unchanged
# and nothing left on disk; Ctrl-C leaves no partial file.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G export-marker
printf 'data-volume' | dd of="$WORK/root.raw" bs=1M seek=700 conv=notrunc status=none
make_disk "$WORK/data.raw" 64M data-marker

run 0 import-image --disk-image "$WORK/root.raw" --name export-test
ami=$(jq -r .ImageId <<<"$OUT")
snap=$(jq -r .SnapshotId <<<"$OUT")
snap_file=$STORE/snapshots/$snap
run 0 import-snapshot --disk-image "$WORK/data.raw"
data_snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name export-two-volumes --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}},
        {\"DeviceName\":\"/dev/sdb\",\"Ebs\":{\"SnapshotId\":\"$data_snap\"}},
        {\"DeviceName\":\"/dev/sdc\",\"VirtualName\":\"ephemeral0\"}]"
two=$(jq -r .ImageId <<<"$OUT")

out=$WORK/exports
mkdir "$out"
cd "$out"

# The store without export-image-tasks/, the records export-image keeps there.
store_digest_but_tasks() {
    (cd "$STORE" && find . -path ./export-image-tasks -prune -o -printf '%p %m %s\n' | sort &&
        find . -path ./export-image-tasks -prune -o -type f -exec sha256sum {} + | sort) | sha256sum
}

# refused RC ARGS...: exit RC, one line, the store and the output directory unchanged.
refused() {
    local want=$1 before files
    shift
    before=$(store_digest)
    files=$(find "$out" -printf '%p %s\n' | sort)
    run "$want" "$@"
    one_line_error
    [ "$(store_digest)" = "$before" ] || fail "the store changed: $*"
    [ "$(find "$out" -printf '%p %s\n' | sort)" = "$files" ] || fail "files left in $out: $*"
}

# --- each format: the file VM Import takes, the same disk, the store untouched ----------
declare -A qemu_fmt=([VMDK]=vmdk [RAW]=raw [VHD]=vpc)
declare -A ext=([VMDK]=vmdk [RAW]=raw [VHD]=vhd)
before=$(store_digest_but_tasks)
tasks=()
for f in VMDK RAW VHD; do
    run 0 export-image --image-id "$ami" --disk-image-format "$f"
    task=$(jq -r .ExportImageTaskId <<<"$OUT")
    [[ $task =~ ^export-ami-[0-9a-f]{17}$ ]] || fail "ExportImageTaskId '$task'"
    tasks+=("$task")
    json_eq "$(jq 'del(.ExportImageTaskId)' <<<"$OUT")" \
        "{\"DiskImageFormat\":\"$f\",\"ImageId\":\"$ami\",\"Progress\":\"100\",\"Status\":\"completed\"}" ||
        fail "ExportImageResult: $OUT"
    file=$out/$task.${ext[$f]}
    contains "$ERR" "wrote '$file'"
    info=$(qemu-img info --output=json -f "${qemu_fmt[$f]}" "$file")
    [ "$(jq -r '."virtual-size"' <<<"$info")" = $((1 << 30)) ] || fail "$f: size changed: $info"
    qemu-img compare -q -f qcow2 -F "${qemu_fmt[$f]}" "$snap_file" "$file" ||
        fail "$f: the exported disk differs from the snapshot"
    [ -z "$(find "$out" -name '.*part')" ] || fail "$f: a temporary file is left"
done
[ "$(qemu-img info --output=json -f vmdk "$out"/*.vmdk | jq -r '."format-specific".data."create-type"')" = streamOptimized ] ||
    fail "the VMDK is not stream-optimized"
[ "$(store_digest_but_tasks)" = "$before" ] || fail "export-image wrote into the store"
ok "VMDK (streamOptimized), RAW and VHD: the snapshot's disk, exact size, only a task record stored"

# --- describe-export-image-tasks: EC2's ExportImageTask shape, this region's -------------
run 0 describe-export-image-tasks
[ "$(jq -r '[.ExportImageTasks[].ExportImageTaskId] | sort | join(" ")' <<<"$OUT")" = \
    "$(printf '%s\n' "${tasks[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" ] || fail "tasks: $OUT"
# Only members botocore's ExportImageTask has.
jq -e '[.ExportImageTasks[] | keys[]] - ["Description","ExportImageTaskId","ImageId","Progress",
    "S3ExportLocation","Status","StatusMessage","Tags"] == []' <<<"$OUT" >/dev/null ||
    fail "members ExportImageTask does not have: $OUT"
run 0 describe-export-image-tasks --export-image-task-ids "${tasks[1]}"
json_eq "$OUT" "{\"ExportImageTasks\":[{\"ExportImageTaskId\":\"${tasks[1]}\",\"ImageId\":\"$ami\",\"Progress\":\"100\",\"Status\":\"completed\"}]}" ||
    fail "one task: $OUT"
run 0 --region eu-west-1 describe-export-image-tasks
json_eq "$OUT" '{"ExportImageTasks":[]}' || fail "another region sees tasks: $OUT"
refused 2 describe-export-image-tasks --export-image-task-ids export-ami-0000000000000dead
contains "$ERR" "InvalidExportImageTaskId.NotFound"
refused 2 describe-export-image-tasks --export-image-task-ids ../x
ok "describe-export-image-tasks: ExportImageTask shape, by id, per region; unknown id exit 2"

# Imported again, each is the very disk it came from (the same qcow2 sha256: stored once).
for f in "$out"/export-ami-*; do
    run 0 import-snapshot --disk-image "$f"
    [ "$(jq -r .SnapshotId <<<"$OUT")" = "$snap" ] || fail "re-import of $f is a new disk: $OUT $ERR"
    contains "$ERR" "identical to snapshot $snap"
done
ok "import-snapshot of each exported file gives back the original snapshot (same sha256)"
rm -f "$out"/export-ami-*

# --- where the file goes ----------------------------------------------------------------
mkdir bkt
run 0 export-image --image-id "$ami" --disk-image-format VMDK \
    --s3-export-location S3Bucket=bkt,S3Prefix=golden/2024/ --description "nightly"
task=$(jq -r .ExportImageTaskId <<<"$OUT")
[ -f "bkt/golden/2024/$task.vmdk" ] || fail "not at bkt/golden/2024/$task.vmdk: $(find bkt)"
json_eq "$(jq -c '[.S3ExportLocation, .Description]' <<<"$OUT")" '[{"S3Bucket":"bkt","S3Prefix":"golden/2024/"},"nightly"]' ||
    fail "S3ExportLocation/Description: $OUT"
run 0 export-image --image-id "$ami" --disk-image-format RAW --s3-export-location '{"S3Bucket":"bkt","S3Prefix":"x-"}'
task=$(jq -r .ExportImageTaskId <<<"$OUT")
[ -f "bkt/x-$task.raw" ] || fail "the prefix is not taken literally: $(find bkt)"
mkdir dir
run 0 export-image --image-id "$ami" --disk-image-format VHD --output-file dir
task=$(jq -r .ExportImageTaskId <<<"$OUT")
[ -f "dir/$task.vhd" ] || fail "--output-file DIR: not in it: $(find dir)"
ok "BUCKET/PREFIXexport-ami-….EXT (prefix literal, its directories made), --output-file DIR"

# --- an existing file: refused, kept; --overwrite replaces it ---------------------------
echo precious >keep.raw
refused 2 export-image --image-id "$ami" --disk-image-format RAW --output-file keep.raw
contains "$ERR" "ami-run: export-image: '$out/keep.raw' exists (--overwrite replaces it)"
[ "$(cat keep.raw)" = precious ] || fail "the existing file changed"
run 0 export-image --image-id "$ami" --disk-image-format RAW --output-file keep.raw --overwrite
qemu-img compare -q -f qcow2 -F raw "$snap_file" keep.raw || fail "--overwrite did not write the disk"
ok "an existing file is refused (exit 2, unchanged) unless --overwrite"

# --- ClientToken: the same request again is the same task; other parameters are refused --
run 0 export-image --image-id "$ami" --disk-image-format RAW --client-token tok-1 --output-file tok.raw
first=$OUT
rm tok.raw # EC2 does not look at the bucket either: the task is what is remembered
run 0 export-image --image-id "$ami" --disk-image-format RAW --client-token tok-1 --output-file tok.raw
json_eq "$OUT" "$first" || fail "the same ClientToken gave another result: $first / $OUT"
contains "$ERR" "the ClientToken was used by $(jq -r .ExportImageTaskId <<<"$first")"
[ ! -e tok.raw ] || fail "the repeated request exported again"
refused 2 export-image --image-id "$ami" --disk-image-format VMDK --client-token tok-1
contains "$ERR" "IdempotentParameterMismatch: ClientToken 'tok-1' was used by"
ok "ClientToken: a repeated request returns the first task and writes nothing; other parameters exit 2"

# --- other volumes: named, not written ----------------------------------------------------
run 0 export-image --image-id "$two" --disk-image-format RAW --output-file two.raw
contains "$ERR" "/dev/sdb not exported: export-image writes the root volume only"
[ "$(grep -c 'not exported' <<<"$ERR")" = 1 ] || fail "only the EBS data volume is named: $ERR"
qemu-img compare -q -f qcow2 -F raw "$snap_file" two.raw || fail "two volumes: the root is not the file"
ok "an image with a data volume: the root is exported, the data volume named in a notice"

# --- a snapshot that is a qcow2 layer over its parent (capture's chains): followed -------
# Planted as create-image will store it: backing file relative to snapshots/, format pinned.
child=snap-0c0c0c0c0c0c0c0c1
qemu-img create -q -f qcow2 -b "$snap" -F qcow2 "$STORE/snapshots/$child"
qemu-io -f qcow2 -c 'write -P 0x41 1M 64k' "$STORE/snapshots/$child" >/dev/null
jq --arg id "$child" --arg p "$snap" '.SnapshotId = $id | .AmiRun.Parent = $p' \
    "$STORE/snapshots/$snap.json" >"$STORE/snapshots/$child.json"
chmod 0400 "$STORE/snapshots/$child"
run 0 register-image --name export-chain --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$child\"}}]"
chain=$(jq -r .ImageId <<<"$OUT")
run 0 export-image --image-id "$chain" --disk-image-format VMDK --output-file chain.vmdk
qemu-img compare -q -f qcow2 -F vmdk "$STORE/snapshots/$child" chain.vmdk || fail "the chain's disk is not the file"
[ "$(qemu-img info --output=json -f vmdk chain.vmdk | jq -r '."backing-filename" // "none"')" = none ] ||
    fail "the exported VMDK names a backing file"
qemu-img convert -f vmdk -O raw chain.vmdk chain.raw
[ "$(dd if=chain.raw bs=1M skip=1 count=1 status=none | head -c 4)" = AAAA ] || fail "the layer's data is missing"
[ "$(head -c 13 chain.raw)" = export-marker ] || fail "the parent's data is missing"
rm -f chain.vmdk chain.raw
ok "a snapshot layered over its parent (qcow2 backing chain): exported whole, one self-contained file"

# --- dry run: everything checked, nothing written ----------------------------------------
run 0 export-image --image-id "$ami" --disk-image-format VMDK --dry-run --s3-export-location S3Bucket=bkt,S3Prefix=dry/
contains "$ERR" "DryRunOperation: Request would have succeeded, but DryRun flag is set"
[ -z "$OUT" ] && [ ! -e bkt/dry ] || fail "--dry-run wrote something: $OUT $(find bkt)"
refused 2 export-image --image-id "$ami" --disk-image-format VMDK --dry-run --output-file keep.raw
ok "--dry-run: checks (an existing file is still refused), writes nothing"

# --- bad input: exit 2 (4 for the host), one line, nothing changed -------------------------
refused 2 export-image --image-id ami-0000000000000dead --disk-image-format RAW
contains "$ERR" "Image 'ami-0000000000000dead' does not exist in the store"
refused 2 export-image --image-id "../../etc/passwd" --disk-image-format RAW
# An AMI is regional: from another region it does not exist, as EC2 says.
refused 2 --region eu-west-1 export-image --image-id "$ami" --disk-image-format RAW
contains "$ERR" "InvalidAMIID.NotFound"
refused 2 export-image --image-id "$ami" --disk-image-format QCOW2
contains "$ERR" "DiskImageFormat 'QCOW2' is not one of VMDK, RAW, VHD"
refused 2 export-image --image-id "$ami"
contains "$ERR" "DiskImageFormat is required"
refused 2 export-image --disk-image-format RAW
contains "$ERR" "ImageId is required"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --s3-export-location S3Bucket=nobucket
contains "$ERR" "S3Bucket 'nobucket': there is no directory 'nobucket' here"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --s3-export-location S3Bucket=bkt,S3Prefix=../../x/
contains "$ERR" "must stay below the bucket"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --s3-export-location 'S3Bucket=Bad_Bucket'
contains "$ERR" "is not a bucket name"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --output-file "$out/missing/x.raw"
contains "$ERR" "directory '$out/missing' does not exist"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --output-file keep.raw/x.raw
refused 2 export-image --image-id "$ami" --disk-image-format RAW --description "$(printf 'x%.0s' {1..256})"
refused 2 export-image --image-id "$ami" --disk-image-format RAW \
    --tag-specifications 'ResourceType=image,Tags=[{Key=k,Value=v}]'
contains "$ERR" "ResourceType must be export-image-task"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --output-file "$snap_file" --overwrite
contains "$ERR" "is inside the store"
refused 2 export-image --image-id "$ami" --disk-image-format RAW --output-file "$STORE/tmp/../images/x.raw"
contains "$ERR" "is inside the store"
if [ "$(id -u)" = 0 ]; then
    ro=/sys # root writes everywhere else; sysfs takes no new files
else
    mkdir ro && chmod 0500 ro && ro=$out/ro
fi
refused 4 export-image --image-id "$ami" --disk-image-format RAW --output-file "$ro/x.raw"
contains "$ERR" "cannot "
ok "bad input: unknown image, bad id, format, bucket, prefix, path, in the store, description, tags (2); unwritable (4)"

# No store at all: the image does not exist, and no store is made.
AMI_RUN_STORE=$WORK/no-store run 2 export-image --image-id "$ami" --disk-image-format RAW
one_line_error
[ ! -e "$WORK/no-store" ] || fail "export-image made a store"
ok "without a store: exit 2, no store made"

# --- Ctrl-C: no partial file, no directory made for it --------------------------------------
head -c 300M /dev/urandom >"$WORK/big.raw"
run 0 import-image --disk-image "$WORK/big.raw" --name export-big
big=$(jq -r .ImageId <<<"$OUT")
rm -f "$WORK/big.raw"
files=$(find "$out" -printf '%p %s\n' | sort)
before=$(store_digest)
"$AMI_RUN" export-image --image-id "$big" --disk-image-format VMDK \
    --s3-export-location S3Bucket=bkt,S3Prefix=int/deep/ >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
for _ in $(seq 100); do
    [ -n "$(find bkt -name '.*.part' 2>/dev/null)" ] && break
    sleep 0.1
done
[ -n "$(find bkt -name '.*.part')" ] || fail "no temporary file appeared during the export"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || fail "interrupted export exited $rc: $(cat "$WORK/int.err")"
[ "$(find "$out" -printf '%p %s\n' | sort)" = "$files" ] ||
    fail "left behind after Ctrl-C: $(find bkt)"
[ "$(store_digest)" = "$before" ] || fail "an interrupted export changed the store"
ok "Ctrl-C during the conversion: exit 130, no partial file, no prefix directory, no record"

echo "$PASSED passed, 0 failed"
