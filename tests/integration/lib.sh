# Helpers for the integration tests: real images, booted through `ami-run run` with real
# libvirt, QEMU and firmware (TCG here), each test in its own temporary store.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

need qemu-system-x86_64 mkfs.vfat mcopy syslinux sfdisk cpio busybox apt-get dpkg-deb depmod
[ -e /usr/lib/syslinux/mbr/mbr.bin ] || skip "syslinux-common is not installed (scripts/install-deps)"
# As root, libvirt's embedded driver wants the libvirt-qemu user to exist.
[ "$(id -u)" != 0 ] || getent passwd libvirt-qemu >/dev/null ||
    skip "the libvirt-qemu user does not exist (scripts/install-deps creates it)"

# As root QEMU runs as ami-run-qemu, which must traverse to the store (mktemp made
# $WORK 0700); the store itself stays closed to everyone else (docs/run.md).
chmod 0711 "$WORK"

qemus_of() { pgrep -f "guest=$1" 2>/dev/null || true; }

# Whatever happens, no ami-run or QEMU of this test outlives it: a failed test may leave
# a run behind in the background (found by its store in the environment).
cleanup_integration() {
    local d p
    for p in $(pgrep -f "^$AMI_RUN " 2>/dev/null); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "AMI_RUN_STORE=$STORE" &&
            kill -9 "$p" 2>/dev/null
    done
    for d in "$STORE"/instances/i-*; do
        [ -d "$d" ] && pkill -9 -f "guest=${d##*/}" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup_integration EXIT

# tiny_ami ARCH FIRMWARE VARIANT: build (cached) and register a tiny image; prints its id.
tiny_ami() {
    local dir snap
    dir=$("$TOP/images/tiny/build.sh" "$@") || fail "images/tiny/build.sh $* failed"
    snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
    "$AMI_RUN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" \
        >/dev/null || fail "register-image of $dir failed"
    jq -r '.Images[0].ImageId' "$dir/ami.json"
}

# The sha256 of every snapshot file in the store; fails when there is none, so that two
# calls can never agree by both being empty.
snapshot_sums() {
    local f sums=""
    for f in "$STORE"/snapshots/snap-*; do
        case "$f" in *.json) continue ;; esac
        [ -f "$f" ] || continue
        sums+="$(sha256sum "$f")"$'\n'
    done
    [ -n "$sums" ] || fail "snapshot_sums: no snapshot in $STORE/snapshots"
    printf '%s' "$sums"
}

# boot EXPECTED_RC ARGS...: `ami-run run` with a deadline; stdout (console) in $OUT,
# stderr (notices, verdict) in $ERR, the instance id in $IID.
boot() {
    local want=$1
    shift
    run "$want" run --console stream "$@"
    IID=$(sed -n 's/^ami-run: run: \(i-[0-9a-f]*\): started.*/\1/p' <<<"$ERR" | head -1)
    [ -n "$IID" ] || fail "no instance id in: $ERR"
}

# After a run: no QEMU of the instance, and only the record, the console log, the
# domain XML and libvirt's (and a supervisor's) log remain in its directory.
assert_clean() {
    local id=$1 left
    [ -z "$(qemus_of "$id")" ] || fail "QEMU of $id still runs"
    left=$(cd "$STORE/instances/$id" && ls | grep -v '^supervisor\.log$' | sort | tr '\n' ' ')
    [ "$left" = "console.log domain.xml instance.json libvirt.log " ] ||
        fail "left in instances/$id: $left"
    [ ! -e "/run/ami-run/$id" ] || fail "libvirt root /run/ami-run/$id left behind"
}

state_of() {
    "$AMI_RUN" describe-instances --instance-ids "$1" |
        jq -r '.Reservations[0].Instances[0].State.Name'
}
