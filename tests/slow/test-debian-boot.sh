#!/usr/bin/env bash
# Debian 12 without user data boots to a login prompt (the default success rule); the
# same image whose root file system cannot be found ends in the initramfs shell, which
# is a boot failure naming the root device.
source "$(dirname "$0")/lib.sh"

ami=$(debian_ami ok)
boot 0 "$ami" --timeout 600
contains "$ERR" "$IID: success after"
contains "$ERR" "login: "
assert_clean "$IID"
ok "no user data: success at the login prompt"

ami=$(debian_ami emergency)
boot 1 "$ami" --timeout 600
contains "$ERR" "$IID: failure (root-device-not-found)"
assert_clean "$IID"
ok "root file system missing: exit 1, root-device-not-found, from the initramfs"
echo "$PASSED passed, 0 failed"
