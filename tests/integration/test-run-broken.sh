#!/usr/bin/env bash
# Broken tiny images end with the right verdict and the boot stage they reached: a
# kernel that cannot mount its root (exit 1, root-device-not-found, stage kernel), a
# disk with nothing to boot (exit 1, no-bootable-device, seen through SeaBIOS's serial
# output, stage firmware), a GRUB without its modules (exit 1, bootloader-error, stage
# bootloader), and a guest that never prints a success marker (exit 3 at --timeout,
# stage userspace).
source "$(dirname "$0")/lib.sh"
# scripts/install-deps installs both: without them this test proves less, so it skips.
need grub-mkimage
[ -e /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"

panic=$(tiny_ami x86_64 bios panic)
blank=$(tiny_ami x86_64 bios blank)
hang=$(tiny_ami x86_64 bios hang)
grub=$(tiny_ami x86_64 bios grub-rescue)

# stage_is STAGE: the last run's verdict names STAGE as the last boot stage seen.
stage_is() {
    [ "$(sed -n 's/^ami-run: run: last boot stage seen: //p' <<<"$ERR")" = "$1" ] ||
        fail "expected last boot stage '$1' in: $ERR"
}

boot 1 "$panic" --timeout 120
# t3.micro (the default) is on NVMe: the verdict says what a missing root may mean there.
contains "$ERR" "$IID: failure (root-device-not-found: the image may lack an NVMe driver (instance type t3.micro uses NVMe; try --disk-bus virtio or a Xen-era type such as t2.micro))"
# loglevel=7 shows the kernel's first word on it (a plain printk), which decides.
contains "$ERR" 'VFS: Cannot open root device "nonexistent"'
contains "$ERR" "last console lines:"
stage_is kernel # "Linux version", and no initramfs to run
assert_clean "$IID"
[ "$(jq -r .Reservations[0].Instances[0].AmiRun.Verdict.Class \
    <<<"$("$AMI_RUN" describe-instances --instance-ids "$IID")")" = root-device-not-found ] ||
    fail "the verdict is not in the instance record"
ok "kernel without a root: exit 1, root-device-not-found at stage kernel, NVMe hint, verdict recorded"

boot 1 "$panic" --disk-bus virtio --timeout 120
contains "$ERR" "$IID: failure (root-device-not-found) after"
ok "the same on virtio: root-device-not-found without the NVMe hint"

boot 1 "$blank" --timeout 120
contains "$ERR" "$IID: failure (no-bootable-device)"
contains "$OUT" "Boot failed: not a bootable disk" # SeaBIOS, on serial thanks to useserial
stage_is firmware # "SeaBIOS (version", nothing after it
assert_clean "$IID"
ok "blank disk: exit 1, no-bootable-device at stage firmware"

# GRUB's own error names the cause before its rescue prompt: that line decides.
boot 1 "$grub" --timeout 120
contains "$ERR" "$IID: failure (bootloader-error)"
contains "$ERR" "normal.mod' not found"
stage_is bootloader # "Welcome to GRUB!"
assert_clean "$IID"
ok "GRUB core image without its modules: exit 1, bootloader-error (normal.mod), stage bootloader"

# 30 s: "Run /init" comes ~5 s in, but ~15 s with the 2 cores shared by four other guests.
boot 3 "$hang" --timeout 30
contains "$ERR" "$IID: timeout (timeout-stalled)"
# The kernel's own "Run /init as init process" (loglevel=7), not a line of the image's.
stage_is userspace
assert_clean "$IID"
ok "silent guest: exit 3 at the timeout, last boot stage userspace"
echo "$PASSED passed, 0 failed"
