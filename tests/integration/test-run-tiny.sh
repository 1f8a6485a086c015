#!/usr/bin/env bash
# The tiny x86_64 legacy-BIOS image boots through `ami-run run`: SeaBIOS, syslinux, the
# Debian cloud kernel, busybox.  Shell user data arrives through the NoCloud seed and
# runs; the guest sees its disk with the volume's serial; the verdict is success; the
# snapshot is untouched; only the record and the console remain.
source "$(dirname "$0")/lib.sh"

ami=$(tiny_ami x86_64 bios ok)
before=$(snapshot_sums)
cat >"$WORK/ud.sh" <<'UD'
#!/bin/sh
echo "user-data says: $((6 * 7))"
UD

# --dry-run: a plan and valid domain XML, nothing created.
run 0 run "$ami" --dry-run
[ "$(jq -r .Firmware <<<"$OUT")" = bios ] || fail "dry-run firmware: $OUT"
[ "$(jq -r .Machine <<<"$OUT")" = q35 ] || fail "dry-run machine: $OUT"
[ ! -e "$STORE/instances" ] || [ -z "$(ls "$STORE/instances")" ] || fail "dry-run created an instance"
run 0 --output xml run "$ami" --dry-run
if command -v virt-xml-validate >/dev/null; then
    printf '%s\n' "$OUT" >"$WORK/domain.xml"
    virt-xml-validate "$WORK/domain.xml" domain >/dev/null || fail "domain XML does not validate"
    ok "dry-run: plan and valid domain XML, nothing created"
else
    skip_part "virt-xml-validate is not installed (libvirt-clients): the dry-run XML is not validated"
    ok "dry-run: plan, nothing created"
fi

boot 0 "$ami" --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 120 --timing
contains "$OUT" "ami-run-tiny: firmware bios"
contains "$OUT" "user-data says: 42"
contains "$OUT" "ami-run-tiny: instance-id $IID"
contains "$ERR" "$IID: success after"
ok "boots to the ready marker; user data ran; the seed names the instance"

# The same boot's timeline (docs/run.md "Timing"): AmiRun.Timing has ami-run's phases in
# order and the guest's stages firmware…userspace, each later than the one before, and
# --timing printed them all after the verdict.
timing=$("$AMI_RUN" describe-instances --debug --instance-ids "$IID" |
    jq -c '.Reservations[0].Instances[0].AmiRun.Timing')
phases=$(jq -r '[.Phases[].Name] | join(" ")' <<<"$timing")
[ "$phases" = "command-start plan disks libvirt-start qemu-exec running first-console-byte verdict teardown" ] ||
    fail "AmiRun.Timing.Phases: $phases (in $timing)"
stages=$(jq -r '[.Stages[].Name] | join(" ")' <<<"$timing")
[ "$stages" = "firmware bootloader kernel initramfs userspace" ] ||
    fail "AmiRun.Timing.Stages: $stages (in $timing)"
jq -e '.Start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")' <<<"$timing" >/dev/null ||
    fail "AmiRun.Timing.Start: $timing"
jq -e '[.Phases[].Seconds] as $p | all(range(1; $p | length); $p[.] >= $p[. - 1])' <<<"$timing" >/dev/null ||
    fail "phases out of order in time: $timing"
jq -e '[.Stages[].Seconds] as $s | all(range(1; $s | length); $s[.] > $s[. - 1])' <<<"$timing" >/dev/null ||
    fail "stage times do not increase: $timing"
jq -e '(.Phases | map({(.Name): .Seconds}) | add) as $p | .Stages[0].Seconds >= $p["first-console-byte"]
       and .Stages[-1].Seconds <= $p.verdict and $p.teardown < 120' <<<"$timing" >/dev/null ||
    fail "stages outside first-console-byte..verdict: $timing"
printed=$(sed -n '/: timing (seconds since the command started/,$p' <<<"$ERR")
for name in $phases; do
    grep -qE "^  phase  $name +[0-9]+\.[0-9]{3} s" <<<"$printed" || fail "--timing did not print phase $name: $ERR"
