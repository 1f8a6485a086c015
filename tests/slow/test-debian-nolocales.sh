#!/usr/bin/env bash
# Issue 13's acceptance, on the disk its new user had: Debian 12 minbase + cloud-init with
# no `locales` package and no `locale:` line (images/debian variant nolocales).  cloud-init's
# locale module fails in modules:config (locale-gen is not there); the boot goes on, the
# `#!/bin/sh` user data runs and prints into the console, and the verdict, decided once
# cloud-init finished, names the locale module as a warning (exit 0 without --strict) and
# says the user data ran with exit 0.  One Debian boot.
source "$(dirname "$0")/lib.sh"

ami=$(debian_ami nolocales)
printf '#!/bin/sh\necho "nolocales user data says $((6 * 7))"\nexit 0\n' >"$WORK/ud.sh"
SECONDS=0
boot 0 "$ami" --user-data "$WORK/ud.sh" --timeout 600
t=$SECONDS
grep -F "$IID: success with" <<<"$ERR" | sed 's/^/# /'  # the verdict line, for the log
contains "$OUT" "nolocales user data says 42"
contains "$OUT" "DataSourceNoCloud"
contains "$ERR" "$IID: success with 1 warning (cloud-init-failed: module locale) after "
contains "$ERR" ", stage cloud-init-finished, user data ran, exit 0: '"
contains "$ERR" "$IID: recorded cloud-init-failed (module locale) at "
ok "the locale module failed, the boot went on, the user data ran: exit 0 with a warning ($t s)"

record=$("$AMI_RUN" describe-instances --debug --instance-ids "$IID" |
    jq '.Reservations[0].Instances[0].AmiRun.Verdict')
jq -e '.Outcome == "success" and .Strict == false and .UserData == "ran" and
       .UserDataExit == 0 and .Stage == "cloud-init-finished" and
       ([.Matches[] | select(.Recorded and .Detail == "module locale")] | length) == 1' \
    <<<"$record" >/dev/null || fail "the record's verdict is not the warned success: $record"
# Console offsets, from console.log itself: the locale line, then the user data's output,
# then cloud-init's final line, and only after that the verdict.
log=$STORE/instances/$IID/console.log
offset_of() { grep -b -m1 -a -e "$1" "$log" | cut -d: -f1; }
locale=$(jq -r '.Matches[] | select(.Detail == "module locale") | .Offset' <<<"$record")
output=$(offset_of "nolocales user data says 42")
finished=$(offset_of "Cloud-init v\. [^ ]* finished at")
decided=$(jq -r .DecidedOffset <<<"$record")
[ -n "$output" ] && [ -n "$finished" ] || fail "no user-data output or final line in $log"
tail -c +$((locale + 1)) "$log" | head -1 | grep -q "Running module locale" ||
    fail "console.log at byte $locale is not the locale line"
[ "$locale" -lt "$output" ] && [ "$output" -lt "$finished" ] && [ "$finished" -lt "$decided" ] ||
    fail "out of order: locale $locale, user data $output, finished $finished, verdict $decided"
assert_clean "$IID"
ok "locale at byte $locale < user data $output < cloud-init finished $finished < verdict $decided"
echo "$PASSED passed, 0 failed"
