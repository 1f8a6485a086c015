#!/usr/bin/env bash
# register --from-json then `describe-images --debug` returns the same members and values
# for every image (ami-run's AmiRun aside), whatever outer shape the file had (compared
# structurally with jq).  Without --debug only EC2's members show (test-shapes.sh).
source "$(dirname "$0")/lib.sh"
[ -d "$SAMPLES" ] || skip "shared samples not found at $SAMPLES"
make_disk "$WORK/d.raw" 1G

# Every snapshot the samples name, imported once so the images can register.
snaps=$(jq -r '.. | objects | .SnapshotId? // empty' "$SAMPLES"/*.json | sort -u | grep '^snap-')
specs=()
for s in $snaps; do
    run 0 import-snapshot --snapshot-id "$s" --disk-image "$WORK/d.raw"
done
ok "imported the samples' snapshots"

roundtrip() { # FILE JQ-EXPRESSION-FOR-THE-IMAGE-LIST
    local file=$1 expr=$2 n i id want got
    run 0 register-image --from-json "$file"
    n=$(jq "$expr | length" "$file")
    for ((i = 0; i < n; i++)); do
        want=$(jq -c "$expr[$i]" "$file")
        id=$(jq -r .ImageId <<<"$want")
        run 0 --debug describe-images --image-ids "$id"
        got=$(jq -c '.Images[0] | del(.AmiRun)' <<<"$OUT")
        json_eq "$want" "$got" || fail "$file: $id came back different: $got"
    done
}

roundtrip "$SAMPLES/debian12-x86_64-bios.json" '.Images'
roundtrip "$SAMPLES/ubuntu-uefi-preferred-multidisk.json" '.Images'
roundtrip "$SAMPLES/arm64-no-bootmode.json" '.'
roundtrip "$SAMPLES/paravirtual-instance-store.json" '.Images'
ok "samples round-trip unchanged"

# The other outer shapes: an SDK response with "data", and a single object.
run 0 deregister-image --image-id ami-0a1b2c3d4e5f60718
jq '{status_code: 200, data: {Images: .Images, ResponseMetadata: {RequestId: "x"}}}' \
    "$SAMPLES/debian12-x86_64-bios.json" >"$WORK/sdk.json"
roundtrip "$WORK/sdk.json" '.data.Images'
run 0 deregister-image --image-id ami-0a1b2c3d4e5f60718
jq '.Images[0]' "$SAMPLES/debian12-x86_64-bios.json" >"$WORK/one.json"
run 0 register-image --from-json "$WORK/one.json"
run 0 describe-images --image-ids ami-0a1b2c3d4e5f60718
json_eq "$(cat "$WORK/one.json")" "$(jq -c '.Images[0]' <<<"$OUT")" || fail "single object differs"
ok "SDK-response and single-object shapes round-trip"

# Several images in one file: all or none.
jq '{Images: [.Images[0], (.Images[0] | .ImageId = "ami-0000000000000000a" | .Name = "second-image" |
     .Architecture = "sparc")]}' "$SAMPLES/debian12-x86_64-bios.json" >"$WORK/two.json"
run 0 deregister-image --image-id ami-0a1b2c3d4e5f60718
before=$(store_digest)
run 2 register-image --from-json "$WORK/two.json"
one_line_error
contains "$ERR" "Images[1]: Architecture 'sparc'"
[ "$(store_digest)" = "$before" ] || fail "a rejected multi-image file changed the store"
run 2 describe-images --image-ids ami-0a1b2c3d4e5f60718
ok "a file with several images registers all or none"

jq '{Images: [.Images[0], (.Images[0] | .ImageId = "ami-0000000000000000a" | .Name = "second-image")]}' \
    "$SAMPLES/debian12-x86_64-bios.json" >"$WORK/two-good.json"
run 0 register-image --from-json "$WORK/two-good.json"
[ "$(jq '.ImageIds | length' <<<"$OUT")" = 2 ] || fail "expected two ids: $OUT"
ok "a file with several good images registers them all"
echo "$PASSED passed, 0 failed"