done
for name in $stages; do
    grep -qE "^  stage  $name +[0-9]+\.[0-9]{3} s  \+[0-9]+\.[0-9]{3} s$" <<<"$printed" ||
        fail "--timing did not print stage $name: $ERR"
done
[ "$(grep -c '^  \(phase\|stage\)  ' <<<"$printed")" = 14 ] || fail "--timing printed more or less: $printed"
ok "AmiRun.Timing: 9 phases in order, stages firmware…userspace increasing; --timing printed them"

vol=$(jq -r '.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId' \
    <<<"$("$AMI_RUN" describe-instances --instance-ids "$IID")")
# t3.micro, the default, is a Nitro type: EBS on NVMe, one controller per volume.  The
# model stays QEMU's: QEMU 7.2's nvme device cannot set it (docs/run.md "Machine identity").
contains "$OUT" "disk nvme0n1 size=1073741824 serial=${vol/-/} model=QEMU_NVMe_Ctrl"
ok "the guest sees the root volume on NVMe at VolumeSize with serial ${vol/-/}"

# Nitro's SMBIOS, as ds-identify reads it: "ec2" UUID and serial, Amazon EC2 everywhere.
dmi=$(grep -o 'ami-run-tiny: dmi .*' <<<"$OUT" | tr -d '\r')
contains "$dmi" " sys_vendor=Amazon_EC2 product_name=t3.micro product_uuid=ec2"
contains "$dmi" " bios_vendor=Amazon_EC2 board_asset_tag=$IID chassis_asset_tag=Amazon_EC2"
uuid=$(sed -n 's/.* product_uuid=\([^ ]*\).*/\1/p' <<<"$dmi")
contains "$dmi" " product_serial=$uuid "
ok "SMBIOS as on Nitro: sys_vendor Amazon EC2, product_uuid $uuid = serial, product t3.micro"

[ "$(state_of "$IID")" = terminated ] || fail "instance not terminated after the run"
run 0 get-console-output --instance-id "$IID"
contains "$(jq -r .Output <<<"$OUT")" "user-data says: 42"
assert_clean "$IID"
[ "$(snapshot_sums)" = "$before" ] || fail "a snapshot changed during the run"
ok "terminated, console kept, no QEMU, no disks left, snapshot unchanged"

# get-console-output gives the last 64 KiB, as EC2 does; at the boundary, to the byte.
console=$STORE/instances/$IID/console.log
seq 100000 >"$WORK/lines" # 589 KB
for size in 65536 65537; do
    head -c "$size" "$WORK/lines" >"$console"
    run 0 get-console-output --instance-id "$IID"
    jq -j .Output "$WORK/out" >"$WORK/got"
    tail -c 65536 "$console" | cmp -s - "$WORK/got" ||
        fail "a $size-byte console: Output is $(wc -c <"$WORK/got") bytes, not its last 65536"
done
ok "get-console-output: a 64 KiB console whole, one byte more loses its first byte"

# --until shutdown: the user data powers the guest off, which is then the success.
printf '#!/bin/sh\ntouch /tmp/poweroff\n' >"$WORK/off.sh"
boot 0 "$ami" --user-data "$WORK/off.sh" --until shutdown --timeout 120
contains "$OUT" "powering off"
assert_clean "$IID"
ok "--until shutdown: guest power-off is the success"

# Without --until shutdown, a guest that powers off before success is a failure.
boot 1 "$ami" --user-data "$WORK/off.sh" --success 'never printed' --timeout 120
contains "$ERR" "$IID: failure (powered-off-before-success) after"
assert_clean "$IID"
ok "power-off before the success marker: exit 1, powered-off-before-success"

# --failure: a user pattern decides on the line it matches, before the success marker.
boot 1 "$ami" --failure 'ami-run-tiny: firmware (bios|uefi)$' --success 'ami-run-tiny: ready' \
    --timeout 120
contains "$ERR" "$IID: failure (user-failure-marker) after"
contains "$ERR" ": 'ami-run-tiny: firmware bios'"
assert_clean "$IID"
ok "--failure: exit 1, user-failure-marker on the line it matched"
echo "$PASSED passed, 0 failed"
