#!/usr/bin/env bash
# What ami-run must refuse, and what a refusal must leave alone: bad launch mappings,
# bad user data, --output xml outside run --dry-run, options a verb does not have, and
# images EC2 would not launch.  Every refusal is one line, exit 2, the store unchanged.
# make check-valgrind runs this file under memcheck too (ctest -L cli), which is what
# sees a read past a string inside glibc that ASan cannot.
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G root

run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
root_bdm="[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
run 0 register-image --name refusals-bios --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "$root_bdm"
ami=$(jq -r .ImageId <<<"$OUT")

# plant_stale_instance ID: a running instance whose owner is gone, as a killed run leaves
# it: any command that writes reaps it (marks it terminated).
plant_stale_instance() {
    mkdir -p "$STORE/instances/$1"
    jq -n --arg id "$1" --arg dir "$STORE/instances/$1" --arg ami "$ami" \
        '{InstanceId: $id, ImageId: $ami, State: {Code: 16, Name: "running"},
          AmiRun: {OwnerPid: 0, Directory: $dir, Console: "\($dir)/console.log"}}' \
        >"$STORE/instances/$1/instance.json"
}


# --- run --block-device-mappings: VirtualName is ephemeral0 … ephemeral25 (Windows AMIs) ---
# A name that is not ephemeralN used to be planned and then read past its end.
for v in xyz ephemeral ephemeral26 ephemeral-1 ephemeral1x 'ephemeral+1'; do
    refused 2 run "$ami" --dry-run \
        --block-device-mappings "[{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"$v\"}]"
    contains "$ERR" "ami-run: run: --block-device-mappings[0] (/dev/sdb): VirtualName '$v' is not ephemeral0"
done
run 0 run "$ami" --dry-run --instance-type m5d.large \
    --block-device-mappings '[{"DeviceName":"/dev/sdb","VirtualName":"ephemeral0"}]'
[ "$(jq -r '[.Disks[] | select(.Kind == "ephemeral") | .DeviceName] | join(",")' <<<"$OUT")" = /dev/sdb ] ||
    fail "ephemeral0 on m5d.large is not an ephemeral disk: $OUT"
ok "run --block-device-mappings: VirtualName other than ephemeral0-25 refused, ephemeral0 planned"

