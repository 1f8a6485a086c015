#!/usr/bin/env bash
# Bench case 7: the tiny image's boot (command start -> the success marker) on ami-run's
# own network (libslirp in ami-run, -netdev stream) vs QEMU's built-in user network
# (AMI_RUN_NET=builtin, for this comparison only), ROUNDS rounds (default 5),
# interleaved.  Prints one docs/performance.md table row and a raw-samples line.
# Standalone (its own temporary store), or from bench/run.sh with AMI_RUN_STORE and AMI
# (the registered tiny image) set.  Not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AMI_RUN:-$PWD/build/src/ami-run}
ROUNDS=${ROUNDS:-5}
MARK='ami-run-tiny: ready'
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ami-run-bench-net.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -z "${AMI:-}" ]; then
    export AMI_RUN_STORE=$WORK/store
    dir=$(images/tiny/build.sh x86_64 bios ok)
    snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
    AMI=$(jq -r '.Images[0].ImageId' "$dir/ami.json")
    "$BIN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" >/dev/null
    "$BIN" run "$AMI" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>&1 # warm caps
fi

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# boot_s [ENV=VALUE]: seconds from the command's start to its success verdict.
boot_s() {
    local t err=$WORK/err
    t=$(now)
    env "$@" "$BIN" run "$AMI" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>"$err" ||
        { echo "bench: own-network: the run failed: $(tail -3 "$err")" >&2; exit 1; }
    grep -q ': success after ' "$err" || { echo "bench: own-network: no verdict" >&2; exit 1; }
    echo "$(now) - $t" | bc -l
}
own=() builtin=()
for _ in $(seq "$ROUNDS"); do
    own+=("$(boot_s AMI_RUN_NET=)")
    builtin+=("$(boot_s AMI_RUN_NET=builtin)")
done
own_m=$(printf '%s\n' "${own[@]}" | median)
builtin_m=$(printf '%s\n' "${builtin[@]}" | median)
r=$(echo "scale=3; $own_m / $builtin_m" | bc -l)
met=$([ "$(echo "$r <= 1.05" | bc -l)" = 1 ] && echo met || echo "**missed**")
printf '| 7 | boot (command start → marker, teardown included) on the own network (libslirp in ami-run) vs QEMU'"'"'s built-in user network (`AMI_RUN_NET=builtin`) | %.2f s | %.2f s | %.2f× | ≤ 1.05× | %s |\n' \
    "$own_m" "$builtin_m" "$r" "$met"
echo "own network $(echo "${own[@]}"); built-in $(echo "${builtin[@]}")"
