#!/usr/bin/env bash
# Real cloud-init on Debian 12 reads the NoCloud seed: #cloud-config user data runs (the
# default success rule then waits for cloud-init's final stage, not the login prompt),
# with the hostname from the seed; a runcmd that fails is the user data failing, a boot
# failure reported by cloud-init, decided once cloud-init has finished.  A cloud-init
# module that fails and is recorded while the boot goes on (issue 13) is
# test-debian-nolocales.sh, on the image without `locales`: one boot each.  The failed
# boot is kept (--keep-failed) for `logs`; `inspect` reads the image first.
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

# runcmd becomes a script that scripts-user runs (cc_runcmd.py); its `exit 3` makes
# subp.runparts raise, so scripts-user fails with a WARNING on the console.
cat >"$WORK/cloud-config" <<'UD'
#cloud-config
runcmd:
  - echo "runcmd says $((6 * 7)) on $(hostname)"
  - exit 3
UD
SECONDS=0
# --keep-failed (docs/forensics.md): this failed boot is kept stopped for `logs`.
boot 1 "$ami" --user-data "$WORK/cloud-config" --hostname golden-test --timeout 600 --keep-failed
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
contains "$ERR" "$IID: kept stopped with its volumes (--keep-failed): ami-run logs $IID"
[ "$(state_of "$IID")" = stopped ] || fail "kept instance is $(state_of "$IID"), not stopped"
ok "#cloud-config: runcmd ran with the seed's hostname and failed: exit 1 once cloud-init finished ($t s), kept stopped"

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
    "runcmd says 42 on golden-test"
jq -e '.Logs[] | select(.Source == "journal") | (.Text // .Missing)' <<<"$OUT" >/dev/null ||
    fail "logs has no journal entry: $OUT"
ok "logs --since-boot of the kept instance: cloud-init.log's failed script, its output, the journal"
run 0 terminate-instances --instance-ids "$IID"
assert_clean "$IID"
echo "$PASSED passed, 0 failed"
