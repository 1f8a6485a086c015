#!/usr/bin/env bash
# Key pairs (docs/key-pairs.md): create-key-pair's KeyMaterial works with ssh-keygen and
# gives exactly the stored public key; fingerprints equal what openssl and ssh-keygen
# compute by EC2's rules; describe-key-pairs' filters, --query and --include-public-key;
# duplicates and unknown names refused with EC2's codes; import of ssh-keygen keys in
# every format; delete; run --key-name shown by --dry-run; JSON shapes as the AWS CLI's
# --generate-cli-skeleton output.
source "$(dirname "$0")/lib.sh"
need jq ssh-keygen openssl aws

# The member names of the AWS CLI's output skeleton for an ec2 operation.
skeleton_keys() {
    AWS_DEFAULT_REGION=us-east-1 aws ec2 "$@" --generate-cli-skeleton output | jq -c "$SKEL_PATH | keys"
}


# --- create-key-pair rsa --------------------------------------------------------------
run 0 create-key-pair --key-name rsa-key
created=$OUT
jq -r .KeyMaterial <<<"$created" >"$WORK/rsa.pem"
chmod 600 "$WORK/rsa.pem"
[ "$(head -1 "$WORK/rsa.pem")" = "-----BEGIN RSA PRIVATE KEY-----" ] || fail "RSA KeyMaterial header: $(head -1 "$WORK/rsa.pem")"
[ "$(openssl rsa -in "$WORK/rsa.pem" -noout -text 2>/dev/null | head -1)" = "Private-Key: (2048 bit, 2 primes)" ] || fail "not RSA 2048"
rsa_id=$(jq -r .KeyPairId <<<"$created")
[[ $rsa_id =~ ^key-[0-9a-f]{17}$ ]] || fail "KeyPairId '$rsa_id' is not key- and 17 hex digits"
want=$(openssl pkcs8 -in "$WORK/rsa.pem" -inform PEM -outform DER -topk8 -nocrypt | openssl sha1 -c | awk '{print $NF}')
[ "$(jq -r .KeyFingerprint <<<"$created")" = "$want" ] || fail "created RSA fingerprint $(jq -r .KeyFingerprint <<<"$created") != SHA-1 of the PKCS#8 DER $want"
SKEL_PATH=. 
[ "$(jq -c keys <<<"$created")" = "$(skeleton_keys create-key-pair --key-name x | jq -c 'map(select(. != "Tags"))')" ] ||
    fail "create-key-pair members $(jq -c keys <<<"$created") differ from the AWS CLI's skeleton"
run 0 describe-key-pairs --key-names rsa-key --include-public-key
stored=$(jq -r '.KeyPairs[0].PublicKey' <<<"$OUT")
[ "$(ssh-keygen -y -f "$WORK/rsa.pem") rsa-key" = "$stored" ] || fail "ssh-keygen -y of the KeyMaterial is not the stored key: $stored"
ok "create-key-pair rsa: PKCS#1 PEM, ssh-keygen -y gives the stored key, SHA-1 PKCS#8 fingerprint, EC2's shape"

# --- create-key-pair ed25519, with tags ----------------------------------------------
run 0 create-key-pair --key-name ed-key --key-type ed25519 \
    --tag-specifications 'ResourceType=key-pair,Tags=[{Key=team,Value=blue}]'
ed=$OUT
jq -r .KeyMaterial <<<"$ed" >"$WORK/ed.pem"
chmod 600 "$WORK/ed.pem"
[ "$(head -1 "$WORK/ed.pem")" = "-----BEGIN OPENSSH PRIVATE KEY-----" ] || fail "ED25519 KeyMaterial header"
[ "$(jq -c .Tags <<<"$ed")" = '[{"Key":"team","Value":"blue"}]' ] || fail "create-key-pair Tags: $ed"
run 0 describe-key-pairs --key-names ed-key --include-public-key
[ "$(ssh-keygen -y -f "$WORK/ed.pem")" = "$(jq -r '.KeyPairs[0].PublicKey' <<<"$OUT")" ] || fail "ed25519: ssh-keygen -y differs from the stored key"
sha=$(ssh-keygen -l -E sha256 -f "$WORK/ed.pem" | awk '{print $2}')
[ "$(jq -r .KeyFingerprint <<<"$ed")" = "${sha#SHA256:}=" ] || fail "ed25519 fingerprint $(jq -r .KeyFingerprint <<<"$ed") != ssh-keygen's $sha plus '='"
ok "create-key-pair ed25519: OpenSSH private key, ssh-keygen -y gives exactly the stored key, SHA-256 with '='"

