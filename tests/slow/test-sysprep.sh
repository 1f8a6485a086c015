#!/usr/bin/env bash
# ami_guestfs_sysprep() (create-image --sysprep, docs/sysprep.md) on a qcow2 overlay of the
# Debian test image's snapshot: every item of the list planted (inside the same appliance
# launch, by sysprep-check's test hook), then checked gone with a second, read-only
# libguestfs handle; the logs and machine-id are empty files that keep their owners, the
# report names every item, and the snapshot under the overlay is byte-identical.  A bad
# operation list fails before any launch and leaves the overlay as it was.
source "$(dirname "$0")/lib.sh"
need qemu-img sha256sum
: "${AMI_RUN_SYSPREP_CHECK:?AMI_RUN_SYSPREP_CHECK must point to the sysprep-check binary}"
[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] ||
    fail "no kernel in /boot for the libguestfs appliance (scripts/install-deps installs linux-image-amd64)"

ami=$(debian_ami ok)
snap=$("$AMI_RUN" describe-images --image-ids "$ami" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
base=$STORE/snapshots/$snap
[ -f "$base" ] || fail "no snapshot file $base"
before=$(sha256sum <"$base")
overlay=$WORK/overlay.qcow2
qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$overlay" || fail "qemu-img create failed"
[ "$(qemu-img info --output=json "$overlay" | jq -r '."backing-filename-format"')" = qcow2 ] ||
    fail "the overlay's backing format is not pinned"

# Bad input: exit 2, one line naming the operation, no launch, the overlay untouched.
sum=$(sha256sum <"$overlay")
rc=0
"$AMI_RUN_SYSPREP_CHECK" "$overlay" "logs,no-such-op" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "unknown operation: exit $rc, expected 2: $(cat "$WORK/err")"
[ "$(cat "$WORK/err")" = "sysprep-check: Unknown sysprep operation 'no-such-op' (--sysprep=list lists them)" ] ||
    fail "unknown operation: $(cat "$WORK/err")"
[ "$(sha256sum <"$overlay")" = "$sum" ] || fail "a refused operation list changed the overlay"
ok "an unknown operation is refused before any launch (exit 2), the overlay unchanged"

rc=0
"$AMI_RUN_SYSPREP_CHECK" "$overlay" >"$WORK/report" 2>"$WORK/err" || rc=$?
cat "$WORK/report"
[ "$rc" = 0 ] || fail "sysprep-check exited $rc: $(cat "$WORK/err")"
report=$(cat "$WORK/report")
for item in "ssh-hostkeys /etc/ssh/ssh_host_ed25519_key" "authorized-keys /root/.ssh/authorized_keys" \
    "shell-history /home/admin/.bash_history" "aws-credentials /home/admin/.aws" \
    "cloud-init /var/lib/cloud/instance" "tmp-files /tmp/.x" "tmp-files /var/tmp/y" \
    "logs /var/log/syslog" "machine-id /etc/machine-id" "dhcp-leases /var/lib/dhcp/dhclient.ens5.leases" \
    "net-config /etc/udev/rules.d/70-persistent-net.rules" "fstrim /"; do
    grep -qxF "$item" <<<"$report" || fail "the report lacks '$item'"
done
ok "every planted item cleaned and reported, checked with a read-only handle ($(grep -c . <<<"$report") lines)"

[ "$(sha256sum <"$base")" = "$before" ] || fail "the snapshot under the overlay changed"
ok "the base snapshot's sha256 is unchanged"
echo "$PASSED passed, 0 failed"
