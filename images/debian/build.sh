#!/usr/bin/env bash
# Build the Debian 12 cloud-init test AMI: debootstrap (minbase) + Debian's cloud kernel
# + real cloud-init with the NoCloud datasource (or, variant ec2, the Ec2 datasource as real
# EC2 AMIs configure it), on a GPT disk: an EFI system partition
# with systemd-boot (kernel and initramfs copied there, console=ttyS0) and an ext4 root
# made with `mke2fs -d` (no loop devices, no mounts).  BootMode uefi.
# Usage: build.sh ARCH [VARIANT]
#   ARCH     x86_64
#   VARIANT  ok (default) | emergency (root=LABEL that does not exist: the initramfs
#            gives up waiting for the root device and drops to a shell) | ec2
#            (datasource_list: [ Ec2, None ], as Amazon Linux and Debian's own AMIs:
#            cloud-init reads 169.254.169.254, never a seed ISO) | nolocales (as a new
#            user would have it: no `locales` package, no `locale:` line, so cloud-init's
#            locale module fails and the boot goes on to the user data, issue 13)
# Prints the output directory: disk.raw and ami.json.  Needs root for debootstrap.
source "$(dirname "$0")/../lib.sh"

arch=${1:?usage: build.sh ARCH [VARIANT]}
variant=${2:-ok}
here=$IMAGES_DIR/debian
[ "$arch" = x86_64 ] || die "debian: only x86_64 is built"
[ "$(id -u)" = 0 ] || die "debian: debootstrap needs root"
command -v debootstrap >/dev/null || die "debian: debootstrap is not installed (scripts/install-deps)"
mirror=${AMI_RUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}

key=$(recipe_key "$here/build.sh")
cache_lock "debian-$arch"
# The root file system is shared by the variants; only the boot entry differs.
rootfs_dir=$CACHE/debian-rootfs-$arch-$key
out=$CACHE/debian-$arch-$variant-$key
if [ -e "$out/done" ]; then
    echo "$out"
    exit 0
fi

if [ ! -e "$rootfs_dir/done" ]; then
    say "debootstrap bookworm ($arch) with cloud-init into $rootfs_dir (a few minutes)"
    rm -rf "$rootfs_dir"
    mkdir -p "$rootfs_dir"
    root=$rootfs_dir/root
    # python3-cffi-backend is named explicitly: cloud-init needs it and minbase misses it.
    # python3-botocore and curl: real IMDS clients for the tests of the ec2 variant.
    # dbus: without it systemd-logind does not run and the guest ignores ACPI power-off
    # (stop-instances and create-image would wait out their grace period, then force it).
    debootstrap --variant=minbase --arch=amd64 \
        --include=systemd-sysv,udev,linux-image-cloud-amd64,initramfs-tools,cloud-init,python3-cffi-backend,ifupdown,isc-dhcp-client,netbase,ca-certificates,openssh-server,python3-botocore,curl,dbus \
        bookworm "$root" "$mirror" >"$rootfs_dir/debootstrap.log" 2>&1 ||
        die "debootstrap failed, see $rootfs_dir/debootstrap.log"
    cat >"$root/etc/fstab" <<'FSTAB'
LABEL=debian-root  /          ext4  defaults,errors=remount-ro  0 1
LABEL=AMIRUNEFI    /boot/efi  vfat  defaults,nofail             0 2
FSTAB
    echo ami-run-debian >"$root/etc/hostname"
    # Only the NoCloud seed (and None): no minutes of probing for EC2's metadata service.
    cat >"$root/etc/cloud/cloud.cfg.d/90-ami-run.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
# minbase has no locales package: use the locale glibc always has.
locale: C.UTF-8
CFG
    # As Debian's own: cloud-init writes the DHCP fallback into interfaces.d/.
    printf 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n' \
        >"$root/etc/network/interfaces"
    rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
    touch "$rootfs_dir/done"
fi
root=$rootfs_dir/root
kver=$(basename "$(ls -d "$root"/lib/modules/*)")

say "building debian-$arch-$variant into $out"
rm -rf "$out"
mkdir -p "$out/work"
work=$out/work

