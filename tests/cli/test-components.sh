#!/usr/bin/env bash
# run --component: AWSTOE documents are validated before anything boots.  A schema error
# is one line "FILE:LINE:COL: message", exit 2, the store unchanged (no instance made);
# so are a --phases that names nothing in a document and the options --component
# replaces.  Valid documents pass --dry-run.
source "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/toe" && pwd)
make_disk "$WORK/root.raw" 1G root
run 0 import-snapshot --disk-image "$WORK/root.raw"
snap=$(jq -r .SnapshotId <<<"$OUT")
run 0 register-image --name components --architecture x86_64 --root-device-name /dev/xvda \
    --block-device-mappings "[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"$snap\"}}]"
ami=$(jq -r .ImageId <<<"$OUT")

cat >"$WORK/bad-action.yaml" <<'Y'
schemaVersion: 1.0
phases:
  - name: validate
    steps:
      - name: a
        action: ExecuteBsh
        inputs: {commands: [x]}
Y
refused 2 run "$ami" --component "$WORK/bad-action.yaml"
[ "$ERR" = "ami-run: run: $WORK/bad-action.yaml:6:17: unknown action 'ExecuteBsh'" ] || fail "$ERR"
[ ! -d "$STORE/instances" ] || [ -z "$(ls "$STORE/instances")" ] || fail "an instance was made"
ok "an unknown action: FILE:LINE:COL, exit 2, nothing made"

cat >"$WORK/bad-ref.yaml" <<'Y'
schemaVersion: 1.0
phases:
  - name: test
    steps:
      - name: a
        action: ExecuteBash
        inputs:
          commands: ['echo {{ test.b.outputs.stdout }}']
      - name: b
        action: ExecuteBash
        inputs: {commands: [x]}
Y
# The second document is checked even though the first is valid.
refused 2 run "$ami" --component "$DATA/all-actions.yaml" --component "$WORK/bad-ref.yaml"
contains "$ERR" "bad-ref.yaml:8:22: '{{ test.b.outputs.stdout }}': no step 'test.b' before this one"
ok "a reference to a step that does not precede it: refused with its line and column"

refused 2 run "$ami" --component "$DATA/all-actions.yaml" --phases deploy,cleanup --dry-run
contains "$ERR" "all-actions.yaml: --phases 'deploy,cleanup' names no phase of this document"
printf 'schemaVersion: 1.0\nphases:\n  - name: test\n    steps:\n      - name: a\n        action: ExecuteBash\n        inputs: {commands: [x]}\n' >"$WORK/only-test.yaml"
run 0 run "$ami" --component "$WORK/only-test.yaml" --phases test --dry-run
refused 2 run "$ami" --component "$WORK/only-test.yaml" --phases build
contains "$ERR" "only-test.yaml: --phases 'build' names no phase of this document"
refused 2 run "$ami" --component "$WORK/only-test.yaml" --phases validate
contains "$ERR" "--phases 'validate' names no phase"
refused 2 run "$ami" --component "$DATA/all-actions.yaml" --phases 'validate,,test'
contains "$ERR" "an empty phase name"
ok "--phases naming no phase of a document is an error, not a green run of 0 steps"

refused 2 run "$ami" --component "$WORK/missing.yaml"
contains "$ERR" "--component '$WORK/missing.yaml': "
printf 'echo hi\n' >"$WORK/ud.sh"
refused 2 run "$ami" --component "$DATA/all-actions.yaml" --user-data "$WORK/ud.sh"
contains "$ERR" "not with --user-data"
refused 2 run "$ami" --component "$DATA/all-actions.yaml" --success 'x'
refused 2 run "$ami" --component "$DATA/all-actions.yaml" --detach
refused 2 run "$ami" --phases validate
contains "$ERR" "--phases needs --component"
ok "a missing file, and --user-data/--success/--detach/--phases alone with --component: refused"

run 0 run "$ami" --dry-run --component "$DATA/all-actions.yaml" --component "$DATA/failures.yaml"
ok "valid documents pass --dry-run"