# --- Windows AMIs map ephemeral0 … ephemeral25 to xvdca … xvdcz (ami-facts §2): registered and planned ---
win_bdm=$(jq -cn --arg s "$snap" '[{DeviceName: "/dev/sda1", Ebs: {SnapshotId: $s}}] +
    [range(0; 26) | {DeviceName: ("xvdc" + ([97 + .] | implode)), VirtualName: "ephemeral\(.)"}]')
run 0 register-image --name refusals-windows --root-device-name /dev/sda1 \
    --block-device-mappings "$win_bdm"
win=$(jq -r .ImageId <<<"$OUT")
run 0 run "$win" --dry-run --instance-type m5d.large
contains "$ERR" "ephemeral25 (xvdcz) skipped: m5d.large has no instance store disk that many"
[ "$(jq -r '[.Disks[] | select(.Kind == "ephemeral") | .DeviceName] | join(",")' <<<"$OUT")" = xvdca ] ||
    fail "m5d.large: only ephemeral0 (xvdca) should be planned: $OUT"
run 0 run "$win" --dry-run --instance-type t3.micro --disk-bus virtio --ephemeral-size 1
[ "$(jq '[.Disks[] | select(.Kind == "ephemeral")] | length' <<<"$OUT")" = 26 ] ||
    fail "--ephemeral-size 1: 26 ephemeral disks expected: $OUT"
[ "$(jq -r '.Disks[-1].DeviceName' <<<"$OUT")" = xvdcz ] || fail "xvdcz is not planned: $OUT"
run 0 deregister-image --image-id "$win"
ok "Windows-style mapping ephemeral0-25 (xvdca-xvdcz): registered, planned per instance type"

# --- register-image --from-json: replies that name an image but hold none -------------
printf '{"ImageId": "%s"}\n' "$ami" >"$WORK/register-reply.json"
refused 2 register-image --from-json "$WORK/register-reply.json"
contains "$ERR" "$WORK/register-reply.json: this is a RegisterImage, CreateImage or CopyImage response (only an ImageId): it holds no image"
printf '{"ImageId": "ami-0123456789abcdef0", "ResponseMetadata": {"HTTPStatusCode": 200}}' \
    >"$WORK/create-reply.json"
refused 2 register-image --from-json "$WORK/create-reply.json"
contains "$ERR" "it holds no image"
for attr in '"LaunchPermissions": [{"UserId": "123456789012"}]' '"Description": {"Value": "golden"}' \
    '"BootMode": {"Value": "uefi"}' '"KernelId": {}'; do
    printf '{"ImageId": "ami-0123456789abcdef0", %s}' "$attr" >"$WORK/attribute-reply.json"
    refused 2 register-image --from-json "$WORK/attribute-reply.json"
    contains "$ERR" "this is a DescribeImageAttribute reply (an ImageId and one attribute): it holds no image"
done
ok "register-image --from-json: a RegisterImage/CreateImage/CopyImage response or a DescribeImageAttribute reply is refused"

# --- a planted journal: its src must be a staged file of its own work directory --------
# A journal's dst was checked and its src was not: this moved a file from outside the
# store into it, exit 0.  And a rename whose file never existed counted as "done".
echo '{"ImageId":"ami-00000000000000bad","Name":"planted"}' >"$WORK/outside.json"
plant() { # SRC: a dead command's committed work directory moving SRC to images/
    mkdir -p "$STORE/tmp/work-planted"
    : >"$STORE/tmp/work-planted/owner"
    printf '[{"src": "%s", "dst": "images/ami-00000000000000bad.json"}]' "$1" \
        >"$STORE/tmp/work-planted/journal.json"
}
for src in "$WORK/outside.json" "../../../outside.json" "7"; do
    plant "$src"
    run 4 describe-images
    one_line_error
    contains "$ERR" "ami-run: describe-images: Journal in '$STORE/tmp/work-planted'"
    contains "$ERR" "the store is corrupted"
    [ -f "$WORK/outside.json" ] || fail "the planted journal moved $src"
    [ ! -e "$STORE/images/ami-00000000000000bad.json" ] || fail "the planted journal wrote an image ($src)"
    rm -rf "$STORE/tmp/work-planted"
done
run 0 describe-images
[ "$(jq -r '[.Images[].ImageId] | join(",")' <<<"$OUT")" = "$ami" ] || fail "images after the journals: $OUT"
ok "a planted journal cannot move a file in from outside, nor count a never-staged file as done"

# --- run resolves read-only: --dry-run creates nothing, a rejected run changes nothing --
# run used to create the store and reap stale instances before checking anything.  A
# stale instance (running, its owner gone) is what a writing command would change.
iid=i-0123456789abcdef0
plant_stale_instance "$iid"
for dry in --dry-run ""; do
    AMI_RUN_STORE=$WORK/no-store run 2 run "$ami" $dry
    one_line_error
    contains "$ERR" "ami-run: run: Image '$ami' does not exist in the store"
    [ ! -e "$WORK/no-store" ] || fail "run $dry created a missing store"
done
before=$(store_digest)
run 0 run "$ami" --dry-run
[ "$(jq -r .ImageId <<<"$OUT")" = "$ami" ] || fail "dry-run plan: $OUT"
[ "$(store_digest)" = "$before" ] || fail "run --dry-run changed the store"
for dry in --dry-run ""; do
    refused 2 run ami-0000000000000dead $dry
    contains "$ERR" "Image 'ami-0000000000000dead' does not exist in the store"
    refused 2 run "$ami" --instance-type m5.nonesuch $dry
    contains "$ERR" "unknown instance type 'm5.nonesuch'"
    refused 2 run "$ami" --memory 12 $dry
    refused 2 run "$ami" --boot-mode bios $dry
done
[ "$(jq -r .State.Code "$STORE/instances/$iid/instance.json")" = 16 ] || fail "a rejected run reaped"
ok "run --dry-run creates nothing (no store, no reaping); a rejected run leaves the store as it was"

# --- --force: stop-instances' and terminate-instances' (EC2's Force, SkipOsShutdown) ---
# start-instances advertised --force and ignored it: EC2's StartInstances has no Force.
# TerminateInstances has Force and SkipOsShutdown: terminating here destroys QEMU at
# once, which is what both ask for, so they are accepted as no-ops.
iid=i-0123456789abcdef1
plant_stale_instance "$iid"
refused 2 start-instances --instance-ids "$iid" --force
contains "$ERR" "ami-run: start-instances: unknown option '--force'"
run 0 start-instances --help
case "$OUT" in *force*) fail "start-instances --help still offers --force: $OUT" ;; esac
[ "$(jq -r .State.Code "$STORE/instances/$iid/instance.json")" = 16 ] || fail "a refused --force changed $iid"
run 0 stop-instances --help
contains "$OUT" "--[no-]force"
run 0 terminate-instances --help
contains "$OUT" "--[no-]skip-os-shutdown"
run 0 stop-instances --instance-ids "$iid" --force
[ "$(jq -r '.StoppingInstances[0].InstanceId' <<<"$OUT")" = "$iid" ] || fail "stop-instances --force: $OUT"
run 0 terminate-instances --instance-ids "$iid" --force --skip-os-shutdown
[ "$(jq -r '.TerminatingInstances[0].CurrentState.Name' <<<"$OUT")" = terminated ] || fail "$OUT"
ok "--force: taken by stop- and terminate-instances (with --skip-os-shutdown), refused by start-instances"

