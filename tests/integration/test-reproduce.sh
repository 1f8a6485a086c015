#!/usr/bin/env bash
# reproduce and bundle (docs/reproduce.md) with the tiny x86_64 BIOS images, four boots:
# the panic image's console, saved as the AWS CLI prints get-console-output, is
# "reproduced" by the panic image (exit 0) and a "different outcome" for the good image
# (exit 1); base64 and plain forms say the same; a bundle of the panic run holds what
# ran, with digests, and `run --from-bundle` boots it to the same verdict; bad input is
# one line, exit 2.
source "$(dirname "$0")/lib.sh"

need tar jq sha256sum base64
panic=$(tiny_ami x86_64 bios panic)
good=$(tiny_ami x86_64 bios ok)
ready=(--success 'ami-run-tiny: ready' --timeout 120)

# Boot 1: the failure to reproduce, and its console as `aws ec2 get-console-output` prints it.
boot 1 "$panic" "${ready[@]}"
first=$IID
class=$("$AMI_RUN" describe-instances --debug --instance-ids "$first" |
    jq -r '.Reservations[0].Instances[0].AmiRun.Verdict.Class')
[ "$class" = root-device-not-found ] || fail "the panic image's verdict is $class"
run 0 get-console-output --instance-id "$first"
printf '%s\n' "$OUT" >"$WORK/saved.json"
jq -r .Output "$WORK/saved.json" >"$WORK/saved.txt"
base64 "$WORK/saved.txt" >"$WORK/saved.b64"
jq '.Output |= @base64' "$WORK/saved.json" >"$WORK/saved-api.json"
ok "the panic image fails ($class); its console saved as JSON, text, base64 and API JSON"

# The saved forms, classified without a boot: all say the same signature.
sig=""
for f in saved.json saved.txt saved.b64 saved-api.json; do
    run 0 reproduce --dry-run --console-output "$WORK/$f" "${ready[@]}"
    s=$(jq -c '.Saved | {Outcome, Class, KeyLine, Stage}' <<<"$OUT")
    [ -z "$sig" ] || [ "$s" = "$sig" ] || fail "$f: signature $s, saved.json's $sig"
    sig=$s
    [ "$(jq -r .Saved.Truncated <<<"$OUT")" = false ] || fail "$f: called truncated"
done
[ "$(jq -r .Class <<<"$sig")" = root-device-not-found ] || fail "saved signature: $sig"
contains "$(jq -r .KeyLine <<<"$sig")" "unknown-block(<n>,<n>)"
run 0 reproduce --dry-run --console-output "$WORK/saved.b64"
[ "$(jq -r .Saved.Form <<<"$OUT")" = base64 ] || fail "saved.b64's form: $OUT"
run 0 reproduce --dry-run --console-output "$WORK/saved-api.json"
[ "$(jq -r .Saved.Form <<<"$OUT")" = json-base64 ] || fail "saved-api.json's form: $OUT"
ok "JSON (decoded and base64), base64 and plain text give one signature: $sig"

# Boot 2: the same image reproduces it.
run 0 reproduce --console-output "$WORK/saved.json" "$panic" "${ready[@]}"
[ "$(jq -r .Result <<<"$OUT")" = reproduced ] || fail "result: $OUT"
[ "$(jq -c '.Local | {Outcome, Class, KeyLine, Stage}' <<<"$OUT")" = "$sig" ] ||
    fail "local signature differs: $OUT"
contains "$ERR" "reproduce: reproduced: i-"
ok "reproduce with the panic image: reproduced (exit 0), both signatures in the JSON"

# Boot 3: the good image does not.
run 1 reproduce --console-output "$WORK/saved.txt" "$good" "${ready[@]}"
[ "$(jq -r .Result <<<"$OUT")" = "different outcome" ] || fail "result: $OUT"
[ "$(jq -r .Local.Outcome <<<"$OUT")" = success ] || fail "local: $OUT"
contains "$ERR" "different outcome: saved failure (root-device-not-found)"
contains "$ERR" "; here success"
ok "reproduce with the good image: different outcome (exit 1), both signatures said"

# The bundle of boot 1: every file with its sha256, the snapshot's digest the store's.
run 0 bundle "$first" --output-file "$WORK/b.tar.gz"
mkdir "$WORK/b"
tar -xzf "$WORK/b.tar.gz" -C "$WORK/b"
for f in manifest.json ami.json instance.json snapshots.json run.json domain.xml console.log \
    verdict.json; do
    [ -s "$WORK/b/$f" ] || fail "bundle lacks $f: $(ls "$WORK/b")"
