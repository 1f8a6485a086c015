#!/usr/bin/env bash
# Real cloud-init on Debian 12 reads the NoCloud seed: #cloud-config user data runs (the
# default success rule then waits for cloud-init's final stage, not the login prompt);
# a cloud-init module that fails is recorded and the boot goes on to that stage, as on
# EC2 (issue 13); a user-data script that fails is a boot failure reported by cloud-init,
# decided once cloud-init has finished.
source "$(dirname "$0")/lib.sh"

ami=$(debian_ami ok)
# inspect (docs/forensics.md), one read-only appliance: the image as it is built.
before=$(store_digest)
run 0 --output json inspect "$ami"
[ "$(store_digest)" = "$before" ] || fail "inspect changed the store"
jq -e '.Os.Distro == "debian" and (.Os.Version | startswith("12.")) and
       .Boot[0].Loader == "systemd-boot" and .Boot[0].Root == "LABEL=debian-root" and
       (.Boot[0].Console | index("ttyS0,115200")) != null and
       .Initramfs[0].Drivers.virtio_blk != "missing" and .Initramfs[0].Drivers.nvme != "missing" and
       .CloudInit.Installed and .CloudInit.Version == "22.4.2" and .CloudInit.NoCloud and
       ([.Warnings[].Code] | index("ssh-host-keys")) != null and
       ([.Warnings[].Code] | index("initramfs-no-nvme")) == null and
       .Undetermined == [] and (.Fstab | length) >= 1' <<<"$OUT" >/dev/null ||
    fail "inspect of the Debian image: $OUT"
ok "inspect Debian: OS, systemd-boot entry with ttyS0 and root=LABEL, initramfs drivers, cloud-init 22.4.2 with NoCloud, host keys warned"

# locale: en_US.UTF-8 is cloud-init's default, which the image overrides with C.UTF-8:
# it has `locales` (cloud-init depends on it) but generates none, so update-locale
# refuses en_US.UTF-8 and the locale module fails in modules:config, before the user
# data runs: the image as a new user would build it, without a second image or boot.
cat >"$WORK/cloud-config" <<'UD'
#cloud-config
locale: en_US.UTF-8
runcmd:
  - echo "runcmd says $((6 * 7)) on $(hostname)"
UD
boot 0 "$ami" --user-data "$WORK/cloud-config" --hostname golden-test --timeout 600
contains "$OUT" "DataSourceNoCloud"
contains "$OUT" "runcmd says 42 on golden-test"
contains "$ERR" "$IID: success with "
contains "$ERR" "stage cloud-init-finished, user data ran: '"
contains "$ERR" "finished at"
contains "$ERR" "$IID: recorded cloud-init-failed (module locale) at "
record=$("$AMI_RUN" describe-instances --instance-ids "$IID" | jq '.Reservations[0].Instances[0].AmiRun.Verdict')
m=$(jq -c '[.Matches[] | select(.Detail == "module locale")][0]' <<<"$record")
[ "$(jq -r .Recorded <<<"$m")" = true ] || fail "no recorded locale match in the record: $record"
# Its offset is where its line starts in console.log, and it came before the verdict.
off=$(jq -r .Offset <<<"$m")
tail -c +$((off + 1)) "$STORE/instances/$IID/console.log" | head -1 | grep -q "Running module locale" ||
    fail "console.log at byte $off is not the locale line: $(tail -c +$((off + 1)) "$STORE/instances/$IID/console.log" | head -1)"
jq -e --argjson m "$m" '.Outcome == "success" and .UserData == "ran" and
       .Stage == "cloud-init-finished" and $m.Seconds < .Seconds' <<<"$record" >/dev/null ||
    fail "the record's verdict is not a success after the recorded error: $record"
assert_clean "$IID"
ok "#cloud-config: the locale module failed and was recorded, the boot went on, runcmd ran, success at cloud-init's final stage"

printf '#!/bin/sh\necho "script user data about to fail"\nexit 3\n' >"$WORK/fail.sh"
# --keep-failed (docs/forensics.md): this failed boot is kept stopped for `logs`.
boot 1 "$ami" --user-data "$WORK/fail.sh" --timeout 600 --keep-failed
contains "$OUT" "script user data about to fail"
contains "$ERR" "$IID: failure (cloud-init-failed: module scripts"
contains "$ERR" "stage cloud-init-finished, user data failed: "
contains "$ERR" "$IID: kept stopped with its volumes (--keep-failed): ami-run logs $IID"
[ "$(state_of "$IID")" = stopped ] || fail "kept instance is $(state_of "$IID"), not stopped"
ok "a failing user-data script: exit 1, cloud-init-failed once cloud-init finished, kept stopped"

# logs: the guest's own cloud-init.log says which script failed and how; the output log
# has what it printed; the journal is read too.  One appliance, the volumes unchanged.
root=$(jq -r '.AmiRun.Disks[0].Path' "$STORE/instances/$IID/instance.json")
sum=$(sha256sum "$root")
run 0 --output json logs "$IID" --since-boot
[ "$(sha256sum "$root")" = "$sum" ] || fail "logs changed the instance's root volume"
log=$(jq -r '.Logs[] | select(.Source == "/var/log/cloud-init.log") | .Text' <<<"$OUT")
contains "$log" "cc_scripts_user.py[WARNING]: Failed to run module scripts-user"
contains "$log" "Exit code: 3"
[ "$(grep -c "running 'init-local'" <<<"$log")" = 1 ] || fail "--since-boot kept more than one boot of cloud-init.log"
contains "$(jq -r '.Logs[] | select(.Source == "/var/log/cloud-init-output.log") | .Text' <<<"$OUT")" \
    "script user data about to fail"
jq -e '.Logs[] | select(.Source == "journal") | (.Text // .Missing)' <<<"$OUT" >/dev/null ||
    fail "logs has no journal entry: $OUT"
ok "logs --since-boot of the kept instance: cloud-init.log's failed script, the script's output, the journal"
run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
echo "$PASSED passed, 0 failed"
