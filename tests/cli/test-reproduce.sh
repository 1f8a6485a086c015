#!/usr/bin/env bash
# reproduce and bundle without a boot (docs/reproduce.md): saved console outputs
# classified by `reproduce --dry-run` (the forms, a 64 KiB cut, Xen), the refusals
# (one line, exit 2, the store unchanged), and a bundle of a planted terminated
# instance that `run --from-bundle --dry-run` plans again.  The boots are in
# tests/integration/test-reproduce.sh.
source "$(dirname "$0")/lib.sh"
need jq tar sha256sum base64
make_disk "$WORK/root.raw" 1G root

run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name repro --architecture x86_64 --root-device-name /dev/xvda \
    --boot-mode uefi --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")

# classify ARGS...: `reproduce --dry-run`, never under AMI_RUN_WRAPPER: the verdict
# scanner's regexes are PCRE2 JIT code, where memcheck reports uninitialised reads it
# cannot follow (check-valgrind); fuzz-console-output covers this path under ASan.
classify() {
    AMI_RUN_WRAPPER="" run 0 reproduce --dry-run "$@"
}

# --- the saved forms ----------------------------------------------------------------
printf 'Linux version 6.1.0-27-cloud-amd64\r\n[    1.5] EXT4-fs error (device nvme0n1p1): ext4_lookup:1855: inode #2\r\n' \
    >"$WORK/io.txt"
jq -n --rawfile o "$WORK/io.txt" '{InstanceId: "i-0123456789abcdef0", Timestamp: "t", Output: $o}' \
    >"$WORK/io.json"
for f in io.txt io.json; do
    classify --console-output "$WORK/$f"
    [ "$(jq -r .Saved.Class <<<"$OUT")" = storage-io-error ] || fail "$f: $OUT"
    [ "$(jq -r .Saved.KeyLine <<<"$OUT")" = "EXT<n>-fs error (device <blk>): ext<n>_lookup:<n>: inode #<n>" ] ||
        fail "$f key line: $OUT"
    [ "$(jq -r .Saved.Stage <<<"$OUT")" = kernel ] || fail "$f stage: $OUT"
done
ok "plain and JSON: storage-io-error at stage kernel, the key line normalised"

# A Xen console EC2 cut at 64 KiB: truncated, names Xen, stage not known.
printf '[  100.000000] systemd[1]: Started Session %s of user ec2-user.\n' $(seq 1000 2100) >"$WORK/xen.txt"
truncate -s 65000 "$WORK/xen.txt"
printf '\nXENBUS: Timeout connecting to devices!\n' >>"$WORK/xen.txt"
base64 "$WORK/xen.txt" >"$WORK/xen.b64"
classify --console-output "$WORK/xen.b64"
[ "$(jq -r .Saved.Form <<<"$OUT")" = base64 ] || fail "form: $OUT"
[ "$(jq -r .Saved.Truncated <<<"$OUT")" = true ] || fail "not truncated: $OUT"
[ "$(jq -r .Saved.Class <<<"$OUT")" = storage-io-error ] || fail "class: $OUT"
[ "$(jq -r '.Saved.Stage // "none"' <<<"$OUT")" = none ] || fail "stage of a cut console: $OUT"
contains "$(jq -r .Saved.Unreproducible <<<"$OUT")" "Xen: 'XENBUS: Timeout connecting to devices!'"
contains "$ERR" "truncated"
contains "$ERR" "cannot reproduce"
ok "a 64 KiB Xen console: truncated, Xen named, stage unknown"

# --- refusals -------------------------------------------------------------------------
refused 2 reproduce --console-output "$WORK/nope.json" "$ami"
contains "$ERR" "no such file"
: >"$WORK/empty"
refused 2 reproduce --console-output "$WORK/empty" "$ami"
contains "$ERR" "is empty"
printf '\x01\x02\x03\x04binary\xff\xfe\x05\x06\x07' >"$WORK/bin"
refused 2 reproduce --console-output "$WORK/bin" "$ami"
echo '{"InstanceId": "i-0123456789abcdef0", "Timestamp": "t"}' >"$WORK/no-output.json"
refused 2 reproduce --console-output "$WORK/no-output.json" "$ami"
contains "$ERR" "has no Output"
echo '{"Output": ' >"$WORK/bad.json"
refused 2 reproduce --console-output "$WORK/bad.json" "$ami"
refused 2 reproduce --console-output "$WORK/io.json" ami-0000000000000dead
contains "$ERR" "ami-0000000000000dead"
refused 2 reproduce "$ami"
contains "$ERR" "--console-output"
refused 2 reproduce --console-output "$WORK/io.json" "$ami" --until sometime
refused 2 bundle i-0000000000000dead
refused 2 run --from-bundle "$WORK/nope.tar.gz"
refused 2 run --from-bundle "$WORK/bin"
contains "$ERR" "not an ami-run bundle"
ok "missing, empty, binary, Output-less and broken files, unknown AMI and instance: exit 2, one line"

