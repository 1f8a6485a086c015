#!/usr/bin/env bash
# Broken tiny images end with the right verdict: a kernel that cannot mount its root
# (exit 1, root-device-not-found), a disk with nothing to boot (exit 1,
# no-bootable-device, seen through SeaBIOS's serial output), and a guest that never
# prints a success marker (exit 3 at --timeout, naming the last stage seen).
source "$(dirname "$0")/lib.sh"

panic=$(tiny_ami x86_64 bios panic)
blank=$(tiny_ami x86_64 bios blank)
hang=$(tiny_ami x86_64 bios hang)
if command -v grub-mkimage >/dev/null && [ -e /usr/lib/grub/i386-pc/boot.img ]; then
    grub=$(tiny_ami x86_64 bios grub-rescue)
fi

boot 1 "$panic" --timeout 120
contains "$ERR" "$IID: failure (root-device-not-found)"
# loglevel=7 shows the kernel's first word on it (a plain printk), which decides.
contains "$ERR" 'VFS: Cannot open root device "nonexistent"'
contains "$ERR" "last console lines:"
assert_clean "$IID"
[ "$(jq -r .Reservations[0].Instances[0].AmiRun.Verdict.Class \
    <<<"$("$AMI_RUN" describe-instances --instance-ids "$IID")")" = root-device-not-found ] ||
    fail "the verdict is not in the instance record"
ok "kernel without a root: exit 1, root-device-not-found, verdict recorded"

boot 1 "$blank" --timeout 120
contains "$ERR" "$IID: failure (no-bootable-device)"
contains "$OUT" "Boot failed: not a bootable disk" # SeaBIOS, on serial thanks to useserial
assert_clean "$IID"
ok "blank disk: exit 1, no-bootable-device"

if [ -n "${grub:-}" ]; then
    # GRUB's own error names the cause before its rescue prompt: that line decides.
    boot 1 "$grub" --timeout 120
    contains "$ERR" "$IID: failure (bootloader-error)"
    contains "$ERR" "normal.mod' not found"
    assert_clean "$IID"
    ok "GRUB core image without its modules: exit 1, bootloader-error naming normal.mod"
else
    echo "SKIP (part): grub-mkimage or grub-pc-bin missing: the GRUB rescue image is not built"
fi

# 30 s: "Run /init" comes ~5 s in, but ~15 s with the 2 cores shared by four other guests.
boot 3 "$hang" --timeout 30
contains "$ERR" "$IID: timeout"
# The kernel's own "Run /init as init process" (loglevel=7), not a line of the image's.
contains "$ERR" "last boot stage seen: userspace"
assert_clean "$IID"
ok "silent guest: exit 3 at the timeout, last boot stage userspace"
echo "$PASSED passed, 0 failed"
