# The Debian 12 cloud-init image: built once (debootstrap, minutes on a cold cache, as
# root), then booted through `ami-run run` like any AMI.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
need debootstrap mke2fs
[ "$(id -u)" = 0 ] || skip "the Debian image is built with debootstrap, which needs root"
ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || skip "ovmf is not installed"

# debian_ami VARIANT: build (cached) and register; prints the image id.
debian_ami() {
    local dir snap
    dir=$("$TOP/images/debian/build.sh" x86_64 "$1") || fail "images/debian/build.sh $1 failed"
    snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
    "$AMI_RUN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" \
        >/dev/null || fail "register-image of $dir failed"
    jq -r '.Images[0].ImageId' "$dir/ami.json"
}