# --- nothing private in the store ----------------------------------------------------
! grep -rq "PRIVATE KEY" "$STORE" || fail "a private key is in the store"
for f in "$STORE"/key-pairs/*.json; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(ls "$STORE/key-pairs" | wc -l)" = 2 ] || fail "key-pairs/: $(ls "$STORE/key-pairs")"
ok "the store keeps public keys only (key-pairs/key-….json, 0600)"

# --- describe-key-pairs ----------------------------------------------------------------
run 0 describe-key-pairs
[ "$(jq -c '[.KeyPairs[].KeyName]' <<<"$OUT")" = '["ed-key","rsa-key"]' ] || fail "describe order: $OUT"
[ "$(jq '[.KeyPairs[] | has("PublicKey")] | any' <<<"$OUT")" = false ] || fail "PublicKey without --include-public-key"
SKEL_PATH='.KeyPairs[0]'
[ "$(jq -c '.KeyPairs[0] | keys' <<<"$OUT")" = "$(skeleton_keys describe-key-pairs | jq -c 'map(select(. != "PublicKey"))')" ] ||
    fail "describe-key-pairs members differ from the AWS CLI's skeleton"
run 0 describe-key-pairs --include-public-key
[ "$(jq -c '.KeyPairs[0] | keys' <<<"$OUT")" = "$(skeleton_keys describe-key-pairs)" ] || fail "--include-public-key shape"
[[ $(jq -r '.KeyPairs[0].CreateTime' <<<"$OUT") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.000Z$ ]] || fail "CreateTime"
run 0 describe-key-pairs --filters Name=key-type,Values=ed25519 --query 'KeyPairs[].KeyName' --output text
[ "$OUT" = ed-key ] || fail "key-type filter: $OUT"
run 0 describe-key-pairs --filters Name=tag:team,Values=blue --query 'KeyPairs[].KeyName' --output text
[ "$OUT" = ed-key ] || fail "tag filter: $OUT"
run 0 describe-key-pairs --filters "Name=fingerprint,Values=$(jq -r .KeyFingerprint <<<"$created")" --query 'KeyPairs[].KeyName' --output text
[ "$OUT" = rsa-key ] || fail "fingerprint filter: $OUT"
run 0 describe-key-pairs --filters 'Name=key-name,Values=rsa-*' --key-pair-ids "$rsa_id" --query 'KeyPairs[].KeyPairId' --output text
[ "$OUT" = "$rsa_id" ] || fail "key-name wildcard + --key-pair-ids: $OUT"
refused 2 describe-key-pairs --key-names rsa-key nope
contains "$ERR" "InvalidKeyPair.NotFound: The key pair 'nope' does not exist"
refused 2 describe-key-pairs --key-pair-ids key-0123456789abcdef0
contains "$ERR" "InvalidKeyPair.NotFound"
refused 2 describe-key-pairs --filters Name=architecture,Values=x86_64
ok "describe-key-pairs: by name, filters (key-type, tag, fingerprint, key-name), --query, --include-public-key, NotFound"

# --- refusals --------------------------------------------------------------------------
refused 2 create-key-pair --key-name rsa-key
contains "$ERR" "InvalidKeyPair.Duplicate: The keypair 'rsa-key' already exists"
refused 2 create-key-pair --key-name x --key-format ppk
contains "$ERR" "ppk"
refused 2 create-key-pair --key-name x --key-type dsa
refused 2 create-key-pair --key-name "$(printf 'a\nb')"
refused 2 create-key-pair --key-name "$(head -c 256 /dev/zero | tr '\0' a)"
refused 2 create-key-pair
refused 2 create-key-pair --key-name x --tag-specifications 'ResourceType=image,Tags=[{Key=a,Value=b}]'
run 0 create-key-pair --key-name dry --dry-run
[ -z "$OUT" ] || fail "create-key-pair --dry-run printed: $OUT"
contains "$ERR" DryRunOperation
run 2 describe-key-pairs --key-names dry
ok "refused: duplicate name (InvalidKeyPair.Duplicate), ppk, bad type and names, bad tags; --dry-run creates nothing"

# --- import-key-pair -------------------------------------------------------------------
ssh-keygen -q -t rsa -b 3072 -N '' -C 'me@host' -f "$WORK/imp"
ssh-keygen -e -m PKCS8 -f "$WORK/imp.pub" >"$WORK/imp.spki.pem"
openssl pkey -pubin -in "$WORK/imp.spki.pem" -outform DER >"$WORK/imp.der"
ec2_md5=$(openssl md5 -c <"$WORK/imp.der" | awk '{print $NF}')
ssh_md5=$(ssh-keygen -l -E md5 -f "$WORK/imp.pub" | awk '{print $2}')
run 0 import-key-pair --key-name imp --public-key-material "fileb://$WORK/imp.pub"
imported=$OUT
[ "$(jq -r .KeyFingerprint <<<"$imported")" = "$ec2_md5" ] || fail "imported RSA fingerprint $(jq -r .KeyFingerprint <<<"$imported") != MD5 of the DER public key $ec2_md5"
[ "MD5:$(jq -r .KeyFingerprint <<<"$imported")" != "$ssh_md5" ] || fail "imported RSA fingerprint equals ssh-keygen -E md5 (EC2's is of the DER key)"
SKEL_PATH=.
[ "$(jq -c keys <<<"$imported")" = "$(skeleton_keys import-key-pair --key-name x --public-key-material eA== | jq -c 'map(select(. != "Tags"))')" ] ||
    fail "import-key-pair members differ from the AWS CLI's skeleton"
run 0 describe-key-pairs --key-names imp --include-public-key
[ "$(jq -r '.KeyPairs[0].PublicKey' <<<"$OUT")" = "$(cut -d' ' -f1,2 "$WORK/imp.pub") imp" ] || fail "imported PublicKey: $OUT"
[ "$(jq -r '.KeyPairs[0].KeyType' <<<"$OUT")" = rsa ] || fail "imported KeyType"
i=0
for material in "$(base64 -w0 "$WORK/imp.pub")" "$(cat "$WORK/imp.pub")" "file://$WORK/imp.pub" \
    "fileb://$WORK/imp.spki.pem" "fileb://$WORK/imp.der" "$(base64 -w0 "$WORK/imp.der")"; do
    i=$((i + 1))
    run 0 import-key-pair --key-name "imp-$i" --public-key-material "$material"
    [ "$(jq -r .KeyFingerprint <<<"$OUT")" = "$ec2_md5" ] || fail "format $i: fingerprint $OUT"
done
ssh-keygen -e -m RFC4716 -f "$WORK/imp.pub" >"$WORK/imp.rfc"
run 0 import-key-pair --key-name imp-rfc --public-key-material "fileb://$WORK/imp.rfc"
[ "$(jq -r .KeyFingerprint <<<"$OUT")" = "$ec2_md5" ] || fail "RFC 4716: $OUT"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ied"
run 0 import-key-pair --key-name ied --public-key-material "fileb://$WORK/ied.pub"
sha=$(ssh-keygen -l -f "$WORK/ied.pub" | awk '{print $2}')
[ "$(jq -r .KeyFingerprint <<<"$OUT")" = "${sha#SHA256:}=" ] || fail "imported ed25519 fingerprint: $OUT vs $sha"
ok "import-key-pair: ssh-keygen keys (OpenSSH, base64, RFC 4716, PEM/DER SPKI); RSA MD5 of the DER key (not ssh-keygen -E md5)"

refused 2 import-key-pair --key-name imp --public-key-material "fileb://$WORK/imp.pub"
contains "$ERR" "InvalidKeyPair.Duplicate"
refused 2 import-key-pair --key-name bad --public-key-material "fileb://$WORK/imp"
contains "$ERR" "InvalidKey.Format"
ssh-keygen -q -t ecdsa -N '' -f "$WORK/ec"
refused 2 import-key-pair --key-name bad --public-key-material "fileb://$WORK/ec.pub"
contains "$ERR" "InvalidKey.Format"
refused 2 import-key-pair --key-name bad --public-key-material "$(printf 'ssh-rsa AAAA\nssh-rsa AAAA')"
refused 2 import-key-pair --key-name bad --public-key-material "fileb://$WORK/missing.pub"
refused 2 import-key-pair --key-name bad --public-key-material fileb:///dev/zero
contains "$ERR" "is not a file of at most"
refused 2 import-key-pair --key-name bad
run 0 import-key-pair --key-name dry --public-key-material "fileb://$WORK/ied.pub" --dry-run
run 2 describe-key-pairs --key-names dry
ok "import-key-pair refuses duplicates, private keys, ECDSA, two keys, missing files (InvalidKey.Format)"

# --- run --key-name (no boot: --dry-run shows the seed's meta-data and KeyName) --------
make_disk "$WORK/root.raw" 64M root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name key-pairs-test --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")
run 0 run "$ami" --dry-run --key-name ed-key --ssh-public-key "$(cat "$WORK/ied.pub")"
[ "$(jq -r .KeyName <<<"$OUT")" = ed-key ] || fail "dry-run KeyName: $OUT"
meta=$(jq -r .SeedMetaData <<<"$OUT")
first=$(sed -n '/^public-keys:/{n;p}' <<<"$meta")
[ "$first" = "  - \"$(ssh-keygen -y -f "$WORK/ed.pem")\"" ] || fail "the key pair is not first in the seed: $meta"
contains "$meta" "$(cut -d' ' -f1,2 "$WORK/ied.pub")"
run 0 run "$ami" --dry-run
[ "$(jq 'has("KeyName")' <<<"$OUT")" = false ] || fail "KeyName without --key-name"
# --dry-run: no boot here even if the lookup were broken (resolve() is the same path).
refused 2 run "$ami" --dry-run --key-name nope
contains "$ERR" "InvalidKeyPair.NotFound: The key pair 'nope' does not exist"
[ ! -e "$STORE/instances" ] || [ -z "$(ls "$STORE/instances")" ] || fail "run --key-name nope created an instance"
ok "run --key-name: the public key first in the seed, KeyName in the plan; unknown key refused before anything"

# --- delete-key-pair -------------------------------------------------------------------
run 0 delete-key-pair --key-name rsa-key
[ "$(jq -c . <<<"$OUT")" = "{\"Return\":true,\"KeyPairId\":\"$rsa_id\"}" ] || fail "delete output: $OUT"
# DeleteKeyPairResult {Return, KeyPairId} is in botocore since 2023; Debian 12's awscli
# (2.9.19) predates it and prints no skeleton, so compare with the model's members too.
SKEL_PATH=.
[ "$(jq -c keys <<<"$OUT")" = '["KeyPairId","Return"]' ] || fail "delete-key-pair shape: $OUT"
skel=$(AWS_DEFAULT_REGION=us-east-1 aws ec2 delete-key-pair --generate-cli-skeleton output)
[ -z "$skel" ] || [ "$(jq -c keys <<<"$skel")" = '["KeyPairId","Return"]' ] || fail "delete-key-pair skeleton: $skel"
run 2 describe-key-pairs --key-names rsa-key
run 0 delete-key-pair --key-name rsa-key
[ "$(jq -c . <<<"$OUT")" = '{"Return":true}' ] || fail "deleting a missing name: $OUT"
ed_id=$(jq -r .KeyPairId <<<"$ed")
run 0 delete-key-pair --key-pair-id "$ed_id" --dry-run
run 0 describe-key-pairs --key-pair-ids "$ed_id"
run 0 delete-key-pair --key-pair-id "$ed_id"
[ "$(jq -r .KeyPairId <<<"$OUT")" = "$ed_id" ] || fail "delete by id: $OUT"
refused 2 delete-key-pair --key-pair-id "$ed_id"
contains "$ERR" "InvalidKeyPair.NotFound: The key pair ID '$ed_id' does not exist"
refused 2 delete-key-pair --key-pair-id ../../etc
refused 2 delete-key-pair --key-name a --key-pair-id "$ed_id"
refused 2 delete-key-pair
ok "delete-key-pair: by name and id; a missing name succeeds as in EC2, a missing id is InvalidKeyPair.NotFound"

echo "$PASSED passed, 0 failed"
