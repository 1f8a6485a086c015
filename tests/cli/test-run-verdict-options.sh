#!/usr/bin/env bash
# What a run tells its verdict scanner about the user data (AmiRun.VerdictOptions, seen
# through `run --dry-run --detach`, the same resolve as a boot): empty user data is none,
# as on EC2, so no verdict can say it ran; a #! script and a #cloud-config runcmd run
# through cloud-init's scripts-user, so finishing without its failure means exit 0;
# other formats are not looked into (docs/run.md "Recorded errors").
source "$(dirname "$0")/lib.sh"
make_disk "$WORK/root.raw" 1G root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name verdict-options --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")

# options FILE: "UserData/UserDataScript" of a dry run with FILE as user data.
options() {
    run 0 run "$ami" --dry-run --detach --user-data "$1"
    jq -r '.AmiRun.VerdictOptions | "\(.UserData)/\(.UserDataScript)"' <<<"$OUT"
}
: >"$WORK/empty"
printf '#!/bin/sh\necho hi\n' >"$WORK/script"
printf '#cloud-config\nruncmd:\n  - echo hi\n' >"$WORK/runcmd"
printf '#cloud-config\nhostname: x\n' >"$WORK/config"
printf 'echo hi\n' >"$WORK/no-shebang"
[ "$(options "$WORK/empty")" = false/false ] || fail "empty user data is user data: $OUT"
ok "empty user data is none: nothing is claimed of it"
[ "$(options "$WORK/script")" = true/true ] || fail "a #! script: $OUT"
[ "$(options "$WORK/runcmd")" = true/true ] || fail "#cloud-config with runcmd: $OUT"
ok "a #! script and a runcmd run through scripts-user"
[ "$(options "$WORK/config")" = true/false ] || fail "#cloud-config without runcmd: $OUT"
[ "$(options "$WORK/no-shebang")" = true/false ] || fail "text cloud-init will not handle: $OUT"
ok "other user data: no exit status to claim"
run 0 run "$ami" --dry-run --detach
[ "$(jq -r '.AmiRun.VerdictOptions.UserData' <<<"$OUT")" = false ] || fail "no user data: $OUT"
ok "no user data"
echo "$PASSED passed, 0 failed"
