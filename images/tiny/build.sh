#!/usr/bin/env bash
# Build a tiny test AMI: Debian's cloud kernel + a busybox initramfs (see ./init) on a
# real bootable disk.  Usage: build.sh ARCH FIRMWARE [VARIANT]
#   ARCH      x86_64 | arm64
#   FIRMWARE  bios (x86_64: syslinux on an MBR FAT partition) | uefi (systemd-boot on a
#             GPT EFI system partition, as \EFI\BOOT\BOOTX64.EFI or BOOTAA64.EFI)
#   VARIANT   ok (default) | panic (root= points nowhere, no initramfs) | hang (prints
#             nothing after the kernel) | blank (no bootloader at all) | grub-rescue
#             (bios: a GRUB core image embedded by hand after the MBR, its prefix pointing
#             to a directory that does not exist, so GRUB stops at "grub rescue>")
# Prints the output directory: disk.raw and ami.json (describe-images shape).  Outputs
# are cached under $XDG_CACHE_HOME/ami-run/images, keyed by a hash of the recipe.
source "$(dirname "$0")/../lib.sh"

arch=${1:?usage: build.sh ARCH FIRMWARE [VARIANT]}
firmware=${2:?usage: build.sh ARCH FIRMWARE [VARIANT]}
variant=${3:-ok}
here=$IMAGES_DIR/tiny
case $arch/$firmware in
    x86_64/bios | x86_64/uefi | arm64/uefi) ;;
    *) die "tiny: $arch/$firmware is not a supported combination" ;;
esac
darch=$(debian_arch "$arch")

key=$(recipe_key "$here/build.sh" "$here/init")
cache_lock "tiny-$arch-$firmware-$variant"
out=$CACHE/tiny-$arch-$firmware-$variant-$key
if [ -e "$out/done" ]; then
    echo "$out"
    exit 0
fi
say "building tiny-$arch-$firmware-$variant into $out"
rm -rf "$out"
mkdir -p "$out/work"
work=$out/work

# Kernel and the modules the init needs (Debian's cloud kernel builds virtio as modules),
# and the ACPI power button with evdev, so that user data can act on the button (the
# init itself ignores it, as a guest without acpid does; tests/integration uses both).
# (arm64's cloud kernel has the button built in.)
kver=$(fetch_kernel "$arch" "$work/kernel")
button=
[ "$arch" = arm64 ] || button=button
modules_in_order "$work/kernel" "$kver" virtio_pci virtio_blk virtio_scsi virtio_net \
    sr_mod isofs vfat nls_cp437 nls_ascii $button evdev >"$work/modules.list"

# The initramfs: busybox (static), /init, the modules in load order.
mkdir -p "$work/initramfs/bin" "$work/initramfs/modules"
# busybox-static of the guest's architecture, from its Debian package.
cp "$(fetch_deb busybox-static "$darch")/bin/busybox" "$work/initramfs/bin/busybox"
if [ "$variant" = hang ]; then
    printf '#!/bin/busybox sh\n/bin/busybox sleep 2147483647\n' >"$work/initramfs/init"
else
    cp "$here/init" "$work/initramfs/init"
fi
chmod 755 "$work/initramfs/init"
while read -r m; do
    cp "$work/kernel/lib/modules/$kver/$m" "$work/initramfs/modules/"
    echo "${m##*/}" >>"$work/initramfs/modules.order"
