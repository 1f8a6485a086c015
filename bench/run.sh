#!/usr/bin/env bash
# make bench: each comparison side by side, ROUNDS rounds (default 5), medians and
# ratios written to docs/performance.md.  Baselines: a hand-written raw qemu-system
# command booting the same disk with the same firmware and accelerator, and
# `qemu-img convert`.  Uses its own temporary store.  Not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
BIN=${AMI_RUN:-$TOP/build/src/ami-run}
ROUNDS=${ROUNDS:-5}
OUT_MD=${BENCH_OUT:-$TOP/docs/performance.md}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ami-run-bench.XXXXXX")
export AMI_RUN_STORE=$WORK/store
trap 'pkill -9 -f "ami-run-bench" 2>/dev/null || true; rm -rf "$WORK"' EXIT
MARK='ami-run-tiny: ready'

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }
fmt() { printf '%.2f' "$1"; }
say() { echo "bench: $*" >&2; }

dir=$(images/tiny/build.sh x86_64 bios ok)
snap=$(jq -r '.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId' "$dir/ami.json")
ami=$(jq -r '.Images[0].ImageId' "$dir/ami.json")
"$BIN" register-image --from-json "$dir/ami.json" --snapshot "$snap=$dir/disk.raw" >/dev/null
"$BIN" run "$ami" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>&1 # warm the caps cache
accel=$("$BIN" describe-instances | jq -r '.Reservations[-1].Instances[0].AmiRun.Accelerator')
snapfile=$AMI_RUN_STORE/snapshots/$snap

# A detached instance lends the baselines what ami-run gives its guest: the seed ISO,
# the domain XML and the libvirt root's qemu.conf and capabilities cache.
# Its NIC is QEMU's built-in one: the baselines have no ami-run to host the own network.
AMI_RUN_NET=builtin "$BIN" run "$ami" --detach >"$WORK/d0.json"
iid0=$(jq -r '.Instances[0].InstanceId' "$WORK/d0.json")
idir0=$AMI_RUN_STORE/instances/$iid0
root0=$("$BIN" describe-instances --instance-ids "$iid0" |
    jq -r '.Reservations[0].Instances[0].AmiRun.LibvirtRoot')
mkdir -p "$WORK/v" "$WORK/vroot"
cp "$idir0/seed.iso" "$WORK/seed.iso"
sed "s#$idir0#$WORK/v#g" "$idir0/domain.xml" >"$WORK/v/domain.xml"
cp -r "$root0/etc" "$root0/cache" "$WORK/vroot/"
"$BIN" terminate-instances --instance-ids "$iid0" >/dev/null

# wait_for FILE TEXT: until FILE contains TEXT (120 s).
wait_for() {
    for _ in $(seq 12000); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    return 1
}

# 1. raw QEMU: the same snapshot under a fresh overlay, SeaBIOS, q35, virtio, TCG.
# raw_start N [same]: start guest N in the background (pid in RAW_PID); "same" adds the
# devices ami-run gives its guest (seed CD-ROM on virtio-scsi, NIC without option ROM,
# virtio-rng), so launcher cost and device cost can be told apart.
raw_start() {
    local ov=$WORK/raw$1.qcow2 log=$WORK/raw$1.log extra=()
    rm -f "$ov" "$log"
    qemu-img create -q -f qcow2 -F qcow2 -b "$snapfile" "$ov" 1G
    if [ "${2:-}" = same ]; then
        extra=(-device virtio-scsi-pci,id=scsi0
            -drive "file=$WORK/seed.iso,format=raw,if=none,id=cd0,readonly=on"
            -device scsi-cd,bus=scsi0.0,drive=cd0,lun=0
            -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=
            -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0)
    fi
    qemu-system-x86_64 -name ami-run-bench -machine q35,accel=tcg,usb=off -cpu max -smp 2 \
        -m 1024 -nodefaults -display none -no-user-config \
        -drive "file=$ov,format=qcow2,if=virtio" "${extra[@]}" -serial "file:$log" &
    RAW_PID=$!
}
raw_stop() { # raw_stop PID
    kill -9 "$1"
    wait "$1" 2>/dev/null || true
}
raw_boot() { # raw_boot [same]
    local t
    t=$(now)
    raw_start 0 "${1:-}"
    wait_for "$WORK/raw0.log" "$MARK"
    elapsed "$t"
    raw_stop "$RAW_PID"
}
# raw_parallel N: N raw guests at once, seconds until every one printed the marker.
raw_parallel() {
    local t pids=() i
    t=$(now)
    for i in $(seq "$1"); do
        raw_start "$i" same
        pids+=("$RAW_PID")
    done
    for i in $(seq "$1"); do wait_for "$WORK/raw$i.log" "$MARK"; done
    elapsed "$t"
    for i in "${pids[@]}"; do raw_stop "$i"; done
}
# amirun_boot ARGS…: seconds from the command's start until it reports the success
# marker (its verdict line); the teardown after it is measured on its own (TEARDOWN).
amirun_boot() {
    local t err=$WORK/boot.err
    rm -f "$err"
    t=$(now)
    "$BIN" run "$ami" --console quiet --success "$MARK" --timeout 120 "$@" >/dev/null 2>"$err" &
    local pid=$!
    wait_for "$err" ": success after "
    elapsed "$t"
    local t2
    t2=$(now)
    wait "$pid"
    elapsed "$t2" >>"$WORK/teardown"
}