done
jq -r '.Files[] | "\(.Sha256)  \(.Name)"' "$WORK/b/manifest.json" >"$WORK/b.sums"
(cd "$WORK/b" && sha256sum -c --quiet "$WORK/b.sums") || fail "manifest sha256 mismatch"
[ "$(wc -l <"$WORK/b.sums")" = "$(($(ls "$WORK/b" | wc -l) - 1))" ] ||
    fail "manifest does not list every file: $(cat "$WORK/b.sums")"
snap=$(jq -r '.[0].SnapshotId' "$WORK/b/snapshots.json")
want=$(sha256sum "$STORE/snapshots/$snap" | cut -d' ' -f1)
[ "$(jq -r '.[0].Sha256' "$WORK/b/snapshots.json")" = "$want" ] || fail "snapshot digest"
[ "$(jq -r .ImageId "$WORK/b/ami.json")" = "$panic" ] || fail "ami.json is not $panic"
[ "$(jq -r .Class "$WORK/b/verdict.json")" = "$class" ] || fail "verdict.json"
cmp -s "$WORK/b/console.log" "$STORE/instances/$first/console.log" || fail "console.log differs"
ok "bundle: AMI, record, snapshot digest ($snap), domain XML, console, verdict, manifest sha256s"

# Boot 4: the bundle boots again to the same verdict.
boot 1 --from-bundle "$WORK/b.tar.gz"
again=$("$AMI_RUN" describe-instances --debug --instance-ids "$IID" |
    jq -c '.Reservations[0].Instances[0] | [.ImageId, .InstanceType, .BootMode, .AmiRun.DiskBus, .AmiRun.Verdict.Class, .AmiRun.Verdict.Detail]')
then=$("$AMI_RUN" describe-instances --debug --instance-ids "$first" |
    jq -c '.Reservations[0].Instances[0] | [.ImageId, .InstanceType, .BootMode, .AmiRun.DiskBus, .AmiRun.Verdict.Class, .AmiRun.Verdict.Detail]')
[ "$again" = "$then" ] || fail "run --from-bundle: $again, the bundled run: $then"
ok "run --from-bundle boots the same plan to the same verdict: $again"

# Bad input: one line, exit 2, the store unchanged.
refused 2 reproduce --console-output "$WORK/missing.json" "$panic"
contains "$ERR" "no such file"
printf '\x00\x01\x02\x03garbage\xff\xfe\x04\x05\x06\x07' >"$WORK/garbage"
refused 2 reproduce --console-output "$WORK/garbage" "$panic"
contains "$ERR" "binary"
refused 2 reproduce --console-output "$WORK/saved.json" ami-0000000000000dead
contains "$ERR" "ami-0000000000000dead"
refused 2 run --from-bundle "$WORK/garbage"
contains "$ERR" "not an ami-run bundle"
# Another store that lacks the bundle's snapshot.
AMI_RUN_STORE=$WORK/other run 2 run --from-bundle "$WORK/b.tar.gz"
one_line_error
contains "$ERR" "snapshot '$snap' is not in the store"
# A snapshot whose digest differs from the bundle's.
jq '.[0].Sha256 = "0000000000000000000000000000000000000000000000000000000000000000"' \
    "$WORK/b/snapshots.json" >"$WORK/b/s.json" && mv "$WORK/b/s.json" "$WORK/b/snapshots.json"
jq --arg s "$(sha256sum "$WORK/b/snapshots.json" | cut -d' ' -f1)" \
    '(.Files[] | select(.Name == "snapshots.json") | .Sha256) = $s' "$WORK/b/manifest.json" \
    >"$WORK/b/m.json" && mv "$WORK/b/m.json" "$WORK/b/manifest.json"
tar -czf "$WORK/bad.tar.gz" -C "$WORK/b" manifest.json run.json snapshots.json ami.json
refused 2 run --from-bundle "$WORK/bad.tar.gz"
contains "$ERR" "snapshot '$snap' in the store has sha256 $want, the bundle's has 0000"
ok "missing file, garbage, unknown AMI, not a bundle, missing or mismatched snapshot: exit 2, one line"
