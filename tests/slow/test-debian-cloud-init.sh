#!/usr/bin/env bash
# Real cloud-init on Debian 12 reads the NoCloud seed: #cloud-config user data runs (the
# default success rule then waits for cloud-init's final stage, not the login prompt),
# with the hostname from the seed; a runcmd that fails is the user data failing, a boot
# failure reported by cloud-init, decided once cloud-init has finished.  A cloud-init
# module that fails and is recorded while the boot goes on (issue 13) is
# test-debian-nolocales.sh, on the image without `locales`: one boot each.
source "$(dirname "$0")/lib.sh"

ami=$(debian_ami ok)
# runcmd becomes a script that scripts-user runs (cc_runcmd.py); its `exit 3` makes
# subp.runparts raise, so scripts-user fails with a WARNING on the console.
cat >"$WORK/cloud-config" <<'UD'
#cloud-config
runcmd:
  - echo "runcmd says $((6 * 7)) on $(hostname)"
  - exit 3
UD
SECONDS=0
boot 1 "$ami" --user-data "$WORK/cloud-config" --hostname golden-test --timeout 600
t=$SECONDS
grep -F "$IID: failure (" <<<"$ERR" | sed 's/^/# /'  # the verdict line, for the log
contains "$OUT" "DataSourceNoCloud"
contains "$OUT" "runcmd says 42 on golden-test"
contains "$ERR" "$IID: failure (cloud-init-failed: module scripts-user; user data failed) after "
contains "$ERR" ", stage cloud-init-finished: '"
record=$("$AMI_RUN" describe-instances --debug --instance-ids "$IID" |
    jq '.Reservations[0].Instances[0].AmiRun.Verdict')
# A failed script's exit status is not on the console (cloud-init logs it at DEBUG); the
# image sets locale: C.UTF-8, so its locale module does not fail.
jq -e '.Outcome == "failure" and .UserData == "failed" and (has("UserDataExit") | not) and
       .Stage == "cloud-init-finished" and ([.Matches[] | select(.Detail == "module locale")] == [])' \
    <<<"$record" >/dev/null || fail "the record's verdict is not the user data failing: $record"
log=$STORE/instances/$IID/console.log
finished=$(grep -b -m1 -a -e "Cloud-init v\. [^ ]* finished at" "$log" | cut -d: -f1)
[ -n "$finished" ] && [ "$finished" -lt "$(jq -r .DecidedOffset <<<"$record")" ] ||
    fail "the verdict came before cloud-init's final line ($finished): $record"
assert_clean "$IID"
ok "#cloud-config: runcmd ran with the seed's hostname and failed: exit 1 once cloud-init finished ($t s)"
echo "$PASSED passed, 0 failed"