amirun_wall() {
    local t
    t=$(now)
    "$BIN" run "$ami" --console quiet --success "$MARK" --timeout 300 >/dev/null 2>&1
    elapsed "$t"
}

say "1/6 time to the success marker: ami-run run vs raw qemu-system-x86_64 ($ROUNDS rounds)"
raw=() raws=() ami_t=()
for _ in $(seq "$ROUNDS"); do
    raw+=("$(raw_boot)")
    raws+=("$(raw_boot same)")
    ami_t+=("$(amirun_boot)")
done
raw_m=$(printf '%s\n' "${raw[@]}" | median)
raws_m=$(printf '%s\n' "${raws[@]}" | median)
ami_m=$(printf '%s\n' "${ami_t[@]}" | median)
teardown_m=$(median <"$WORK/teardown")

say "2/6 launch overhead: command start to QEMU process start"
launch=()
for _ in $(seq "$ROUNDS"); do
    t=$(now)
    "$BIN" run "$ami" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>&1 &
    p=$!
    until pgrep -f "qemu-system-x86_64 -name guest=i-" >/dev/null; do sleep 0.002; done
    launch+=("$(elapsed "$t")")
    wait "$p"
done
launch_m=$(printf '%s\n' "${launch[@]}" | median)

say "3/6 VolumeSize 1 GiB vs 1 TiB"
small=() big=()
for _ in $(seq "$ROUNDS"); do
    small+=("$(amirun_boot)")
    big+=("$(amirun_boot --block-device-mappings '[{"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":1024}}]')")
done
small_m=$(printf '%s\n' "${small[@]}" | median)
big_m=$(printf '%s\n' "${big[@]}" | median)
"$BIN" run "$ami" --detach --block-device-mappings '[{"DeviceName":"/dev/xvda","Ebs":{"VolumeSize":1024}}]' >"$WORK/d.json"
iid=$(jq -r '.Instances[0].InstanceId' "$WORK/d.json")
sleep 3
big_du=$(du -k "$AMI_RUN_STORE/instances/$iid"/vol-*.qcow2 | awk '{print $1}')
"$BIN" terminate-instances --instance-ids "$iid" >/dev/null

say "4/6 peak RSS of ami-run during a boot"
# The process's own high-water mark (VmHWM), read until it exits: /usr/bin/time's %M
# would also count QEMU, whose exit status ami-run collects (wait4 reports the largest
# reaped descendant too).
peak_rss() { # peak_rss PID: the last VmHWM (KiB) seen before PID exits
    local hwm=0 v
    while v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null) &&
        [ -n "$v" ]; do
        hwm=$v
        sleep 0.02
    done
    echo "$hwm"
}
rss=()
for _ in $(seq "$ROUNDS"); do
    "$BIN" run "$ami" --console quiet --success "$MARK" --timeout 120 >/dev/null 2>&1 &
    rss+=("$(peak_rss $!)")
    wait
done
rss_m=$(printf '%s\n' "${rss[@]}" | median)
# Baselines: the libraries alone (ami-run --version), and libvirt's own virsh starting
# the same domain XML through the same embedded driver (then destroying it).
floor=$(/usr/bin/time -f %M "$BIN" --version 2>&1 >/dev/null | tail -1) # no children
virsh_rss=()
for _ in $(seq "$ROUNDS"); do
    qemu-img create -q -f qcow2 -F qcow2 -b "$snapfile" \
        "$(sed -n "s#.*<source file='\($WORK/v/vol-[^']*\)'.*#\1#p" "$WORK/v/domain.xml")" 1G
    cp "$WORK/seed.iso" "$WORK/v/seed.iso"
    virsh -q -c "qemu:///embed?root=$WORK/vroot" "create $WORK/v/domain.xml; destroy $iid0" \
        >/dev/null 2>&1 &
    virsh_rss+=("$(peak_rss $!)")
    wait
