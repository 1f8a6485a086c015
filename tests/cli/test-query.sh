#!/usr/bin/env bash
# --query (JMESPath through jp) and --output text|table|json applied to its result, on
# describe-images, describe-snapshots and register-image; text and table compared byte for
# byte with the AWS CLI's own formatters (awscli/text.py, table.py), package awscli.
source "$(dirname "$0")/lib.sh"
command -v jp >/dev/null || skip "jp (the JMESPath CLI) is not installed: scripts/install-deps"
make_disk "$WORK/a.raw" 1G a

run 0 import-snapshot --disk-image "$WORK/a.raw" --query SnapshotId --output text
snap=$OUT
[[ "$snap" =~ ^snap-[0-9a-f]{17}$ ]] || fail "--query SnapshotId --output text: '$OUT'"
ok "import-snapshot --query SnapshotId --output text prints the bare id"

bdm="[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
run 0 register-image --name query-one --root-device-name /dev/xvda --block-device-mappings "$bdm" \
    --query ImageId
img1=$(jq -r . <<<"$OUT")
[ "$OUT" = "\"$img1\"" ] || fail "register-image --query ImageId (json): '$OUT'"
ok "register-image --query ImageId prints a JSON string"
# The global option after the verb, and --query=EXPR.
run 0 register-image --name query-two --root-device-name /dev/xvda --block-device-mappings "$bdm" \
    --output text --query=ImageId
img2=$OUT
[[ "$img2" =~ ^ami-[0-9a-f]{17}$ ]] || fail "register-image --query=ImageId --output text: '$OUT'"
ok "--query is global: before or after the verb, --query EXPR or --query=EXPR"

run 0 --query 'Images[0].ImageId' --output text describe-images --image-ids "$img1"
[ "$OUT" = "$img1" ] || fail "Images[0].ImageId: '$OUT'"
run 0 describe-images --query 'sort_by(Images,&Name)[*].[ImageId,Name]' --output text
[ "$OUT" = "$(printf '%s\tquery-one\n%s\tquery-two' "$img1" "$img2")" ] ||
    fail "lists of lists are not one tab-separated row each: '$OUT'"
run 0 describe-images --query 'sort_by(Images,&Name)[].ImageId' --output text
[ "$OUT" = "$(printf '%s\t%s' "$img1" "$img2")" ] || fail "a list of scalars is not one line: '$OUT'"
run 0 describe-snapshots --query 'Snapshots[].SnapshotId' --output text
[ "$OUT" = "$snap" ] || fail "describe-snapshots --query: '$OUT'"
ok "text: a scalar alone, a list of scalars on one line, a list of lists a row each"

run 0 describe-images --image-ids "$img1" --query 'Images[0].NoSuchMember'
[ "$OUT" = null ] || fail "json null result: '$OUT'"
run 0 describe-images --image-ids "$img1" --query 'Images[0].NoSuchMember' --output text
[ "$OUT" = None ] || fail "text null result: '$OUT'"
run 0 describe-images --image-ids "$img1" --query 'Images[0].NoSuchMember' --output table
[ -z "$OUT" ] || fail "table null result is not empty: '$OUT'"
run 0 describe-images --query '`{}`'
[ -z "$OUT" ] || fail "an empty object printed '$OUT' (the AWS CLI prints nothing)"
run 0 describe-images --query '`[]`'
[ "$OUT" = "[]" ] || fail "an empty list printed '$OUT'"
ok "a null result: null in JSON, None in text, nothing in a table; {} nothing (as the AWS CLI)"

# An object keeps describe-images' member order, not jp's sorted one.
run 0 describe-images --image-ids "$img1" --query 'Images[0]'
want=$("$AMI_RUN" describe-images --image-ids "$img1" | jq '.Images[0]' | jq -r 'keys_unsorted|join(",")')
[ "$(jq -r 'keys_unsorted|join(",")' <<<"$OUT")" = "$want" ] || fail "member order changed: $OUT"
json_eq "$OUT" "$("$AMI_RUN" describe-images --image-ids "$img1" | jq '.Images[0]')" ||
    fail "Images[0] is not the image"
# A multi-select hash is no image: not put in the image's order (Name before ImageId).
run 0 describe-images --image-ids "$img1" --query 'Images[0].{ImageId:ImageId,Name:Name}'
[ "$(jq -r 'keys_unsorted|join(",")' <<<"$OUT")" = "ImageId,Name" ] ||
    fail "multi-select hash member order: $OUT"
ok "--query 'Images[0]' is the image, members in their order; a multi-select hash is not"

run 0 describe-images --image-ids "$img1" --query 'Images[0].{Id:ImageId,Name:Name}' --output table
contains "$OUT" "$img1"
contains "$OUT" "query-one"
ok "table of a query's object"