# --- --output xml: only run --dry-run has XML to print --------------------------------
# Every verb took it and printed JSON; run --output xml without --dry-run booted.
for argv in "describe-images" "describe-snapshots" "describe-instances" \
    "import-snapshot --disk-image $WORK/root.raw" "deregister-image --image-id $ami" \
    "get-console-output --instance-id i-0123456789abcdef0" "prune"; do
    # shellcheck disable=SC2086 # argv is split on purpose
    refused 2 --output xml $argv
    contains "$ERR" "ami-run: ${argv%% *}: --output xml is only for 'run --dry-run'"
done
refused 2 run "$ami" --output xml
contains "$ERR" "ami-run: run: --output xml needs --dry-run"
[ ! -e "$STORE/instances" ] || [ -z "$(find "$STORE/instances" -name console.log)" ] ||
    fail "run --output xml started a guest"
run 0 --output xml run "$ami" --dry-run
contains "$OUT" "<domain type="
run 0 run "$ami" --dry-run --output=json
[ "$(jq -r .ImageId <<<"$OUT")" = "$ami" ] || fail "--output=json dry run: $OUT"
ok "--output xml: refused outside run --dry-run, which prints the domain XML"

# --- --user-data-base64 must be base64 -------------------------------------------------
# g_base64_decode() checks nothing, so any text became some user data.
for b in 'not base64!' 'aGVsbG8' 'aGVsbG8=x' 'aGV=sbG8' 'aGVsbG8===' 'aGVs bG8=' 'aGVs-G8='; do
    refused 2 run "$ami" --dry-run --user-data-base64 "$b"
    contains "$ERR" "ami-run: run: --user-data-base64 is not valid base64"
done
run 0 run "$ami" --dry-run --user-data-base64 "$(printf '#!/bin/sh\necho hi\n' | base64)"
# What is decoded is what is checked: 16385 bytes, wrapped by base64(1) at 76 columns.
head -c 16385 /dev/zero | tr '\0' x | base64 >"$WORK/big.b64"
[ "$(wc -l <"$WORK/big.b64")" -gt 1 ] || fail "base64(1) did not wrap"
refused 2 run "$ami" --dry-run --user-data-base64 "$(cat "$WORK/big.b64")"
contains "$ERR" "user data is 16385 bytes; EC2 allows at most 16384"
ok "--user-data-base64: invalid base64 refused; wrapped base64 decoded and size-checked"

# --- get-console-output: a NUL byte does not end the Output ---------------------------
# The console was read as a C string, so everything after the first NUL was lost.
iid=i-0123456789abcdef2
plant_stale_instance "$iid"
printf 'before\0after \xff end\n' >"$STORE/instances/$iid/console.log"
run 0 get-console-output --instance-id "$iid"
[ "$(jq -r .Output <<<"$OUT")" = "$(printf 'before\xef\xbf\xbdafter \xef\xbf\xbd end')" ] ||
    fail "console Output with a NUL: $(jq .Output <<<"$OUT")"
# The last 64 KiB, with the NUL inside the window.
{ head -c 70000 /dev/zero | tr '\0' a; printf 'tail\0end'; } >"$STORE/instances/$iid/console.log"
run 0 get-console-output --instance-id "$iid"
[ "$(jq -r '.Output | length' <<<"$OUT")" = 65536 ] || fail "not the last 64 KiB: $(jq -r '.Output | length' <<<"$OUT")"
[ "$(jq -r '.Output[-8:]' <<<"$OUT")" = "$(printf 'tail\xef\xbf\xbdend')" ] || fail "end of the console: $(jq '.Output[-8:]' <<<"$OUT")"
# The 64 KiB window starting inside a character (here the last two bytes of a 3-byte
# '€' lie in it) begins after that character, with no U+FFFD for its tail.
{ printf '\xe2\x82\xac'; head -c 65534 /dev/zero | tr '\0' b; } >"$STORE/instances/$iid/console.log"
run 0 get-console-output --instance-id "$iid"
[ "$(jq -r '.Output | length' <<<"$OUT")" = 65534 ] || fail "window cut inside a character: $(jq -r '.Output[:3]' <<<"$OUT")"
[ "$(jq -r '.Output[:1]' <<<"$OUT")" = b ] || fail "window cut inside a character starts with $(jq '.Output[:1]' <<<"$OUT")"
ok "get-console-output: NUL bytes become U+FFFD, like invalid UTF-8, and the whole console is kept"

