#!/usr/bin/env bash
# Bench case 9: ami-run's own share of a boot, from the boot's timeline (AmiRun.Timing,
# docs/run.md "Timing").  Each round boots the tiny BIOS image with a raw
# qemu-system-x86_64 (as bench/run.sh case 1: the same snapshot under a fresh overlay,
# SeaBIOS, q35, TCG) until the success marker, then `ami-run run` (command start -> exit,
# the whole run), interleaved, ROUNDS rounds (default 5).  Prints docs/performance.md
# table rows: the whole run vs the raw boot, their difference (ami-run's share), and the
# median time of each host-side phase since the one before.  Then one raw-samples line.
# Standalone (its own temporary store), or from bench/run.sh with AMI_RUN_STORE and AMI
# (the registered tiny image) set.  AMI_RUN picks the binary (e.g. an older build, to
# compare).  Not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AMI_RUN:-$PWD/build/src/ami-run}
ROUNDS=${ROUNDS:-5}
MARK='ami-run-tiny: ready'
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ami-run-bench-overhead.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 711 "$WORK" # as root, QEMU's own user must reach the store's snapshots
if [ -z "${AMI:-}" ]; then
    export AMI_RUN_STORE=$WORK/store
    dir=$(images/tiny/build.sh x86_64 bios ok)
    snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
    AMI=$(jq -r '.Images[0].ImageId' "$dir/ami.json")
    "$BIN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" >/dev/null
    "$BIN" run "$AMI" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>&1 # warm caps
fi
snap=$("$BIN" describe-images --image-ids "$AMI" |
    jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId')
snapfile=$AMI_RUN_STORE/snapshots/$snap

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
fmt() { printf '%.2f' "$1"; }
ms() { printf '%.0f' "$(echo "$1 * 1000" | bc -l)"; }

raw_boot() { # seconds from the overlay's creation to the marker, as bench/run.sh case 1
    local t ov=$WORK/raw.qcow2 log=$WORK/raw.log pid
    rm -f "$ov" "$log"
    t=$(now)
    qemu-img create -q -f qcow2 -F qcow2 -b "$snapfile" "$ov" 1G
    qemu-system-x86_64 -name ami-run-bench -machine q35,accel=tcg,usb=off -cpu max -smp 2 \
        -m 1024 -nodefaults -display none -no-user-config \
        -drive "file=$ov,format=qcow2,if=virtio" -serial "file:$log" &
    pid=$!
    for _ in $(seq 12000); do
        grep -qF -- "$MARK" "$log" 2>/dev/null && break
        sleep 0.01
    done
    echo "$(now) - $t" | bc -l
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
}

# whole_run: the command's wall time; its record's phases go to $WORK/phases (one JSON a line).
whole_run() {
    local t err=$WORK/err iid
    t=$(now)
    "$BIN" run "$AMI" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>"$err" ||
        { echo "bench: overhead: the run failed: $(tail -3 "$err")" >&2; exit 1; }
    echo "$(now) - $t" | bc -l
    iid=$(sed -n 's/^ami-run: run: \(i-[0-9a-f]*\): started.*/\1/p' "$err" | head -1)
    "$BIN" describe-instances --debug --instance-ids "$iid" |
        jq -c '.Reservations[0].Instances[0].AmiRun.Timing.Phases // [] |
               map({(.Name): .Seconds}) | add // {}' >>"$WORK/phases"
}

raw=() whole=()
for _ in $(seq "$ROUNDS"); do
    raw+=("$(raw_boot)")
    whole+=("$(whole_run)")
done
raw_m=$(printf '%s\n' "${raw[@]}" | median)
whole_m=$(printf '%s\n' "${whole[@]}" | median)
share=$(echo "$whole_m - $raw_m" | bc -l)

# The median of each phase's time since the phase before it (over the rounds that have both).
phase_line=""
prev=command-start
for p in plan disks libvirt-start qemu-exec running first-console-byte verdict teardown; do
    d=$(jq -r --arg p "$p" --arg q "$prev" 'select(.[$p] != null and .[$q] != null) | .[$p] - .[$q]' \
        "$WORK/phases" | median)
    [ -n "$d" ] && phase_line+="$p +$(ms "$d") ms, " && prev=$p
done
echo "| 9 | whole run (command start → exit) vs raw QEMU to the marker; ami-run's share is the difference | $(fmt "$whole_m") s | $(fmt "$raw_m") s | $(printf '%+.2f' "$share") s | ≤ +0.6 s | $([ "$(echo "$share <= 0.6" | bc -l)" = 1 ] && echo met || echo '**missed**') |"
phase_line=${phase_line:-no AmiRun.Timing in the records of this build, }
echo "| 9b | where the run's time goes (AmiRun.Timing, median time since the phase before): ${phase_line%, } | – | – | – | – | |"
echo "raw $(echo "${raw[@]}"); whole run $(echo "${whole[@]}") (case 9, bench/overhead.sh, $(date -u +%Y-%m-%d))"
