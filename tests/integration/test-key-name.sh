#!/usr/bin/env bash
# run --key-name boots with the key pair's public key first in the seed's meta-data (the
# tiny image's user data prints it from /seed) and the instance record's KeyName set, as
# describe-instances shows it on EC2 (docs/key-pairs.md).
source "$(dirname "$0")/lib.sh"
need ssh-keygen

ami=$(tiny_ami x86_64 bios ok)
run 0 create-key-pair --key-name tiny-key --key-type ed25519
jq -r .KeyMaterial <<<"$OUT" >"$WORK/key.pem"
chmod 600 "$WORK/key.pem"
pub=$(ssh-keygen -y -f "$WORK/key.pem")
ssh-keygen -q -t ed25519 -N '' -C extra -f "$WORK/extra"
cat >"$WORK/ud.sh" <<'UD'
#!/bin/sh
sed -n 's/^  - "\(.*\)"$/seed key: \1/p' /seed/meta-data
UD

boot 0 "$ami" --key-name tiny-key --ssh-public-key "$(cat "$WORK/extra.pub")" \
    --user-data "$WORK/ud.sh" --success 'ami-run-tiny: ready' --timeout 120
keys=$(tr -d '\r' <<<"$OUT" | sed -n 's/.*seed key: //p')
[ "$(head -1 <<<"$keys")" = "$pub" ] || fail "the key pair is not the seed's first key: $keys"
[ "$(sed -n 2p <<<"$keys")" = "$(cat "$WORK/extra.pub")" ] || fail "--ssh-public-key is not second: $keys"
ok "the guest's seed lists the key pair's public key first, then --ssh-public-key"

run 0 describe-instances --instance-ids "$IID"
[ "$(jq -r '.Reservations[0].Instances[0].KeyName' <<<"$OUT")" = tiny-key ] ||
    fail "describe-instances KeyName: $(jq -c '.Reservations[0].Instances[0] | {KeyName}' <<<"$OUT")"
ok "describe-instances shows KeyName"
echo "$PASSED passed, 0 failed"
