# Shared helpers for the CLI tests: each test drives the real ami-run binary against
# its own temporary store.  Sourced by tests/cli/test-*.sh; ctest sets AMI_RUN.
set -euo pipefail

: "${AMI_RUN:?AMI_RUN must point to the ami-run binary}"
SAMPLES=${SAMPLES:-$(cd "$(dirname "$0")/../../../shared/samples" 2>/dev/null && pwd || true)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ami-run-test.XXXXXX")
STORE=$WORK/store
export AMI_RUN_STORE=$STORE
trap 'rm -rf "$WORK"' EXIT
PASSED=0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

TEST_NAME=$(basename "$(dirname "$0")")/$(basename "$0" .sh)

# skip REASON: nothing more of this test can run here (exit 77: ctest counts a skip,
# and scripts/ctest-gate fails a CI run on it).
skip() {
    echo "SKIP: $*"
    exit 77
}

# skip_part REASON: one part of this test cannot run here; the rest goes on.  Logged
# for scripts/ctest-gate, which counts it as a skip (and fails a CI run on it).
skip_part() {
    echo "SKIP (part): $*"
    [ -z "${AMI_RUN_SKIP_LOG:-}" ] || printf '%s: %s\n' "$TEST_NAME" "$*" >>"$AMI_RUN_SKIP_LOG"
}

ok() {
    PASSED=$((PASSED + 1))
    echo "ok $PASSED - $*"
}

# run EXPECTED_RC CMD...: runs ami-run with CMD, keeps stdout in $OUT and stderr in $ERR.
run() {
    local want=$1
    shift
    local rc=0
    # AMI_RUN_WRAPPER: e.g. valgrind (make check runs the CLI tests once under memcheck).
    ${AMI_RUN_WRAPPER:-} "$AMI_RUN" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
    if [ "$rc" != "$want" ]; then
        # The verdict and the error first: CI shows the head of a failed test's output,
        # and a console would push them out of it.
        echo "FAIL: ami-run $* exited $rc, expected $want" >&2
        echo "--- stderr" >&2; echo "$ERR" >&2
        if [ "$(wc -l <"$WORK/out")" -gt 120 ]; then
            echo "--- stdout (its last 120 of $(wc -l <"$WORK/out") lines)" >&2
            tail -n 120 "$WORK/out" >&2
        else
            echo "--- stdout" >&2; echo "$OUT" >&2
        fi
        exit 1
    fi
}

# The error of the last run must be exactly one line, naming the verb.
# refused RC ARGS...: ami-run exits RC with a one-line error and the store is byte-identical.
refused() {
    local want=$1 before
    shift
    before=$(store_digest)
    run "$want" "$@"
    one_line_error
    [ "$(store_digest)" = "$before" ] || fail "the store changed: $*"
}

one_line_error() {
    [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "error is not one line: $ERR"
    case "$ERR" in ami-run:*) ;; *) fail "error does not start with 'ami-run:': $ERR" ;; esac
}

contains() {
    case "$1" in *"$2"*) ;; *) fail "expected '$2' in: $1" ;; esac
}

# A digest of every file and directory in the store: names, modes and contents.
store_digest() {
    (cd "$STORE" 2>/dev/null && find . -printf '%p %m %s\n' | sort &&
        find . -type f -exec sha256sum {} + | sort) | sha256sum
}

# json_eq A B: structural equality of two JSON texts.
json_eq() {
    jq -e -n --argjson a "$1" --argjson b "$2" '$a == $b' >/dev/null
}

# A sparse raw disk of SIZE with a marker string at its start.
make_disk() {
    truncate -s "$2" "$1"
    printf '%s' "${3:-marker-$1}" | dd of="$1" conv=notrunc status=none
}

need() {
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (scripts/install-deps)"
    done
}

need jq qemu-img

# Loaded: tests/sh-guard fails a test that exits 0 without getting here.
[ -z "${AMI_RUN_LIB_STAMP:-}" ] || : >"$AMI_RUN_LIB_STAMP"