# --- bundle of a terminated instance, planned again --------------------------------------
iid=i-0123456789abcdef0
dir=$STORE/instances/$iid
mkdir -p "$dir"
printf 'BdsDxe: loading Boot0001\nKernel panic - not syncing: VFS: Unable to mount root fs\n' >"$dir/console.log"
echo '<domain type="qemu"/>' >"$dir/domain.xml"
jq -n --arg id "$iid" --arg dir "$dir" --arg ami "$ami" --arg snap "$snap" \
    '{InstanceId: $id, ImageId: $ami, InstanceType: "m5.large", Architecture: "x86_64",
      BootMode: "uefi", State: {Code: 48, Name: "terminated"},
      AmiRun: {OwnerPid: 0, Directory: $dir, Console: "\($dir)/console.log",
               Nvram: "\($dir)/nvram.fd", DiskBus: "virtio",
               Disks: [{VolumeId: "vol-0123456789abcdef0", SnapshotId: $snap}],
               Verdict: {Outcome: "failure", Class: "kernel-panic"},
               Timing: {Start: "2026-12-02T06:10:00.123Z", Phases: [], Stages: []},
               RunOptions: {MemoryMiB: 3072, Vcpus: 1, SecureBoot: false, Timeout: 77, DiskBus: "virtio",
                            Success: ["ami-run-tiny: ready"], Failure: [], Strict: false}}}' \
    >"$dir/instance.json"
mkdir -p "$WORK/fw"
echo '{"interface-types": ["uefi"], "targets": [{"architecture": "x86_64"}], "features": ["secure-boot", "enrolled-keys"]}' \
    >"$WORK/fw/40-secure.json"
echo '{"interface-types": ["uefi"], "targets": [{"architecture": "x86_64"}], "features": ["acpi-s3"]}' \
    >"$WORK/fw/60-plain.json"
AMI_RUN_FIRMWARE_DIR=$WORK/fw run 0 bundle "$iid" --output-file "$WORK/b.tar.gz"
mkdir "$WORK/b"
tar -xzf "$WORK/b.tar.gz" -C "$WORK/b"
[ "$(ls "$WORK/b" | tr '\n' ' ')" = "ami.json console.log domain.xml firmware.json instance.json manifest.json run.json snapshots.json timing.json verdict.json " ] ||
    fail "bundle holds: $(ls "$WORK/b")"
[ "$(jq -r '.Missing | join(",")' "$WORK/b/manifest.json")" = nvram.fd ] || fail "Missing: $(cat "$WORK/b/manifest.json")"
[ "$(jq -r '."x-ami-run-path"' "$WORK/b/firmware.json")" = "$WORK/fw/60-plain.json" ] ||
    fail "firmware descriptor: $(cat "$WORK/b/firmware.json")"
jq -r '.Files[] | "\(.Sha256)  \(.Name)"' "$WORK/b/manifest.json" >"$WORK/sums"
(cd "$WORK/b" && sha256sum -c --quiet "$WORK/sums") || fail "manifest sha256s"
[ "$(jq -r '.[0].Sha256' "$WORK/b/snapshots.json")" = "$(sha256sum "$STORE/snapshots/$snap" | cut -d' ' -f1)" ] ||
    fail "snapshot digest"
ok "bundle: every file with its sha256, the descriptor without Secure Boot, the gone NVRAM listed missing"

run 0 run --from-bundle "$WORK/b.tar.gz" --dry-run
[ "$(jq -r '[.InstanceType, .Firmware, .MemoryMiB, .DiskBus] | join(",")' <<<"$OUT")" = "m5.large,uefi,3072,virtio" ] ||
    fail "from-bundle plan: $(jq -c '{InstanceType, Firmware, MemoryMiB, DiskBus}' <<<"$OUT")"
run 0 run --from-bundle "$WORK/b.tar.gz" --dry-run --instance-type t3.small
[ "$(jq -r .InstanceType <<<"$OUT")" = t3.small ] || fail "the command line must win"
refused 2 run "$ami" --from-bundle "$WORK/b.tar.gz"
contains "$ERR" "not both"
AMI_RUN_STORE=$WORK/other run 2 run --from-bundle "$WORK/b.tar.gz" --dry-run
one_line_error
contains "$ERR" "snapshot '$snap' is not in the store"
ok "run --from-bundle plans the bundled type, firmware, memory and bus; a store without the snapshot: exit 2"
echo "$PASSED passed, 0 failed"
