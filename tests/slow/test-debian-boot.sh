#!/usr/bin/env bash
# Debian 12 without user data boots to a login prompt (the default success rule), and
# with --keep --ssh-port --ssh-public-key the image's default user logs in over ssh (the
# key reaches cloud-init through the seed's meta-data, the port through slirp); the same
# image whose root file system cannot be found ends in the initramfs shell, which is a
# boot failure naming the root device.
source "$(dirname "$0")/lib.sh"
need ssh ssh-keygen

ami=$(debian_ami ok)
ssh-keygen -q -t ed25519 -N '' -C ami-run-test -f "$WORK/key" || fail "ssh-keygen failed"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
boot 0 "$ami" --keep --ssh-port "$port" --ssh-public-key "$(cat "$WORK/key.pub")" --timeout 600
contains "$ERR" "$IID: success after"
contains "$ERR" "login: "
contains "$ERR" "kept running"
# The login prompt can come before cloud-init's config stage has written the keys.
for _ in $(seq 40); do
    if said=$(ssh -p "$port" -i "$WORK/key" -o BatchMode=yes -o ConnectTimeout=20 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        debian@127.0.0.1 'echo "$(id -un)@$(hostname)"' 2>&1); then
        break
    fi
    sleep 3
done
[ "$said" = "debian@$IID" ] || fail "ssh -p $port debian@127.0.0.1: $said"
run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
ok "no user data: success at the login prompt; ssh through --ssh-port with the --ssh-public-key"

ami=$(debian_ami emergency)
boot 1 "$ami" --timeout 600
# On t3.micro's NVMe a missing root may be a missing driver: the verdict says so.
contains "$ERR" "$IID: failure (root-device-not-found: the image may lack an NVMe driver (instance type t3.micro uses NVMe;"
contains "$ERR" "'Gave up waiting for root file system device."
assert_clean "$IID"
ok "root file system missing: exit 1, root-device-not-found from the initramfs, with the NVMe hint"
echo "$PASSED passed, 0 failed"