rootlabel=debian-root
[ "$variant" != emergency ] || rootlabel=no-such-root
esp_mib=127
root_mib=1792
mkfs.vfat -n AMIRUNEFI -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null
sdboot=$(fetch_deb systemd-boot-efi amd64)/usr/lib/systemd/boot/efi/systemd-bootx64.efi
printf 'timeout 0\ndefault debian.conf\n' >"$work/loader.conf"
cat >"$work/debian.conf" <<CONF
title Debian 12 ($variant)
linux /vmlinuz
initrd /initrd.img
options root=LABEL=$rootlabel ro console=tty0 console=ttyS0,115200
CONF
mmd -i "$work/esp.img" ::EFI ::EFI/BOOT ::loader ::loader/entries
mcopy -i "$work/esp.img" "$sdboot" ::EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.img" "$root/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$work/esp.img" "$root/boot/initrd.img-$kver" ::initrd.img
mcopy -i "$work/esp.img" "$work/loader.conf" ::loader/loader.conf
mcopy -i "$work/esp.img" "$work/debian.conf" ::loader/entries/debian.conf
tree=$root
if [ "$variant" = nolocales ]; then
    # A copy of the shared tree (about 0.5 GB, seconds) in which the guest's own dpkg
    # purges `locales`; cloud-init Depends on it, hence --force-depends.  The other
    # variants keep sharing the tree untouched.
    tree=$work/tree
    cp -a "$root" "$tree"
    chroot "$tree" dpkg --purge --force-depends locales >"$work/dpkg.log" 2>&1 ||
        die "debian: dpkg --purge locales failed: $(tail -5 "$work/dpkg.log")"
    printf '# Only the NoCloud seed (and None); no locale: cloud-init uses its default.\ndatasource_list: [ NoCloud, None ]\n' \
        >"$tree/etc/cloud/cloud.cfg.d/90-ami-run.cfg"
    [ ! -e "$tree/usr/sbin/locale-gen" ] && [ ! -e "$tree/usr/sbin/update-locale" ] ||
        die "debian: locale-gen or update-locale is still in the nolocales tree"
fi
mke2fs -q -t ext4 -L debian-root -d "$tree" "$work/root.img" "${root_mib}M" >&2
if [ "$variant" = ec2 ]; then
    # The shared tree has the NoCloud list; replace that one file in the new file system
    # (debugfs, no mount) rather than copying the whole tree.
    cfg=/etc/cloud/cloud.cfg.d/90-ami-run.cfg
    cat >"$work/ec2.cfg" <<'CFG'
# As real EC2 AMIs (Amazon Linux, Debian's own): the metadata service, never a seed ISO.
datasource_list: [ Ec2, None ]
# minbase has no locales package: use the locale glibc always has.
locale: C.UTF-8
CFG
    chmod 0644 "$work/ec2.cfg"
    # debugfs links a written file into its cwd under the name given, slashes and all.
    printf 'cd %s\nrm %s\nwrite %s %s\n' "${cfg%/*}" "${cfg##*/}" "$work/ec2.cfg" "${cfg##*/}" \
        >"$work/ec2.debugfs"
    debugfs -w -f "$work/ec2.debugfs" "$work/root.img" >"$work/debugfs.log" 2>&1 ||
        die "debugfs on the ec2 root failed: $(cat "$work/debugfs.log")"
    debugfs -R "cat $cfg" "$work/root.img" 2>/dev/null | grep -qx 'datasource_list: \[ Ec2, None \]' ||
        die "debian: $cfg in the ec2 image is not the Ec2 list"
    e2fsck -fn "$work/root.img" >"$work/e2fsck.log" 2>&1 ||
        die "debian: the ec2 root is inconsistent after debugfs: $(tail -5 "$work/e2fsck.log")"
fi

truncate -s $(((1 + esp_mib + root_mib + 1) * 1024 * 1024)) "$out/disk.raw"
printf 'label: gpt\nstart=2048, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP\nsize=%d, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n' \
    $((esp_mib * 2048)) $((root_mib * 2048)) | sfdisk -q "$out/disk.raw"
dd if="$work/esp.img" of="$out/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$out/disk.raw" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none

write_ami_json "$out" "ami-run-debian-12-$arch-$variant" \
    "ami-run test image: Debian 12 minbase + cloud-init + $kver ($variant)" "$arch" uefi 2 \
    "debian-$variant"
rm -rf "$work"
touch "$out/done"
echo "$out"
