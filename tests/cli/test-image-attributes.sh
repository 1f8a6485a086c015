#!/usr/bin/env bash
# modify-, describe- and reset-image-attribute (docs/images.md): launch permissions in
# both request forms, Public, describe-images --executable-users, description and
# imdsSupport, EC2's ImageAttribute shapes; every bad input one line, exit 2, the store
# byte-identical.
source "$(dirname "$0")/lib.sh"
unset AWS_REGION AWS_DEFAULT_REGION
make_disk "$WORK/root.raw" 1G root
run 0 import-image --disk-image "$WORK/root.raw" --name attrs --boot-mode uefi
ami=$(jq -r .ImageId <<<"$OUT")
run 0 import-image --disk-image "$WORK/root.raw" --name other
other=$(jq -r .ImageId <<<"$OUT")

attr() { # ATTRIBUTE: the reply, compact
    run 0 describe-image-attribute --image-id "$ami" --attribute "$1"
    jq -c . <<<"$OUT"
}
public() { run 0 describe-images --image-ids "$ami"; jq -r '.Images[0].Public' <<<"$OUT"; }
ids_for() { # USER: the ids describe-images --executable-users USER lists
    run 0 describe-images --executable-users "$1"
    jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT"
}

# --- launch permissions -----------------------------------------------------------------
[ "$(attr launchPermission)" = "{\"ImageId\":\"$ami\",\"LaunchPermissions\":[]}" ] || fail "initial: $OUT"
[ "$(public)" = false ] || fail "a new image is public"
run 0 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{UserId=123456789012}]"
[ -z "$OUT" ] || fail "modify-image-attribute printed: $OUT"
run 0 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{UserId=123456789012}]"
run 0 modify-image-attribute --image-id "$ami" --attribute launchPermission --operation-type add \
    --user-ids 000000000000 210987654321
run 0 modify-image-attribute --image-id "$ami" --launch-permission \
    '{"Add":[{"OrganizationArn":"arn:aws:organizations::123456789012:organization/o-abcdefghij"},{"OrganizationalUnitArn":"arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-abcdefgh"}]}'
[ "$(attr launchPermission)" = "{\"ImageId\":\"$ami\",\"LaunchPermissions\":[{\"UserId\":\"123456789012\"},{\"UserId\":\"000000000000\"},{\"UserId\":\"210987654321\"},{\"OrganizationArn\":\"arn:aws:organizations::123456789012:organization/o-abcdefghij\"},{\"OrganizationalUnitArn\":\"arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-abcdefgh\"}]}" ] ||
    fail "after adds: $OUT"
[ "$(public)" = false ] || fail "explicit users made it public"
ok "launch permissions added (shorthand, JSON, --operation-type); adding twice keeps one"

run 0 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{Group=all}]"
[ "$(public)" = true ] || fail "Group=all did not make it public"
[ "$(ids_for all)" = "$ami" ] || fail "--executable-users all: $OUT"
[ "$(ids_for self)" = "$ami" ] || fail "--executable-users self (shared with 000000000000): $OUT"
[ "$(ids_for 210987654321)" = "$ami" ] || fail "--executable-users ACCOUNT: $OUT"
[ "$(ids_for 999999999999)" = "" ] || fail "--executable-users of an account it is not shared with: $OUT"
run 0 describe-images --executable-users 999999999999 all
[ "$(jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT")" = "$ami" ] || fail "two users OR-ed: $OUT"
run 0 describe-images --filters Name=is-public,Values=true
[ "$(jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT")" = "$ami" ] || fail "is-public filter: $OUT"
ok "Group=all: Public true; --executable-users all, self, an account"

run 0 modify-image-attribute --image-id "$ami" --launch-permission "Remove=[{Group=all},{UserId=000000000000}]"
[ "$(public)" = false ] || fail "Remove Group=all left it public"
[ "$(ids_for self)" = "" ] || fail "self after removal: $OUT"
run 0 modify-image-attribute --image-id "$ami" --attribute launchPermission --operation-type remove \
    --user-ids 111111111111
run 0 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{Group=all}],Remove=[{UserId=210987654321}]"
[ "$(attr launchPermission | jq -c '[.LaunchPermissions[] | .UserId // .Group // "org"]')" = '["123456789012","org","org","all"]' ] ||
    fail "add and remove in one request: $OUT"
run 0 reset-image-attribute --image-id "$ami" --attribute launchPermission
[ -z "$OUT" ] || fail "reset printed: $OUT"
[ "$(attr launchPermission)" = "{\"ImageId\":\"$ami\",\"LaunchPermissions\":[]}" ] || fail "after reset: $OUT"
[ "$(public)" = false ] || fail "reset left it public"
ok "remove (missing ones ignored), add+remove in one request, reset: the image is private again"