# A bad expression: one line, exit 2, the column, and nothing done.
before=$(store_digest)
run 2 register-image --name query-three --root-device-name /dev/xvda --block-device-mappings "$bdm" \
    --query 'Images[0'
one_line_error
contains "$ERR" "ami-run: register-image: --query 'Images[0': SyntaxError"
contains "$ERR" "(column 9)"
[ "$(store_digest)" = "$before" ] || fail "a bad --query changed the store"
run 2 describe-images --query $'Images\n[0'
one_line_error
run 2 describe-images --query 'length(`1`)'
one_line_error
contains "$ERR" "ami-run: describe-images: --query 'length(\`1\`)': "
ok "a bad --query is one line, exit 2, and register-image registered nothing"

# No jp: exit 4 naming the fix.  PATH is emptied for ami-run alone (through env), not for
# run()'s own tools; a wrapper (make check-valgrind) is named by its absolute path.
mkdir "$WORK/empty-path"
wrapper=${AMI_RUN_WRAPPER:-}
if [ -n "$wrapper" ]; then
    first=${wrapper%% *}
    wrapper="$(command -v "$first")${wrapper#"$first"}"
fi
AMI_RUN_WRAPPER="env PATH=$WORK/empty-path $wrapper" run 4 describe-images --query 'Images'
one_line_error
contains "$ERR" "jp is not installed (scripts/install-deps)"
ok "a missing jp is exit 4 and names scripts/install-deps"

# The AWS CLI's own formatters as the oracle (Debian package awscli).  Not 100.0 or 1e16:
# jp (Go float64) hands those back as the integers 100 and 10000000000000000.
oracle=$(dirname "$0")/aws-format.py
if /usr/bin/python3 -c 'import awscli.formatter, jmespath' 2>/dev/null; then
    run 0 create-tags --resources "$img1" --tags Key=Env,Value=prod Key=Team,Value=a
    doc=$("$AMI_RUN" describe-images)
    for q in '@' 'Images[0]' 'Images[0].ImageId' 'sort_by(Images,&Name)[*].[ImageId,Name]' \
        'Images[].BlockDeviceMappings' 'Images[].{Id:ImageId,Tags:Tags}' 'sort_by(Images,&Name)[0].Tags' \
        'Images[0].NoSuchMember' 'Images[].Tags[].Key' \
        '`[1.5,0.0001,1e-05,123456789012.25,true,null,"t\u00e9"]`' \
        '`{"z":[[1,[2,3]],4],"b":null,"a":[true,false],"c":{"d":1,"e":[{"x":1},{"y":[2]}]}}`'; do
        for format in json text table; do
            # Not for the literals: jansson spells floats with 17 digits where Python's repr
            # is shortest, and jp sorts a literal object's members (docs/ami-run.1).
            [ $format = json ] && [[ "$q" == '`'* ]] && continue
            # The AWS CLI's table raises ValueError on these ("Row should have N elements"):
            # lists of lists of objects, and rows of 1 and 2 columns in one section.
            [ $format = table ] && [[ "$q" == '`{"z":'* || "$q" == 'Images[].BlockDeviceMappings' ]] &&
                continue
            run 0 describe-images --query "$q" --output $format
            want=$(/usr/bin/python3 "$oracle" $format "$q" DescribeImages <<<"$doc") ||
                fail "the AWS CLI's formatter failed on $format of '$q'"
            [ -n "$want" ] || [ "$q" = "Images[0].NoSuchMember" ] ||
                fail "the oracle printed nothing for $q"
            [ "$OUT" = "$want" ] || fail "$format differs from the AWS CLI's for '$q':
--- ami-run
$OUT
--- aws
$want"
        done
    done
    ok "--output json, text and table are the AWS CLI's, byte for byte, for 11 queries"
    # Wider than 80 columns: the AWS CLI turns one-row sections into name/value rows.
    run 0 describe-images --query 'Images[].{A:ImageId,B:ImageId,C:ImageId,D:ImageId}' --output table
    [ "$OUT" = "$(/usr/bin/python3 "$oracle" table 'Images[].{A:ImageId,B:ImageId,C:ImageId,D:ImageId}' \
        DescribeImages <<<"$doc")" ] || fail "a wide table is not the AWS CLI's: $OUT"
    run 0 describe-images --query 'Images[0].{A:ImageId,B:ImageId,C:ImageId,D:ImageId}' --output table
    [ "$OUT" = "$(/usr/bin/python3 "$oracle" table 'Images[0].{A:ImageId,B:ImageId,C:ImageId,D:ImageId}' \
        DescribeImages <<<"$doc")" ] || fail "a wide one-row table is not the AWS CLI's: $OUT"
    contains "$OUT" "|  A|  ami-"
    ok "a table wider than 80 columns turns vertical as the AWS CLI's does"
else
    skip_part "the awscli package (the AWS CLI's formatters, the oracle) is not installed"
fi
echo "$PASSED passed, 0 failed"