done
virsh_m=$(printf '%s\n' "${virsh_rss[@]}" | median)

say "5/6 4 parallel runs vs 1"
one=() four=()
for _ in $(seq "$ROUNDS"); do
    one+=("$(amirun_wall)")
    t=$(now)
    for i in 1 2 3 4; do
        "$BIN" run "$ami" --console quiet --success "$MARK" --timeout 300 >/dev/null 2>&1 &
    done
    wait
    four+=("$(elapsed "$t")")
done
one_m=$(printf '%s\n' "${one[@]}" | median)
four_m=$(printf '%s\n' "${four[@]}" | median)
rone=() rfour=()
for _ in $(seq "$ROUNDS"); do
    rone+=("$(raw_parallel 1)")
    rfour+=("$(raw_parallel 4)")
done
rone_m=$(printf '%s\n' "${rone[@]}" | median)
rfour_m=$(printf '%s\n' "${rfour[@]}" | median)

say "6/6 importing a 2 GiB sparse raw disk vs qemu-img convert"
truncate -s 2G "$WORK/big.raw"
head -c 256M /dev/urandom | dd of="$WORK/big.raw" bs=1M seek=512 conv=notrunc status=none
imp=() conv=() same=()
for _ in $(seq "$ROUNDS"); do
    rm -f "$WORK/conv.qcow2"
    t=$(now)
    qemu-img convert -f raw -O qcow2 "$WORK/big.raw" "$WORK/conv.qcow2"
    conv+=("$(elapsed "$t")")
    # The same work import-snapshot does: convert, SHA-256 of the result, fsync.
    rm -f "$WORK/conv.qcow2"
    t=$(now)
    qemu-img convert -f raw -O qcow2 "$WORK/big.raw" "$WORK/conv.qcow2"
    openssl dgst -sha256 "$WORK/conv.qcow2" >/dev/null
    sync "$WORK/conv.qcow2"
    same+=("$(elapsed "$t")")
    t=$(now)
    id=$("$BIN" import-snapshot --disk-image "$WORK/big.raw" | jq -r .SnapshotId)
    imp+=("$(elapsed "$t")")
    "$BIN" delete-snapshot --snapshot-id "$id" >/dev/null
done
conv_m=$(printf '%s\n' "${conv[@]}" | median)
same_m=$(printf '%s\n' "${same[@]}" | median)
imp_m=$(printf '%s\n' "${imp[@]}" | median)

say "7/7 boot on the own network vs QEMU's built-in user network (bench/own-network.sh)"
net7=$(AMI="$ami" AMI_RUN="$BIN" ROUNDS="$ROUNDS" bench/own-network.sh)

say "8/8 create-image of an instance that changed 10 MiB of a 3 GiB image (bench/create-image.sh)"
cap8=$(AMI="$ami" AMI_RUN="$BIN" ROUNDS="$ROUNDS" bench/create-image.sh)

say "9/9 ami-run's own share of a boot, phase by phase, from its timeline (bench/overhead.sh)"
over9=$(AMI="$ami" AMI_RUN="$BIN" ROUNDS="$ROUNDS" bench/overhead.sh)

