#!/usr/bin/env bash
# Build a tiny test AMI: Debian's cloud kernel + a busybox initramfs (see ./init) on a
# real bootable disk.  Usage: build.sh ARCH FIRMWARE [VARIANT]
#   ARCH      x86_64
#   FIRMWARE  bios (syslinux on an MBR FAT partition)
#   VARIANT   ok (default) | panic (root= points nowhere, no initramfs) | hang (prints
#             nothing after the kernel) | blank (no bootloader at all)
# Prints the output directory: disk.raw and ami.json (describe-images shape).  Outputs
# are cached under $XDG_CACHE_HOME/ami-run/images, keyed by a hash of the recipe.
source "$(dirname "$0")/../lib.sh"

arch=${1:?usage: build.sh ARCH FIRMWARE [VARIANT]}
firmware=${2:?usage: build.sh ARCH FIRMWARE [VARIANT]}
variant=${3:-ok}
here=$IMAGES_DIR/tiny
[ "$arch/$firmware" = x86_64/bios ] || die "tiny: $arch/$firmware is not built yet"

key=$(recipe_key "$here/build.sh" "$here/init")
cache_lock
out=$CACHE/tiny-$arch-$firmware-$variant-$key
if [ -e "$out/done" ]; then
    echo "$out"
    exit 0
fi
say "building tiny-$arch-$firmware-$variant into $out"
rm -rf "$out"
mkdir -p "$out/work"
work=$out/work

# Kernel and the modules the init needs (Debian's cloud kernel builds virtio as modules).
kver=$(fetch_kernel "$arch" "$work/kernel")
modules_in_order "$work/kernel" "$kver" virtio_pci virtio_blk virtio_scsi virtio_net \
    sr_mod isofs vfat nls_cp437 nls_ascii >"$work/modules.list"

# The initramfs: busybox (static), /init, the modules in load order.
mkdir -p "$work/initramfs/bin" "$work/initramfs/modules"
cp /bin/busybox "$work/initramfs/bin/busybox"
file /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
    ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || die "/bin/busybox is not static (busybox-static)"
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

# syslinux on a FAT partition, an MBR with the syslinux boot code (no loop devices).
append="console=ttyS0,115200 loglevel=4"
initrd="INITRD initrd.img"
if [ "$variant" = panic ]; then
    append="$append root=/dev/nonexistent"
    initrd=""
fi
cat >"$work/syslinux.cfg" <<CFG
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT linux
LABEL linux
  KERNEL vmlinuz
  $initrd
  APPEND $append
CFG
part_mib=63
rm -f "$work/part.img"
mkfs.vfat -n AMIRUNBOOT -C "$work/part.img" $((part_mib * 1024)) >/dev/null
syslinux --install "$work/part.img"
mcopy -i "$work/part.img" "$work/kernel/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$work/part.img" "$work/initrd.img" ::initrd.img
mcopy -i "$work/part.img" "$work/syslinux.cfg" ::syslinux.cfg

truncate -s $(((part_mib + 1) * 1024 * 1024)) "$out/disk.raw"
if [ "$variant" != blank ]; then
    printf 'label: dos\nstart=2048, type=c, bootable\n' | sfdisk -q "$out/disk.raw"
    dd if="$work/part.img" of="$out/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
    dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out/disk.raw" bs=440 count=1 conv=notrunc status=none
fi

# Its AMI, in describe-images shape; ids follow the recipe, so a changed image gets new ids.
suffix=$(printf '%s' "$arch-$firmware-$variant-$key" | sha256sum | cut -c1-17)
cat >"$out/ami.json" <<JSON
{
    "Images": [
        {
            "ImageId": "ami-$suffix",
            "Name": "ami-run-tiny-$arch-$firmware-$variant",
            "Description": "ami-run test image: Debian cloud kernel $kver + busybox initramfs ($variant)",
            "Architecture": "$arch",
            "VirtualizationType": "hvm",
            "RootDeviceType": "ebs",
            "RootDeviceName": "/dev/xvda",
            "BlockDeviceMappings": [
                {
                    "DeviceName": "/dev/xvda",
                    "Ebs": {
                        "SnapshotId": "snap-$suffix",
                        "VolumeSize": 1,
                        "VolumeType": "gp3",
                        "DeleteOnTermination": true
                    }
                }
            ],
            "EnaSupport": true,
            "State": "available",
            "ImageType": "machine",
            "Hypervisor": "xen",
            "PlatformDetails": "Linux/UNIX",
            "Tags": [{"Key": "ami-run:test-image", "Value": "tiny-$variant"}]
        }
    ]
}
JSON
rm -rf "$work"
touch "$out/done"
echo "$out"