# --- TpmSupport v2.0 needs UEFI (NitroTPM) ---------------------------------------------
# A legacy-bios image with TpmSupport got a TPM; EC2 documents that NitroTPM "requires
# that an instance runs in UEFI boot mode" (G:enable-nitrotpm-prerequisites).
tpm_reg() { # BOOT-MODE-FLAGS...: the register-image flags of a TPM image with these
    echo --name "tpm-$RANDOM" --architecture x86_64 --root-device-name /dev/xvda \
        --tpm-support v2.0 "$@"
}
for mode in "--boot-mode legacy-bios" ""; do
    # shellcheck disable=SC2046,SC2086 # word splitting on purpose
    refused 2 register-image $(tpm_reg $mode) --block-device-mappings "$root_bdm"
    contains "$ERR" "ami-run: register-image: TpmSupport v2.0 (NitroTPM) needs UEFI"
done
jq -n --arg s "$snap" '{Images: [{ImageId: "ami-0000000000000c0de", Name: "tpm-bios-json",
    Architecture: "x86_64", BootMode: "legacy-bios", TpmSupport: "v2.0", RootDeviceName: "/dev/xvda",
    BlockDeviceMappings: [{DeviceName: "/dev/xvda", Ebs: {SnapshotId: $s}}]}]}' >"$WORK/tpm-bios.json"
refused 2 register-image --from-json "$WORK/tpm-bios.json"
contains "$ERR" "needs UEFI"
# shellcheck disable=SC2046 # word splitting on purpose
run 0 register-image $(tpm_reg --boot-mode uefi) --block-device-mappings "$root_bdm"
tpm_ami=$(jq -r .ImageId <<<"$OUT")
run 0 run "$tpm_ami" --dry-run
[ "$(jq -r '"\(.Firmware) \(.Tpm)"' <<<"$OUT")" = "uefi true" ] || fail "uefi TPM plan: $OUT"
refused 2 run "$tpm_ami" --dry-run --boot-mode legacy-bios
contains "$ERR" "ami-run: run: Image $tpm_ami has TpmSupport v2.0 (NitroTPM), which needs UEFI; this boot uses legacy BIOS (--boot-mode legacy-bios)"
# A record stored before the rule: run refuses it, deregister still removes it.
jq '.Images[0] + {State: "available", OwnerId: "000000000000", RootDeviceType: "ebs"}' \
    "$WORK/tpm-bios.json" >"$STORE/images/ami-0000000000000c0de.json"
refused 2 run ami-0000000000000c0de --dry-run
contains "$ERR" "this boot uses legacy BIOS (BootMode legacy-bios)"
run 0 deregister-image --image-id ami-0000000000000c0de
[ ! -e "$STORE/images/ami-0000000000000c0de.json" ] || fail "the old TPM record was not deregistered"
ok "TpmSupport v2.0 without UEFI: refused by register-image and run; old records still deregister"

# --- run: QEMU's user (docs/run.md "Security layers") --------------------------------
# As root, a missing user (scripts/install-deps not run) is one clear error naming the
# way out, before anything is resolved or created; a dry run needs no user.
if [ "$(id -u)" = 0 ]; then
    AMI_RUN_QEMU_USER=nosuchuser refused 4 run "$ami" --timeout 5
    contains "$ERR" "ami-run: run: QEMU's user 'nosuchuser' does not exist: run scripts/install-deps as root to create it, or pass --qemu-user root"
    refused 4 run "$ami" --timeout 5 --qemu-user nosuchuser
    contains "$ERR" "QEMU's user 'nosuchuser' does not exist"
    AMI_RUN_QEMU_USER=nosuchuser run 0 run "$ami" --dry-run
    ok "as root, a missing QEMU user: exit 4, one line naming install-deps and --qemu-user root"
else
    refused 2 run "$ami" --timeout 5 --qemu-user root
    contains "$ERR" "--qemu-user needs ami-run to run as root"
    ok "not root: --qemu-user is refused (QEMU runs as the caller)"
fi
refused 2 run "$ami" --timeout 5 --qemu-user root --connect qemu:///session
contains "$ERR" "--qemu-user needs ami-run to run as root with its own libvirt (without --connect)"
ok "--qemu-user with --connect: refused (that libvirt chooses QEMU's user)"
