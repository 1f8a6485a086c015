# Shared by the image recipes: cache, Debian kernel packages, the tiny initramfs.
# Everything comes from Debian packages; nothing needs root-only tricks (no loop mounts).
set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${AMI_RUN_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ami-run/images}

say() { echo "images: $*" >&2; }

# cache_lock NAME: one builder of NAME at a time (parallel tests build the same images);
# other images build meanwhile.  Held until the recipe exits.
cache_lock() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$1"
    flock 9
}
die() { echo "images: $*" >&2; exit 4; }

# debian_arch x86_64|arm64 -> amd64|arm64
debian_arch() {
    case $1 in
        x86_64) echo amd64 ;;
        arm64) echo arm64 ;;
        *) die "unknown architecture $1" ;;
    esac
}

# The versioned kernel package behind linux-image-cloud-ARCH (apt's current candidate).
kernel_package() {
    local darch=$1 pkg
    pkg=$(apt-cache depends "linux-image-cloud-$darch:$darch" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | sed 's/:.*//' | head -1)
    if [ -z "$pkg" ]; then
        [ "$darch" = amd64 ] || dpkg --add-architecture "$darch"
        say "updating apt lists to find linux-image-cloud-$darch"
        apt-get update -q >/dev/null
        pkg=$(apt-cache depends "linux-image-cloud-$darch:$darch" |
            sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | sed 's/:.*//' | head -1)
    fi
    [ -n "$pkg" ] || die "linux-image-cloud-$darch is not available from apt"
    echo "$pkg"
}

# fetch_deb PKG DARCH: download and unpack a Debian package of any architecture into the
# cache (no installation, no root).  Prints the unpacked root.
fetch_deb() {
    local pkg=$1 darch=$2 dir=$CACHE/debs/$1_$2
    mkdir -p "$CACHE/debs"
    exec 8>"$dir.lock"
    flock 8
    if [ ! -e "$dir/done" ]; then
        say "downloading $pkg ($darch)"
        rm -rf "$dir"
        mkdir -p "$dir"
        if ! (cd "$dir" && apt-get download -q "$pkg:$darch" >/dev/null 2>&1); then
            [ "$darch" = "$(dpkg --print-architecture)" ] ||
                dpkg --print-foreign-architectures | grep -qx "$darch" ||
                dpkg --add-architecture "$darch"
            say "updating apt lists for $darch"
            apt-get update -q >/dev/null
            (cd "$dir" && apt-get download -q "$pkg:$darch" >/dev/null 2>&1) ||
                die "apt-get download $pkg:$darch failed"
        fi
        dpkg-deb -x "$dir"/*.deb "$dir/root"
        rm -f "$dir"/*.deb
        touch "$dir/done"
    fi
    exec 8>&-
    echo "$dir/root"
}

# fetch_kernel ARCH DIR: unpack the Debian cloud kernel for ARCH into DIR (cached).
# Prints the kernel version.
fetch_kernel() {
    local darch pkg dir=$2 ver root
    darch=$(debian_arch "$1")
    pkg=$(kernel_package "$darch")
    ver=${pkg#linux-image-}
    root=$(fetch_deb "$pkg" "$darch")
    [ -e "$root/lib/modules/$ver/modules.dep" ] || depmod -b "$root" "$ver"
    ln -sfn "$root" "$dir"
    echo "$ver"
}

# modules_in_order ROOT VERSION MODULE...: the .ko paths to insmod, dependencies first.
modules_in_order() {
    local root=$1 ver=$2
    shift 2
    local dep=$root/lib/modules/$ver/modules.dep
    local -A seen=()
    visit() {
        local path line deps d
        line=$(grep -E "(^|/)$1\.ko:" "$dep" | head -1) || die "module $1 not in $ver"
        path=${line%%:*}
        [ -n "${seen[$path]:-}" ] && return 0
        deps=${line#*:}
        for d in $deps; do
            d=${d##*/}
            visit "${d%.ko}"
        done
        seen[$path]=1
        echo "$path"
    }
    for m in "$@"; do visit "$m"; done
}

# recipe_key FILE...: a short hash of the recipe files (and this library) for the cache.
recipe_key() {
    cat "$IMAGES_DIR/lib.sh" "$@" | sha256sum | cut -c1-16
}

# write_ami_json OUT NAME DESCRIPTION ARCH BOOTMODE(or "") VOLUME_GIB TAG: the image's
# describe-images JSON (OUT/ami.json).  Ids derive from NAME and the recipe key ($key),
# so a changed recipe never collides with an old build in a store.
write_ami_json() {
    local out=$1 name=$2 desc=$3 arch=$4 boot_mode=$5 size=$6 tag=$7 suffix
    suffix=$(printf '%s' "$name-$key" | sha256sum | cut -c1-17)
    jq -n --arg id "ami-$suffix" --arg snap "snap-$suffix" --arg name "$name" \
        --arg desc "$desc" --arg arch "$arch" --arg bm "$boot_mode" --argjson size "$size" \
        --arg tag "$tag" '{Images: [{
            ImageId: $id, Name: $name, Description: $desc, Architecture: $arch}
            + (if $bm == "" then {} else {BootMode: $bm} end)
            + {VirtualizationType: "hvm", RootDeviceType: "ebs", RootDeviceName: "/dev/xvda",
               BlockDeviceMappings: [{DeviceName: "/dev/xvda", Ebs: {SnapshotId: $snap,
                   VolumeSize: $size, VolumeType: "gp3", DeleteOnTermination: true}}],
               EnaSupport: true, State: "available", ImageType: "machine", Hypervisor: "xen",
               PlatformDetails: "Linux/UNIX",
               Tags: [{Key: "ami-run:test-image", Value: $tag}]}]}' >"$out/ami.json"
}