done <"$work/modules.list"
(cd "$work/initramfs" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
    gzip -9n >"$work/initrd.img"

# loglevel=7 (info): "Linux version" and "Run /init as init process" are how a verdict
# tells the kernel and userspace stages apart, as on a real image; a quieter kernel
# left the stage to a line of this image's own, which production code must not know.
# no_timer_check, as RHEL's and Fedora's cloud images boot: on a busy TCG host the
# kernel's early check that the timer interrupt ticks can miss its window and panic
# ("IO-APIC + timer doesn't work!"; seen in run 29 of test-many-runs' 50 on a loaded
# 2-core machine), which is the host's starvation, not the image under test.
append="console=ttyS0,115200 loglevel=7 no_timer_check"
initrd=initrd.img
if [ "$variant" = panic ]; then
    append="$append root=/dev/nonexistent"
    initrd=
fi
part_mib=63
rm -f "$work/part.img"
mkfs.vfat -n AMIRUNBOOT -C "$work/part.img" $((part_mib * 1024)) >/dev/null
mcopy -i "$work/part.img" "$work/kernel/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$work/part.img" "$work/initrd.img" ::initrd.img
truncate -s $(((part_mib + 1) * 1024 * 1024)) "$out/disk.raw"

if [ "$firmware" = bios ]; then
    # syslinux on a FAT partition, an MBR with the syslinux boot code (no loop devices).
    cat >"$work/syslinux.cfg" <<CFG
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT linux
LABEL linux
  KERNEL vmlinuz
  ${initrd:+INITRD $initrd}
  APPEND $append
CFG
    syslinux --install "$work/part.img"
    mcopy -i "$work/part.img" "$work/syslinux.cfg" ::syslinux.cfg
    table='label: dos\nstart=2048, type=c, bootable\n'
else
    # systemd-boot as the removable-media loader of an EFI system partition; its entry
    # carries the kernel command line (firmware passes none to a bare EFI-stub kernel).
    case $arch in x86_64) efi=x64 loader=BOOTX64.EFI ;; arm64) efi=aa64 loader=BOOTAA64.EFI ;; esac
    sdboot=$(fetch_deb systemd-boot-efi "$darch")/usr/lib/systemd/boot/efi/systemd-boot$efi.efi
    printf 'timeout 0\ndefault tiny.conf\n' >"$work/loader.conf"
    {
        echo "title ami-run tiny ($variant)"
        echo "linux /vmlinuz"
        [ -z "$initrd" ] || echo "initrd /$initrd"
        echo "options $append"
    } >"$work/tiny.conf"
    mmd -i "$work/part.img" ::EFI ::EFI/BOOT ::loader ::loader/entries
    mcopy -i "$work/part.img" "$sdboot" "::EFI/BOOT/$loader"
    mcopy -i "$work/part.img" "$work/loader.conf" ::loader/loader.conf
    mcopy -i "$work/part.img" "$work/tiny.conf" ::loader/entries/tiny.conf
    table='label: gpt\nstart=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP\n'
fi
if [ "$variant" != blank ]; then
    printf "$table" | sfdisk -q "$out/disk.raw"
    dd if="$work/part.img" of="$out/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
    if [ "$variant" = grub-rescue ]; then
        # What grub-install would do, by hand and without a device: boot.img's code (its
        # kernel sector field already says LBA 1) in the MBR, core.img from LBA 1 in the
        # gap before the partition; grub-mkimage fills in core.img's own block list.
        [ "$firmware" = bios ] || die "tiny: grub-rescue is a BIOS image"
        command -v grub-mkimage >/dev/null || die "grub-mkimage is not installed (grub-common)"
        [ -e /usr/lib/grub/i386-pc/boot.img ] || die "grub-pc-bin is not installed"
        grub-mkimage -O i386-pc -o "$work/core.img" -p '(hd0,msdos1)/grub-is-not-here' \
            biosdisk part_msdos fat
        [ "$(stat -c %s "$work/core.img")" -lt $((2047 * 512)) ] || die "core.img does not fit"
        dd if=/usr/lib/grub/i386-pc/boot.img of="$out/disk.raw" bs=440 count=1 conv=notrunc status=none
        dd if="$work/core.img" of="$out/disk.raw" bs=512 seek=1 conv=notrunc status=none
    elif [ "$firmware" = bios ]; then
        dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out/disk.raw" bs=440 count=1 conv=notrunc status=none
    fi
fi

# arm64 says nothing: UEFI is EC2's rule there; x86_64 UEFI must say so.
boot_mode=
[ "$arch/$firmware" != x86_64/uefi ] || boot_mode=uefi
write_ami_json "$out" "ami-run-tiny-$arch-$firmware-$variant" \
    "ami-run test image: Debian cloud kernel $kver + busybox initramfs ($variant)" \
    "$arch" "$boot_mode" 1 "tiny-$variant"
rm -rf "$work"
touch "$out/done"
echo "$out"
