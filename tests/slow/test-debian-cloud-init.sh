#!/usr/bin/env bash
# Real cloud-init on Debian 12 reads the NoCloud seed: #cloud-config user data runs (the
# default success rule then waits for cloud-init's final stage, not the login prompt),
# and a user-data script that fails is a boot failure reported by cloud-init, decided
# once cloud-init has finished (its failed module is recorded, not an early end).
source "$(dirname "$0")/lib.sh"

ami=$(debian_ami ok)
cat >"$WORK/cloud-config" <<'UD'
#cloud-config
runcmd:
  - echo "runcmd says $((6 * 7)) on $(hostname)"
UD
boot 0 "$ami" --user-data "$WORK/cloud-config" --hostname golden-test --timeout 600
contains "$OUT" "DataSourceNoCloud"
contains "$OUT" "runcmd says 42 on golden-test"
contains "$ERR" "$IID: success after"
contains "$ERR" "finished at"
assert_clean "$IID"
ok "#cloud-config: cloud-init used the NoCloud seed, runcmd ran, success at cloud-init's final stage"

printf '#!/bin/sh\necho "script user data about to fail"\nexit 3\n' >"$WORK/fail.sh"
boot 1 "$ami" --user-data "$WORK/fail.sh" --timeout 600
contains "$OUT" "script user data about to fail"
contains "$ERR" "$IID: failure (cloud-init-failed: module scripts"
contains "$ERR" "stage cloud-init-finished, user data failed: "
assert_clean "$IID"
ok "a failing user-data script: exit 1, cloud-init-failed once cloud-init finished"
echo "$PASSED passed, 0 failed"
