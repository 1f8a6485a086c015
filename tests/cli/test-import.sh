#!/usr/bin/env bash
# import-snapshot: formats detected then pinned, self-contained images only, sparse
# storage, deduplication, --sha256, and nothing left behind on failure.
source "$(dirname "$0")/lib.sh"

# A qcow2 with a backing file is refused (QEMU backing-file CVEs), store unchanged.
make_disk "$WORK/base.raw" 64M
qemu-img create -q -f qcow2 -F raw -b "$WORK/base.raw" "$WORK/overlay.qcow2"
make_disk "$WORK/first.raw" 64M first
run 0 import-snapshot --disk-image "$WORK/first.raw"
before=$(store_digest)
run 2 import-snapshot --disk-image "$WORK/overlay.qcow2"
one_line_error
contains "$ERR" "has a backing file"
[ "$(store_digest)" = "$before" ] || fail "store changed"
ok "a qcow2 with a backing file is rejected"

# Data elsewhere: qcow2 external data file, vmdk with a flat extent.
qemu-img create -q -f qcow2 -o data_file="$WORK/ext.data" "$WORK/ext.qcow2" 64M
run 2 import-snapshot --disk-image "$WORK/ext.qcow2"
contains "$ERR" "keeps its data in other files"
qemu-img create -q -f vmdk -o subformat=monolithicFlat "$WORK/flat.vmdk" 64M
run 2 import-snapshot --disk-image "$WORK/flat.vmdk"
contains "$ERR" "keeps its data in other files"
ok "images whose data lives in other files are rejected"

# A declared format that differs from the content is refused.
make_disk "$WORK/plain.raw" 64M
run 2 import-snapshot --disk-image "$WORK/plain.raw" --format qcow2
contains "$ERR" "declared qcow2 but its content is raw"
qemu-img create -q -f qcow2 "$WORK/real.qcow2" 64M
run 2 import-snapshot --disk-image "$WORK/real.qcow2" --format raw
contains "$ERR" "declared raw but its content is qcow2"
run 2 import-snapshot --disk-image "$WORK/plain.raw" --format iso
contains "$ERR" "is not one of raw, qcow2"
[ "$(store_digest)" = "$before" ] || fail "store changed"
ok "a format that differs from the declared one is rejected"

# A 20 GiB sparse raw disk imports without using 20 GiB.
make_disk "$WORK/big.raw" 20G big
run 0 import-snapshot --disk-image "$WORK/big.raw" --description "twenty gig"
big=$(jq -r .SnapshotId <<<"$OUT")
used=$(du -k "$STORE/snapshots/$big" | cut -f1)
[ "$used" -lt 10240 ] || fail "20 GiB sparse disk uses $used KiB in the store"
run 0 --debug describe-snapshots --snapshot-ids "$big"
[ "$(jq '.Snapshots[0].VolumeSize' <<<"$OUT")" = 20 ] || fail "VolumeSize is not 20: $OUT"
[ "$(jq -r '.Snapshots[0].Description' <<<"$OUT")" = "twenty gig" ] || fail "description lost"
[ "$(stat -c %a "$STORE/snapshots/$big")" = 400 ] || fail "snapshot is not read-only 0400"
[ "$(stat -c %a "$STORE/snapshots")" = 700 ] || fail "snapshots/ is not 0700"
ok "20 GiB sparse raw imports using $used KiB, read-only 0400"

# The recorded sha256 is the stored file's, so the store can verify itself.
want=$(jq -r '.Snapshots[0].AmiRun.Sha256' <<<"$OUT")
[ "$(sha256sum "$STORE/snapshots/$big" | cut -d' ' -f1)" = "$want" ] || fail "sha256 mismatch"
qemu-img info -f qcow2 "$STORE/snapshots/$big" >/dev/null || fail "stored file is not qcow2"
ok "the recorded sha256 and format match the stored file"

# Identical disks are stored once.
run 0 import-snapshot --disk-image "$WORK/big.raw"
[ "$(jq -r .SnapshotId <<<"$OUT")" = "$big" ] || fail "duplicate got a new id"
contains "$ERR" "identical to snapshot $big"
[ "$(ls "$STORE/snapshots" | wc -l)" = 4 ] || fail "duplicate stored twice"
ok "an identical disk returns the existing id"

# --snapshot-id: kept; a different disk under an existing id is refused.
run 0 import-snapshot --disk-image "$WORK/plain.raw" --snapshot-id snap-1234567890EXAMPLE
contains "$OUT" snap-1234567890EXAMPLE
run 2 import-snapshot --disk-image "$WORK/big.raw" --snapshot-id snap-1234567890EXAMPLE
contains "$ERR" "already exists"
for bad in ../../etc/x snap-../x snap-1 "snap-a b c d e f" /tmp/snap-abcdefgh; do
    run 2 import-snapshot --disk-image "$WORK/plain.raw" --snapshot-id "$bad"
    one_line_error
done
[ -z "$(find "$WORK" -maxdepth 1 -name 'x*')" ] || fail "wrote outside the store"
ok "snapshot ids: documentation ids kept, hostile ones refused"

# --sha256 on a local file.
sum=$(sha256sum "$WORK/base.raw" | cut -d' ' -f1)
run 2 import-snapshot --disk-image "$WORK/base.raw" --sha256 "$(printf '%064d' 0)"
contains "$ERR" "sha256 mismatch"
run 2 import-snapshot --disk-image "$WORK/base.raw" --sha256 xyz
contains "$ERR" "--sha256 must be 64 hex digits"
run 0 import-snapshot --disk-image "$WORK/base.raw" --sha256 "$sum"
run 0 --debug describe-snapshots --snapshot-ids "$(jq -r .SnapshotId <<<"$OUT")"
[ "$(jq -r '.Snapshots[0].AmiRun.SourceSha256' <<<"$OUT")" = "$sum" ] || fail "SourceSha256 not kept"
ok "--sha256 verifies a local file"

# Other formats import and are converted once.
for fmt in vmdk vpc vhdx qcow2; do
    make_disk "$WORK/src-$fmt.raw" 64M "content for $fmt"
    qemu-img convert -q -f raw -O "$fmt" "$WORK/src-$fmt.raw" "$WORK/conv.$fmt"
    run 0 import-snapshot --disk-image "$WORK/conv.$fmt" --format "$fmt"
    run 0 --debug describe-snapshots --snapshot-ids "$(jq -r .SnapshotId <<<"$OUT")"
    [ "$(jq -r '.Snapshots[0].AmiRun.SourceFormat' <<<"$OUT")" = "$fmt" ] || fail "$fmt not recorded"
done
ok "vmdk, vpc, vhdx and qcow2 import"

run 2 import-snapshot --disk-image "$WORK/missing.raw"
one_line_error
run 2 import-snapshot
contains "$ERR" "--disk-image is required"
[ -z "$(ls -A "$STORE/tmp")" ] || fail "work files left in tmp/: $(ls -A "$STORE/tmp")"
ok "bad input leaves no work files behind"
echo "$PASSED passed, 0 failed"