# --- description, imdsSupport and the other attributes ----------------------------------------
run 0 modify-image-attribute --image-id "$ami" --description Value="the golden one"
[ "$(attr description)" = "{\"ImageId\":\"$ami\",\"Description\":{\"Value\":\"the golden one\"}}" ] || fail "$OUT"
run 0 modify-image-attribute --image-id "$ami" --attribute description --value "plain"
run 0 describe-images --image-ids "$ami"
[ "$(jq -r '.Images[0].Description' <<<"$OUT")" = plain ] || fail "describe-images description: $OUT"
[ "$(attr imdsSupport)" = "{\"ImageId\":\"$ami\",\"ImdsSupport\":{}}" ] || fail "unset imdsSupport: $OUT"
run 0 modify-image-attribute --image-id "$ami" --imds-support v2.0
[ "$(attr imdsSupport)" = "{\"ImageId\":\"$ami\",\"ImdsSupport\":{\"Value\":\"v2.0\"}}" ] || fail "$OUT"
run 0 modify-image-attribute --image-id "$ami" --imds-support Value=v2.0
[ "$(attr bootMode)" = "{\"ImageId\":\"$ami\",\"BootMode\":{\"Value\":\"uefi\"}}" ] || fail "$OUT"
for a in kernel:KernelId ramdisk:RamdiskId tpmSupport:TpmSupport uefiData:UefiData \
         sriovNetSupport:SriovNetSupport lastLaunchedTime:LastLaunchedTime \
         deregistrationProtection:DeregistrationProtection; do
    [ "$(attr "${a%%:*}")" = "{\"ImageId\":\"$ami\",\"${a#*:}\":{}}" ] || fail "${a%%:*}: $OUT"
done
[ "$(attr productCodes)" = "{\"ImageId\":\"$ami\",\"ProductCodes\":[]}" ] || fail "$OUT"
run 0 describe-image-attribute --image-id "$ami" --attribute lastLaunchedTime --dry-run
contains "$ERR" DryRunOperation
ok "description, imdsSupport v2.0, bootMode and the rest in EC2's ImageAttribute shapes ({} when unset)"

# --- refusals -------------------------------------------------------------------------------------
for perm in "Add=[{UserId=12345}]" "Add=[{UserId=1234567890123}]" "Add=[{UserId=12345678901a}]" \
            "Add=[{Group=everyone}]" "Add=[{OrganizationArn=arn:aws:iam::123456789012:root}]" \
            "Add=[{OrganizationalUnitArn=arn:aws:organizations::123456789012:organization/o-abcdefghij}]" \
            "Add=[{UserId=123456789012,Group=all}]" "Add=[{Bogus=1}]" "Add=[]" "Nope=[{Group=all}]" \
            "Add=[{UserId=123456789012}" "Add=[{UserId=123456789012},{UserId=1}]"; do
    refused 2 modify-image-attribute --image-id "$ami" --launch-permission "$perm"
done
refused 2 modify-image-attribute --image-id "$ami" --attribute launchPermission --operation-type add --user-ids 42
refused 2 modify-image-attribute --image-id "$ami" --attribute launchPermission --operation-type grant --user-ids 123456789012
refused 2 modify-image-attribute --image-id "$ami" --attribute launchPermission --operation-type add --user-groups staff
refused 2 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{Group=all}]" --description Value=x
refused 2 modify-image-attribute --image-id "$ami" --imds-support v1.0
contains "$ERR" "cannot be undone"
refused 2 modify-image-attribute --image-id "$ami" --description "Value=$(head -c 300 /dev/zero | tr '\0' d)"
refused 2 modify-image-attribute --image-id "$ami" --attribute kernel --value x
refused 2 modify-image-attribute --image-id "$ami" --product-codes abc
refused 2 modify-image-attribute --image-id "$ami"
refused 2 modify-image-attribute --launch-permission "Add=[{Group=all}]"
refused 2 modify-image-attribute --image-id ami-00000000000000bad --launch-permission "Add=[{Group=all}]"
refused 2 modify-image-attribute --image-id bad --launch-permission "Add=[{Group=all}]"
refused 2 describe-image-attribute --image-id "$ami" --attribute nope
refused 2 describe-image-attribute --image-id "$ami"
refused 2 describe-image-attribute --image-id "$ami" --attribute blockDeviceMapping
contains "$ERR" AuthFailure
refused 2 describe-image-attribute --image-id ami-00000000000000bad --attribute description
refused 2 reset-image-attribute --image-id "$ami" --attribute description
refused 2 reset-image-attribute --image-id "$ami"
refused 2 reset-image-attribute --image-id ami-00000000000000bad --attribute launchPermission
refused 2 describe-images --executable-users everyone
refused 2 describe-images --executable-users 1234
run 0 modify-image-attribute --image-id "$ami" --launch-permission "Add=[{Group=all}]" --dry-run
contains "$ERR" DryRunOperation
[ "$(public)" = false ] || fail "--dry-run changed the image"
ok "bad permissions, operations, attributes, values and ids: one line, exit 2, the store byte-identical"

# A Marketplace image cannot be made public (ModifyImageAttribute's doc).
jq '.ProductCodes = [{"ProductCodeId":"abc","ProductCodeType":"marketplace"}]' "$STORE/images/$other.json" >"$WORK/o.json"
cp "$WORK/o.json" "$STORE/images/$other.json"
refused 2 modify-image-attribute --image-id "$other" --launch-permission "Add=[{Group=all}]"
contains "$ERR" "product codes"
run 0 describe-image-attribute --image-id "$other" --attribute productCodes
[ "$(jq -c .ProductCodes <<<"$OUT")" = '[{"ProductCodeId":"abc","ProductCodeType":"marketplace"}]' ] || fail "$OUT"
ok "an image with product codes cannot be made public"
echo "$PASSED passed, 0 failed"
