#!/usr/bin/env bash
# As root, QEMU runs as the dedicated unprivileged user (ami-run-qemu, made by
# scripts/install-deps) inside libvirt's seccomp sandbox, and as root only with
# --qemu-user root (docs/run.md "Security layers").  The store's snapshots stay
# read-only and unchanged; the instance's files are opened to QEMU's group only.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "QEMU's user is chosen only when ami-run runs as root"
getent passwd ami-run-qemu >/dev/null ||
    skip "the ami-run-qemu user does not exist (scripts/install-deps creates it)"
qemu_uid=$(id -u ami-run-qemu)
qemu_gid=$(id -g ami-run-qemu)

ami=$(tiny_ami x86_64 bios ok)
before=$(snapshot_sums)

# uid and Seccomp of the instance's running QEMU, and whether its command line has
# -sandbox on (libvirt's seccomp_sandbox = 1).
qemu_facts() {
    local pid
    pid=$(qemus_of "$1" | head -1)
    [ -n "$pid" ] || fail "no QEMU for $1"
    awk '/^Uid:/ {printf "uid=%s ", $2} /^Seccomp:/ {printf "seccomp=%s ", $2}' "/proc/$pid/status"
    tr '\0' '\n' <"/proc/$pid/cmdline" | grep -A1 -x -- -sandbox | tail -1 | cut -d, -f1
}

run 0 run "$ami" --detach
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
facts=$(qemu_facts "$IID")
contains "$facts" "uid=$qemu_uid "
contains "$facts" "seccomp=2 "
[ "${facts##* }" = on ] || fail "QEMU's command line has no '-sandbox on': $facts"
ok "as root QEMU runs as ami-run-qemu ($facts)"

dir=$STORE/instances/$IID
[ "$(stat -c %a:%g "$dir")" = "710:$qemu_gid" ] || fail "instance dir: $(stat -c %a:%G "$dir")"
for f in "$dir"/vol-*.qcow2; do
    [ "$(stat -c %a:%u:%g "$f")" = "660:0:$qemu_gid" ] || fail "$f: $(stat -c %a:%U:%G "$f")"
done
[ "$(stat -c %a "$dir/instance.json")" = 600 ] || fail "the record is open to others"
for f in "$STORE"/snapshots/snap-*; do
    case "$f" in *.json) continue ;; esac
    [ "$(stat -c %a:%u:%g "$f")" = "440:0:$qemu_gid" ] || fail "$f: $(stat -c %a:%U:%G "$f")"
done
[ "$(stat -c %a "$STORE/images")" = 700 ] || fail "images/ is open to QEMU's user"
ok "QEMU's group reaches the instance's disks (0660) and the snapshots (0440), not the record"

run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
[ "$(snapshot_sums)" = "$before" ] || fail "a snapshot changed during the run"
ok "terminated; the snapshot is unchanged"

run 0 run "$ami" --detach --qemu-user root
IID=$(jq -r '.Instances[0].InstanceId' <<<"$OUT")
contains "$ERR" "QEMU runs as root (--qemu-user root)"
facts=$(qemu_facts "$IID")
contains "$facts" "uid=0 "
[ "${facts##* }" = on ] || fail "QEMU's command line has no '-sandbox on': $facts"
run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
ok "--qemu-user root: QEMU runs as root, still sandboxed, with a notice"

# A store QEMU's user cannot reach: refused before anything is created.
mkdir -m 0700 "$WORK/closed"
closed=$WORK/closed/store
tiny=$("$TOP/images/tiny/build.sh" x86_64 bios ok)
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$tiny/ami.json")
AMI_RUN_STORE=$closed "$AMI_RUN" register-image --from-json "$tiny/ami.json" \
    --snapshot "$snap=$tiny/disk.raw" >/dev/null || fail "register-image into $closed failed"
AMI_RUN_STORE=$closed run 4 run "$ami" --timeout 30
one_line_error
contains "$ERR" "QEMU's user 'ami-run-qemu' cannot read"
contains "$ERR" "--qemu-user root"
[ ! -e "$closed/instances" ] || [ -z "$(ls "$closed/instances")" ] || fail "an instance was created"
ok "a store behind a directory closed to QEMU's user: one clear error, exit 4, nothing created"
