#!/usr/bin/env bash
# inspect on the tiny images (docs/forensics.md): BIOS (syslinux), UEFI (systemd-boot) and
# arm64, each on one read-only libguestfs appliance, say the boot entry, the console, the
# initramfs's drivers and that the OS facts cannot be told (the initramfs is the root),
# and leave the store byte-identical.  Then the panic image with run --keep-failed: the
# verdict names inspect, the instance is kept stopped with its volumes, and logs says
# why it cannot read them (no Linux root), once more without changing the store.
source "$(dirname "$0")/lib.sh"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "libguestfs needs a kernel in /boot (linux-image-amd64; scripts/install-deps)"

check_tiny() { # check_tiny AMI LOADER SOURCE
    local ami=$1 before
    before=$(store_digest)
    run 0 --output json inspect "$ami"
    [ "$(store_digest)" = "$before" ] || fail "inspect changed the store"
    jq -e --arg l "$2" --arg s "$3" '
        .ImageId != null and .Warnings == [] and .Os == null and
        .Boot[0].Loader == $l and .Boot[0].Source == $s and
        (.Boot[0].Console | index("ttyS0,115200")) != null and
        .Initramfs[0].Drivers == {"virtio_blk": "module", "virtio_scsi": "module",
                                  "nvme": "missing", "virtio_net": "module"} and
        ([.Undetermined[].Fact] == ["Os", "CloudInit", "Fstab", "SshHostKeys", "AuthorizedKeys"])' \
        <<<"$OUT" >/dev/null || fail "inspect $ami ($2): $OUT"
}

bios=$(tiny_ami x86_64 bios ok)
check_tiny "$bios" syslinux /dev/sda1:/syslinux.cfg
# The text form: warnings first (none here), the facts, then what cannot be told and why.
run 0 inspect "$bios"
contains "$OUT" "boot: syslinux /dev/sda1:/syslinux.cfg: kernel vmlinuz, initrd initrd.img, options 'console=ttyS0,115200"
contains "$OUT" "initramfs: /dev/sda1:/initrd.img: virtio_blk module virtio_scsi module nvme missing virtio_net module"
contains "$OUT" "cannot tell: Os, CloudInit, Fstab, SshHostKeys, AuthorizedKeys: no Linux root file system"
ok "inspect tiny BIOS: syslinux entry, ttyS0, initramfs drivers, OS facts undetermined, store unchanged"

check_tiny "$(tiny_ami x86_64 uefi ok)" systemd-boot /dev/sda1:/loader/entries/tiny.conf
ok "inspect tiny UEFI: the systemd-boot loader entry"
check_tiny "$(tiny_ami arm64 uefi ok)" systemd-boot /dev/sda1:/loader/entries/tiny.conf
ok "inspect tiny arm64: the same, from an arm64 image's disk"

panic=$(tiny_ami x86_64 bios panic)
boot 1 "$panic" --keep-failed --timeout 120
contains "$ERR" "$IID: failure (root-device-not-found"
contains "$ERR" "$IID: the image's disk may show why: ami-run inspect $panic"
contains "$ERR" "$IID: kept stopped with its volumes (--keep-failed): ami-run logs $IID"
[ "$(state_of "$IID")" = stopped ] || fail "kept instance is $(state_of "$IID"), not stopped"
[ -z "$(qemus_of "$IID")" ] || fail "QEMU of the kept $IID still runs"
root=$(jq -r '.AmiRun.Disks[0].Path' "$STORE/instances/$IID/instance.json")
[ -f "$root" ] || fail "the kept root volume $root is gone"
ok "run --keep-failed: the verdict names inspect, the instance is stopped with its volumes"

refused 2 logs "$IID"
contains "$ERR" "no Linux root file system"
ok "logs on the panic image's volume: exit 2, no Linux root to read logs from, store unchanged"

run 0 terminate-instances --instance-ids "$IID"
[ ! -e "$root" ] || fail "terminate left the kept root volume $root"
refused 2 logs "$IID"
contains "$ERR" "its volumes are gone"
ok "after terminate-instances the volumes go, and logs says so"
echo "$PASSED passed, 0 failed"
