#!/usr/bin/env bash
# Every file in ../shared/samples registers with the result its README states; every
# file in samples/bad gives exit 2, one line, and an unchanged store.
source "$(dirname "$0")/lib.sh"
[ -d "$SAMPLES" ] || skip "shared samples not found at $SAMPLES"

make_disk "$WORK/root.raw" 2G root
make_disk "$WORK/data.raw" 3G data

run 0 register-image --from-json "$SAMPLES/debian12-x86_64-bios.json" \
    --snapshot snap-05f1e2d3c4b5a6978="$WORK/root.raw"
contains "$OUT" '"ImageId": "ami-0a1b2c3d4e5f60718"'
ok "debian12-x86_64-bios registers with its id"

run 0 register-image --from-json "$SAMPLES/ubuntu-uefi-preferred-multidisk.json" \
    --snapshot snap-0c1d2e3f405162738="$WORK/root.raw" snap-0d2e3f40516273849="$WORK/data.raw"
contains "$OUT" ami-07d1c2b3a4f5e6d70
ok "ubuntu-uefi-preferred-multidisk registers (ephemeral, NoDevice, blank volume)"

run 0 register-image --from-json "$SAMPLES/arm64-no-bootmode.json" \
    --snapshot snap-0e1f2a3b4c5d6e7f8="$WORK/root.raw"
run 0 --debug describe-images --image-ids ami-0f9e8d7c6b5a40312
json_eq "$(jq '.Images[0].SomeFutureMember' <<<"$OUT")" '{"KeepMe": true}' ||
    fail "unknown member did not come back unchanged"
run 0 describe-images --image-ids ami-0f9e8d7c6b5a40312
[ "$(jq '.Images[0] | has("SomeFutureMember")' <<<"$OUT")" = false ] ||
    fail "a member EC2's Image lacks is printed without --debug"
ok "arm64-no-bootmode registers; its unknown member is kept (--debug shows it, EC2's shape does not)"

run 0 register-image --from-json "$SAMPLES/paravirtual-instance-store.json"
contains "$OUT" ami-3c9e4b55
ok "paravirtual-instance-store registers (valid AWS metadata)"

run 2 register-image --cli-input-json "file://$SAMPLES/register-image-request.json"
one_line_error
contains "$ERR" "snap-0123456789abcdef0"
contains "$ERR" "import-snapshot --snapshot-id snap-0123456789abcdef0"
ok "a request naming a missing snapshot is refused with the command that fixes it"

run 0 register-image --cli-input-json "file://$SAMPLES/register-image-request.json" \
    --snapshot snap-0123456789abcdef0="$WORK/root.raw"
id=$(jq -r .ImageId <<<"$OUT")
[[ "$id" =~ ^ami-[0-9a-f]{17}$ ]] || fail "new id '$id' is not ami- + 17 hex"
run 0 describe-images --image-ids "$id"
[ "$(jq -r '.Images[0].Tags[0].Key + "=" + .Images[0].Tags[0].Value' <<<"$OUT")" = stage=candidate ] ||
    fail "TagSpecifications did not become Tags"
[ "$(jq -r '.Images[0].BootMode' <<<"$OUT")" = uefi ] || fail "BootMode lost"
[ "$(jq -r '.Images[0].BlockDeviceMappings[1].Ebs.VolumeType' <<<"$OUT")" = gp3 ] || fail "gp3 lost"
ok "register-image-request registers under a new ami- id; tags become Tags"

# Every bad sample the samples README lists exists and is refused: an empty or missing
# bad/ must not pass for "every bad sample was refused".
listed=$(sed -n 's/^| `bad\/\([^`]*\.json\)`.*/\1/p' "$SAMPLES/README.md" | sort)
present=$(cd "$SAMPLES/bad" && ls -- *.json 2>/dev/null | sort || true)
[ -n "$listed" ] || fail "the samples README lists no bad/ samples"
[ "$listed" = "$present" ] || fail "bad/ holds '$(echo $present)', the README lists '$(echo $listed)'"
before=$(store_digest)
for f in $listed; do
    run 2 register-image --from-json "$SAMPLES/bad/$f"
    one_line_error
    case "$ERR" in *"cannot read the file"*) fail "bad/$f was not read: $ERR" ;; esac
    [ "$(store_digest)" = "$before" ] || fail "store changed after rejecting bad/$f"
done
ok "all $(wc -w <<<"$listed") bad samples: exit 2, one line, store unchanged"

run 2 register-image --from-json "$SAMPLES/bad/unknown-architecture.json"
contains "$ERR" "Architecture 'sparc' is not one of i386, x86_64, arm64"
run 2 register-image --from-json "$SAMPLES/bad/negative-volume-size.json"
contains "$ERR" "(/dev/xvda): VolumeSize -3"
run 2 register-image --from-json "$SAMPLES/bad/truncated.json"
contains "$ERR" "line 1, column"
run 2 register-image --from-json "$SAMPLES/bad/duplicate-device-name.json"
contains "$ERR" "mapped twice"
run 2 register-image --from-json "$SAMPLES/bad/path-traversal-id.json"
contains "$ERR" "is not an image id"
[ ! -e "$STORE/../../etc/passwd.json" ] && [ ! -e "$WORK/etc" ] || fail "wrote outside the store"
ok "bad samples name the field and the cause"
echo "$PASSED passed, 0 failed"