verdict() { # verdict VALUE GOAL (lower is better)
    if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "met"; else echo "**missed**"; fi
}
r1=$(ratio "$ami_m" "$raw_m"); r3=$(ratio "$big_m" "$small_m"); r5=$(ratio "$four_m" "$one_m")
r6=$(ratio "$imp_m" "$conv_m"); r1c=$(ratio "$ami_m" "$raws_m"); r5b=$(ratio "$rfour_m" "$rone_m")
r6b=$(ratio "$imp_m" "$same_m"); mib() { printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; }
r4b=$(ratio "$rss_m" "$virsh_m"); l_ms=$(printf '%.0f' "$(echo "$launch_m * 1000" | bc -l)")
rss_mib=$(printf '%.1f' "$(echo "$rss_m / 1024" | bc -l)")
cat >"$OUT_MD.new" <<MD
# Performance

Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) CPUs
($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), accelerator **$accel**,
QEMU $(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9.]*\).*/\1/p'), $ROUNDS rounds
each, medians. The image is the tiny x86_64 BIOS test AMI (SeaBIOS, syslinux, Debian
cloud kernel, busybox); "boot" is the time until its console prints \`$MARK\`.

| # | comparison | ami-run | baseline | ratio | goal | |
|---|---|---|---|---|---|---|
| 1 | time to the success marker vs raw \`qemu-system-x86_64\` (same disk, firmware, TCG) | $(fmt "$ami_m") s | $(fmt "$raw_m") s | $(fmt "$r1")× | ≤ 1.10× | $(verdict "$r1" 1.10) |
| 1c | the same, vs raw QEMU given the same devices (seed CD-ROM, NIC, RNG) | $(fmt "$ami_m") s | $(fmt "$raws_m") s | $(fmt "$r1c")× | – | |
| 1b | teardown: verdict → command exit (destroy, cleanup) | $(fmt "$teardown_m") s | – | – | – | |
| 2 | launch overhead: command start → QEMU process start (warm) | $l_ms ms | – | – | ≤ 150 ms | $(verdict "$l_ms" 150) |
| 3 | boot with VolumeSize 1 TiB vs 1 GiB | $(fmt "$big_m") s | $(fmt "$small_m") s | $(fmt "$r3")× | ≤ 1.05× | $(verdict "$r3" 1.05) |
| 3b | disk space of the 1 TiB root overlay after boot | ${big_du} KiB | – | – | sparse | |
| 4 | peak RSS of \`ami-run run\` during a boot | $rss_mib MiB | – | – | ≤ 20 MiB | $(verdict "$rss_mib" 20) |
| 4b | peak RSS vs libvirt's \`virsh\` starting the same domain XML through the same embedded driver | $rss_mib MiB | $(mib "$virsh_m") MiB | $(fmt "$r4b")× | – | |
| 4c | RSS of \`ami-run --version\`: the linked libraries alone (libvirt, GLib, OpenSSL, …) | $(mib "$floor") MiB | – | – | – | |
| 5 | 4 parallel runs vs 1 run, wall time (command start → exit) | $(fmt "$four_m") s | $(fmt "$one_m") s | $(fmt "$r5")× | ≤ 2.2× | $(verdict "$r5" 2.2) |
| 5b | raw QEMU: 4 guests (same devices) vs 1, time until every marker | $(fmt "$rfour_m") s | $(fmt "$rone_m") s | $(fmt "$r5b")× | – | |
| 6 | \`import-snapshot\` of a 2 GiB sparse raw (256 MiB data) vs \`qemu-img convert -O qcow2\` | $(fmt "$imp_m") s | $(fmt "$conv_m") s | $(fmt "$r6")× | ≤ 1.2× | $(verdict "$r6" 1.2) |
| 6b | the same import vs the same work by hand: convert, \`openssl dgst -sha256\`, \`sync FILE\` | $(fmt "$imp_m") s | $(fmt "$same_m") s | $(fmt "$r6b")× | – | |
$(head -1 <<<"$net7")
$(head -2 <<<"$cap8")
$(head -2 <<<"$over9")

Raw samples (s): raw $(echo "${raw[@]}"); raw, same devices $(echo "${raws[@]}"); ami-run $(echo "${ami_t[@]}"); launch $(echo "${launch[@]}");
1 GiB $(echo "${small[@]}"); 1 TiB $(echo "${big[@]}"); one $(echo "${one[@]}"); four $(echo "${four[@]}");
raw one $(echo "${rone[@]}"); raw four $(echo "${rfour[@]}");
convert $(echo "${conv[@]}"); convert+sha256+sync $(echo "${same[@]}"); import $(echo "${imp[@]}");
RSS KiB $(echo "${rss[@]}"); virsh RSS KiB $(echo "${virsh_rss[@]}"); --version RSS KiB $floor;
$(tail -1 <<<"$net7");
$(tail -1 <<<"$cap8");
$(tail -1 <<<"$over9").
MD
if [ -f "$OUT_MD" ] && grep -q '^## Notes' "$OUT_MD"; then
    sed -n '/^## Notes/,$p' "$OUT_MD" >>"$OUT_MD.new"
fi
mv "$OUT_MD.new" "$OUT_MD"
say "wrote $OUT_MD"
cat "$OUT_MD"
