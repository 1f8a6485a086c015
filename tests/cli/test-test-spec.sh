#!/usr/bin/env bash
# `ami-run test` refuses before anything boots: a bad spec is exit 2 with one line naming
# FILE:LINE:COLUMN, as are unknown images, missing components and user data files, bad
# options; the store stays byte-identical (no instance made).
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 64M root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name spec-x86 --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")

printf 'images: [%s]\nmatrix:\n  boot-modes: [uefi, bios]\n' "$ami" >"$WORK/bad.yaml"
refused 2 test "$WORK/bad.yaml"
contains "$ERR" "ami-run: test: $WORK/bad.yaml:3:22: boot-modes 'bios' is not one of"
printf '{"images": ["%s"],\n "timeout": "soon"}' "$ami" >"$WORK/bad.json"
refused 2 test "$WORK/bad.json"
contains "$ERR" "bad.json:2:13: timeout must be an integer from 1 to 86400"
printf '{"images": [' >"$WORK/broken.json"
refused 2 test "$WORK/broken.json"
contains "$ERR" "broken.json:1:12: JSON: "
printf 'images: [%s]\nsuccess: [ok]\nsuccess: [ok]\n' "$ami" >"$WORK/dup.yaml"
refused 2 test "$WORK/dup.yaml"
contains "$ERR" "dup.yaml:3:1: duplicate key 'success' in the spec"
ok "bad specs: exit 2, one line with FILE:LINE:COLUMN, store unchanged"

refused 2 test
contains "$ERR" "give a SPEC file or --image-id"
refused 2 test "$WORK/bad.yaml" --image-id "$ami"
refused 2 test "$WORK/missing.yaml"
contains "$ERR" "cannot read the spec '$WORK/missing.yaml'"
refused 2 test --image-id ami-0123456789abcdef0
contains "$ERR" "Image 'ami-0123456789abcdef0' does not exist"
refused 2 test --image-id "$ami" --component "$WORK/nope.yaml"
contains "$ERR" "component '$WORK/nope.yaml' is not a readable file"
refused 2 test --image-id "$ami" --accel bogus
contains "$ERR" "--accel 'bogus' is not one of auto, kvm, tcg"
refused 2 test --image-id "$ami" --jobs 0
contains "$ERR" "--jobs '0' must be an integer from 1 to 256"
refused 2 test --image-id "$ami" --junit "$WORK/no/such/dir/j.xml"
contains "$ERR" "no directory '$WORK/no/such/dir'"
printf 'images: [{name: no-such-image}]\n' >"$WORK/noname.yaml"
refused 2 test "$WORK/noname.yaml"
contains "$ERR" "no image in the store is named 'no-such-image'"
printf 'images: [{filters: [{Name: architecture, Values: [arm64]}]}]\n' >"$WORK/nofilter.yaml"
refused 2 test "$WORK/nofilter.yaml"
contains "$ERR" "no image in the store matches the filters"
printf 'images: [spec-x86]\nmatrix: {instance-types: [t4g.micro]}\n' >"$WORK/arch.yaml"
refused 2 test "$WORK/arch.yaml"
contains "$ERR" "image '$ami' (x86_64): no instance type of the matrix fits its architecture"
printf 'images: [spec-x86]\nmatrix: {user-data: [{name: a, file: ud.sh}]}\n' >"$WORK/ud.yaml"
refused 2 test "$WORK/ud.yaml"
contains "$ERR" "user data file '$WORK/ud.sh' is not a readable file"
ok "refusals before a boot: usage, unknown images and names, filters, architecture, files, --jobs"
echo "$PASSED passed, 0 failed"
