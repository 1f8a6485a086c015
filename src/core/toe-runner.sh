# ami-run's AWSTOE runner (docs/components.md): runs the step program that ami-run
# compiled from component documents (src/core/toe.c) and reports each step on the console
# as "AMI-RUN-TOE {json}", ended by a final {"t":"end"} frame.  POSIX sh plus `local`:
# busybox ash, dash and bash.  Free-form values in the program and in frames are base64.
# Usage: sh toe-runner.sh PROGRAM
P=$1
R=$(cd "$(dirname "$0")" && pwd)
umask 022
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH

frame() {
    if [ -z "${AMI_RUN_TOE_STDOUT:-}" ] && [ -c /dev/console ] && { printf 'AMI-RUN-TOE %s\n' "$1" >/dev/console; } 2>/dev/null; then
        :
    else
        printf 'AMI-RUN-TOE %s\n' "$1"
    fi
}
b64() { base64 | tr -d '\n'; }
now_ms() {
    local u c
    read -r u _ </proc/uptime
    c=${u#*.}
    c=${c%"${c#??}"}
    echo $((${u%.*} * 1000 + 1$c * 10 - 1000))
}
# fld N KEY: the raw value of record "N KEY VALUE".
fld() { sed -n "s/^$1 $2 //p" "$P" | head -n 1; }
# getv N KEY: V = the decoded value (trailing newlines kept); 1 when there is none.
getv() {
    local r
    r=$(fld "$1" "$2")
    [ -n "$r" ] || return 1
    dec "$r"
}
dec() {
    if [ "$1" = - ]; then V=; return 0; fi
    V=$(printf '%s\n' "$1" | base64 -d 2>/dev/null; echo x)
    V=${V%x}
}
# subst: V with the runner's tokens {{@li}} {{@lv}} {{@oN.KEY}} replaced.
subst() {
    local s out ref rest
    s=$V out=
    while :; do
        case $s in *'{{@'*'}}'*) ;; *) break ;; esac
        out=$out${s%%'{{@'*}
        rest=${s#*'{{@'}
        ref=${rest%%'}}'*}
        s=${rest#*'}}'}
        case $ref in
            li) out=$out$LI ;;
            lv) out=$out$LV ;;
            o*) [ ! -f "$S/out/${ref#o}" ] || out=$out$(cat "$S/out/${ref#o}") ;;
            *) out="$out{{@$ref}}" ;;
        esac
    done
    V=$out$s
}
inp() { getv "$n" "k.$j.$1" && subst; }
opt() { if inp "$1"; then :; else V=$2; fi; }
fail() { RC=${2:-1}; M=$1; }

# --- state: on the root file system, or (a root in RAM, like the tiny image's
# initramfs) on the first disk partition that mounts read-write ---
find_state() {
    local fs d
    if [ -n "${AMI_RUN_TOE_STATE:-}" ]; then S=$AMI_RUN_TOE_STATE; mkdir -p "$S"; return 0; fi
    fs=$(awk '$2 == "/" { t = $3 } END { print t }' /proc/mounts 2>/dev/null)
    case $fs in
        rootfs | tmpfs | ramfs | "") ;;
        *) S=/var/lib/ami-run/toe; mkdir -p "$S" 2>/dev/null && return 0 ;;
    esac
    MNT=/run/ami-run-toe-disk
    mkdir -p "$MNT"
    for d in /sys/class/block/*; do
        [ -e "$d/partition" ] || continue
        case ${d##*/} in sr* | loop* | ram*) continue ;; esac
        if mount -o rw "/dev/${d##*/}" "$MNT" 2>/dev/null; then
            if mkdir -p "$MNT/.ami-run-toe" 2>/dev/null && touch "$MNT/.ami-run-toe/w" 2>/dev/null; then
                S=$MNT/.ami-run-toe
                return 0
            fi
            umount "$MNT"
        fi
    done
    S=/run/ami-run-toe-state
    mkdir -p "$S"
    NOPERSIST=1
}

save_state() { printf 'x %s\nn %s\na %s\nr %s\n' "$X" "$1" "$2" "$REBOOTS" >"$S/state"; sync; }

reboot_now() { # N ATTEMPT
    REBOOTS=$((REBOOTS + 1))
    echo $(($(cat "$S/reboots.$1" 2>/dev/null || echo 0) + 1)) >"$S/reboots.$1"
    save_state "$1" "$2"
    if [ -d /var/lib/cloud ]; then
        mkdir -p /var/lib/cloud/scripts/per-boot
        printf '#!/bin/sh\nexec sh %s/runner.sh %s/program\n' "$S" "$S" \
            >/var/lib/cloud/scripts/per-boot/ami-run-toe.sh
        chmod 755 /var/lib/cloud/scripts/per-boot/ami-run-toe.sh
    fi
    frame "{\"t\":\"reboot\",\"n\":$1}"
    sync
    if [ -d /run/systemd/system ]; then
        systemctl reboot 2>/dev/null || reboot
        sleep 120
    fi
    [ -z "$MNT" ] || umount "$MNT" 2>/dev/null
    sync
    reboot -f
    sleep 600
}

# --- expressions: ev ID → 0 true, 1 false ---
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
acmp() { # OP A B with awk, values through the environment (no escapes)
    TOE_A=$2 TOE_B=$3 awk -v op="$1" 'function num(s) { return s ~ /^[ \t]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[ \t]*$/ }
    BEGIN { a = ENVIRON["TOE_A"] ""; b = ENVIRON["TOE_B"] ""
        if (op ~ /^number/) { if (!num(a) || !num(b)) exit 1; a += 0; b += 0
            if (op == "numberEquals") exit !(a == b); if (op == "numberLessThan") exit !(b < a)
            if (op == "numberLessThanEquals") exit !(b <= a); if (op == "numberGreaterThan") exit !(b > a)
            exit !(b >= a) }
        a = tolower(a); b = tolower(b)
        if (op == "patternMatches") exit !(b ~ a)
        if (op == "stringLessThan") exit !(b < a); if (op == "stringLessThanEquals") exit !(b <= a)
        if (op == "stringGreaterThan") exit !(b > a); exit !(b >= a) }'
}
ev() {
    local l op a b c
    l=$(sed -n "s/^e$1 //p" "$P" | head -n 1)
    # shellcheck disable=SC2086
    set -- $l
    op=$1
    shift
    case $op in
        and) for c; do ev "$c" || return 1; done; return 0 ;;
        or) for c; do ev "$c" && return 0; done; return 1 ;;
        not) if ev "$1"; then return 1; fi; return 0 ;;
    esac
    dec "$1"; subst; a=$V
    dec "$2"; subst; b=$V
    case $op in
        stringIsEmpty) [ -z "$a" ] ;;
        stringIsWhitespace) [ -n "$a" ] && [ -z "$(printf '%s' "$a" | tr -d ' \t\n\r')" ] ;;
        stringEquals) [ "$(lower "$a")" = "$(lower "$b")" ] ;;
        binaryExists) command -v "$a" >/dev/null 2>&1 ;;
        fileExists) [ -f "$a" ] ;;
        folderExists) [ -d "$a" ] ;;
        *) acmp "$op" "$a" "$b" ;;
    esac
}

# --- actions: each sets RC (0 = success) and M (the failure message) ---
remaining() {
    if [ "$DEADLINE" -lt 0 ]; then echo 2147483; return; fi
    echo $(((DEADLINE - $(now_ms) + 999) / 1000))
}
run_timed() { # CMD...: stdout to $S/cur.stdout, stderr to $S/cur.stderr
    local t
    t=$(remaining)
    if [ "$t" -le 0 ]; then TIMEDOUT=1; RC=124; return; fi
    timeout "$t" "$@" >>"$S/cur.stdout" 2>"$S/cur.stderr" </dev/null
    RC=$?
    if [ "$DEADLINE" -ge 0 ] && [ "$(now_ms)" -ge "$DEADLINE" ] && [ $RC -ne 0 ]; then TIMEDOUT=1; fi
    if [ $RC -ne 0 ]; then
        M="exit code $RC$(tail -n 3 "$S/cur.stderr" 2>/dev/null | tr '\n' ' ' | sed 's/^/: /;s/ *$//')"
    fi
}
a_ExecuteBash() {
    getv "$n" commands; subst
    printf '%s' "$V" >"$S/step.sh"
    if command -v bash >/dev/null 2>&1; then run_timed bash "$S/step.sh"; else run_timed sh "$S/step.sh"; fi
}
a_ExecuteBinary() {
    local p
    getv "$n" path; subst; p=$V
    set --
    for a in $(sed -n "s/^$n A //p" "$P"); do dec "$a"; subst; set -- "$@" "$V"; done
    run_timed "$p" "$@"
}
a_Assert() {
    if ev "$(fld "$n" e)"; then RC=0; else fail "assertion is false"; fi
}
perms() { # PATH: permissions, owner, group inputs
    if inp permissions; then chmod "$V" "$1" || { fail "cannot set permissions '$V' on '$1'"; return 1; }; fi
    if inp owner; then chown "$V" "$1" || { fail "cannot set owner '$V' of '$1'"; return 1; }; fi
    if inp group; then chgrp "$V" "$1" || { fail "cannot set group '$V' of '$1'"; return 1; }; fi
}
i_CreateFile() {
    local p
    inp path; p=$V
    if [ -e "$p" ] && [ "$(fld "$n" "k.$j.overwrite")" = false ]; then fail "'$p' exists and overwrite is false"; return; fi
    mkdir -p "$(dirname "$p")" 2>/dev/null
    opt content ""
    printf '%s' "$V" >"$p" 2>/dev/null || { fail "cannot write '$p'"; return; }
    perms "$p"
}
i_AppendFile() {
    local p
    inp path; p=$V
    [ -f "$p" ] || { fail "'$p' does not exist"; return; }
    opt content ""
    printf '%s' "$V" >>"$p" 2>/dev/null || fail "cannot append to '$p'"
}
i_DeleteFile() {
    local p f
    inp path; p=$V
    case ${p##*/} in
        *'*'*) for f in ${p%/*}/${p##*/}; do [ ! -e "$f" ] || rm -f "$f" || { fail "cannot delete '$f'"; return; }; done ;;
        *) [ -e "$p" ] || { fail "'$p' does not exist"; return; }
           rm -f "$p" 2>/dev/null || fail "cannot delete '$p'" ;;
    esac
}
copy_move() { # cp|mv
    local s d f t any=
    inp source; s=$V
    inp destination; d=$V
    case $d in */) mkdir -p "$d" 2>/dev/null ;; *) mkdir -p "$(dirname "$d")" 2>/dev/null ;; esac
    for f in ${s%/*}/${s##*/}; do
        [ -f "$f" ] || continue
        any=1
        case $d in */) t=$d${f##*/} ;; *) t=$d ;; esac
        if [ -e "$t" ] && [ "$(fld "$n" "k.$j.overwrite")" = false ]; then fail "'$t' exists and overwrite is false"; return; fi
        "$1" -f "$f" "$t" 2>/dev/null || { fail "cannot $1 '$f' to '$t'"; return; }
    done
    [ -n "$any" ] || fail "source '$s' does not exist"
}
i_CopyFile() { copy_move cp; }
i_MoveFile() { copy_move mv; }
i_CreateFolder() {
    local p
    inp path; p=$V
    if [ -d "$p" ] && [ "$(fld "$n" "k.$j.overwrite")" = false ]; then fail "'$p' exists and overwrite is false"; return; fi
    mkdir -p "$p" 2>/dev/null || { fail "cannot create '$p'"; return; }
    perms "$p"
}
i_ReadFile() {
    local p
    inp path; p=$V
    [ -f "$p" ] || { fail "'$p' does not exist"; return; }
    cat "$p" >>"$S/cur.content" || fail "cannot read '$p'"
}
i_SetFilePermissions() {
    local p
    inp path; p=$V
    [ -e "$p" ] || { fail "'$p' does not exist"; return; }
    inp permissions
    chmod "$V" "$p" 2>/dev/null || fail "cannot set permissions '$V' on '$p'"
}
i_ListFiles() {
    local p pat depth=
    inp path; p=$V
    [ -d "$p" ] || { fail "folder '$p' does not exist"; return; }
    opt fileNamePattern '*'; pat=$V
    [ "$(fld "$n" "k.$j.recursive")" = true ] || depth="-maxdepth 1"
    # shellcheck disable=SC2086
    find "$p" $depth -type f -name "$pat" 2>/dev/null | sort | tr '\n' ',' | sed 's/,$//' >>"$S/cur.files"
}
i_WebDownload() {
    local src dst t sum alg k=
    inp source; src=$V
    inp destination; dst=$V
    case $dst in */) mkdir -p "$dst"; dst=$dst${src##*/} ;; *) mkdir -p "$(dirname "$dst")" ;; esac
    if [ -e "$dst" ] && [ "$(fld "$n" "k.$j.overwrite")" = false ]; then fail "'$dst' exists and overwrite is false"; return; fi
    [ "$(fld "$n" "k.$j.ignoreCertificateErrors")" != true ] || k=1
    for t in 1 2 4 8 16; do
        if command -v curl >/dev/null 2>&1; then
            curl -fsSL ${k:+-k} -o "$dst" "$src" 2>"$S/cur.stderr" && break
        else
            wget -q ${k:+--no-check-certificate} -O "$dst" "$src" 2>"$S/cur.stderr" && break
        fi
        [ $t = 16 ] && { fail "cannot download '$src' (5 attempts): $(tail -n 1 "$S/cur.stderr")"; return; }
        sleep $t
    done
    if inp checksum; then
        sum=$V
        inp algorithm; alg=$(lower "$V")
        [ "$(${alg}sum "$dst" | cut -d' ' -f1)" = "$(lower "$sum")" ] ||
            { fail "'$dst': $V checksum mismatch"; return; }
    fi
    printf '%s\n' "$dst" >>"$S/cur.destination"
}
i_S3Download() { fail "S3Download needs Amazon S3, which ami-run does not provide (use WebDownload, or put the file in the image)"; }
i_S3Upload() { fail "S3Upload needs Amazon S3, which ami-run does not provide"; }

run_once() { # one iteration: RC, M; outputs in $S/cur.*
    local j=0 c
    RC=0 M=
    rm -f "$S"/cur.*
    : >"$S/cur.stdout"
    case $ACTION in
        ExecuteBash | ExecuteBinary | Assert) "a_$ACTION" ;;
        *)
            c=$(fld "$n" c)
            while [ $j -lt "$c" ] && [ "$RC" = 0 ]; do
                if [ "$(remaining)" -le 0 ]; then TIMEDOUT=1; RC=124; break; fi
                "i_$ACTION"
                j=$((j + 1))
            done
            ;;
    esac
}
# Successful iterations' outputs, newline-joined, as AWSTOE consolidates them.
keep_outputs() {
    local f k
    for f in "$S"/cur.*; do
        k=${f##*/cur.}
        case $k in stderr | '*') continue ;; esac
        [ "$k" != stdout ] || [ "$ACTION" = ExecuteBash ] || [ "$ACTION" = ExecuteBinary ] || continue
        if [ -f "$S/out/$n.$k" ]; then printf '\n' >>"$S/out/$n.$k"; fi
        printf '%s' "$(cat "$f")" >>"$S/out/$n.$k"
    done
}
run_body() { # all iterations: RC, M
    local kind i v end by failed= list d
    kind=$(fld "$n" l)
    rm -f "$S/out/$n".*
    case $kind in
        "") LI= LV=; run_once; [ "$RC" != 0 ] || keep_outputs; return ;;
        for*)
            # shellcheck disable=SC2086
            set -- $kind
            v=$2 end=$3 by=$4 i=0
            while { [ "$by" -gt 0 ] && [ "$v" -le "$end" ]; } || { [ "$by" -lt 0 ] && [ "$v" -ge "$end" ]; }; do
                LI=$i LV=$v
                run_once
                [ "$RC" = 0 ] || { failed=$i; break; }
                keep_outputs
                i=$((i + 1)) v=$((v + by))
            done
            ;;
        each)
            i=0
            for v in $(sed -n "s/^$n v //p" "$P"); do
                dec "$v"; subst
                LI=$i LV=$V
                run_once
                [ "$RC" = 0 ] || { failed=$i; break; }
                keep_outputs
                i=$((i + 1))
            done
            ;;
        split)
            getv "$n" L; subst; list=$V
            getv "$n" D; d=$V
            i=0
            while [ -n "$list" ]; do
                case $list in *"$d"*) LV=${list%%"$d"*} list=${list#*"$d"} ;; *) LV=$list list= ;; esac
                LI=$i
                run_once
                [ "$RC" = 0 ] || { failed=$i; break; }
                keep_outputs
                i=$((i + 1))
            done
            ;;
    esac
    [ -z "$failed" ] || [ "$RC" = 194 ] || M="loop iteration $failed failed: $M"
}

report() { # N STATUS: the step's frame
    local o="" f k
    for f in "$S/out/$1".*; do
        [ -f "$f" ] || continue
        k=${f##*/"$1".}
        o="$o${o:+,}\"$k\":\"$(head -c 16384 "$f" | b64)\""
    done
    frame "{\"t\":\"step\",\"n\":$1,\"s\":\"$2\",\"x\":${RC:-0},\"a\":$ATT,\"r\":$(cat "$S/reboots.$1" 2>/dev/null || echo 0),\"ms\":$(($(now_ms) - T0)),\"m\":\"$(printf '%s' "$M" | b64)\",\"o\":{$o}}"
}

run_step() { # N: runs it (attempts, reboots), reports it; 1 when the run must stop
    local dec_if id th el first_att=1
    n=$1
    ACTION=$(fld "$n" a)
    T0=$(now_ms) RC=0 M= ATT=0 TIMEDOUT=
    [ "$n" != "$RESUME_N" ] || first_att=$RESUME_A
    if [ -n "$(fld "$n" i)" ]; then
        if [ -f "$S/if.$n" ]; then
            dec_if=$(cat "$S/if.$n")
        else
            # shellcheck disable=SC2046
            set -- $(fld "$n" i)
            id=$1 th=$2 el=$3
            if ev "$id"; then dec_if=$th; else dec_if=$el; fi
            echo "$dec_if" >"$S/if.$n"
        fi
        case $dec_if in
            Skip) report "$n" Skipped; return 0 ;;
            Abort) RC=1 M="if: the condition says Abort" ATT=1 ;;
        esac
    fi
    if [ "$dec_if" != Abort ]; then
        ATT=$((first_att - 1))
        while [ $ATT -lt "$(fld "$n" m)" ]; do
            ATT=$((ATT + 1))
            TIMEDOUT=
            t=$(fld "$n" t)
            if [ "$t" -lt 0 ]; then DEADLINE=-1; else DEADLINE=$(($(now_ms) + t * 1000)); fi
            run_body
            if [ "$RC" = 194 ]; then
                if [ -n "$NOPERSIST" ]; then M="exit code 194 asks for a reboot, but there is no disk to keep the runner's state on"; RC=1; continue; fi
                if [ "$REBOOTS" -ge 10 ]; then M="exit code 194 after 10 reboots"; RC=1; break; fi
                reboot_now "$n" "$ATT"
            fi
            [ "$RC" != 0 ] || break
            [ -z "$TIMEDOUT" ] || M="timed out after $t s${M:+ ($M)}"
        done
    fi
    if [ "$RC" = 0 ]; then report "$n" Success; return 0; fi
    case $(fld "$n" f) in
        Ignore) report "$n" IgnoredFailure ;;
        Continue) report "$n" Failed ;;
        *) report "$n" Failed; ABORTED=$n; return 1 ;;
    esac
    return 0
}

main() {
    local n0 total
    find_state
    X=$(fld 0 x) total=$(fld 0 n) REBOOTS=0 RESUME_N= RESUME_A=1 ABORTED=
    if [ -f "$S/state" ] && [ "$(sed -n 's/^x //p' "$S/state")" = "$X" ]; then
        [ ! -f "$S/done" ] || exit 0
        RESUME_N=$(sed -n 's/^n //p' "$S/state")
        RESUME_A=$(sed -n 's/^a //p' "$S/state")
        REBOOTS=$(sed -n 's/^r //p' "$S/state")
        frame "{\"t\":\"resume\",\"x\":\"$X\",\"n\":$RESUME_N,\"r\":$REBOOTS}"
        n0=$RESUME_N
    else
        rm -rf "$S"/* 2>/dev/null
        mkdir -p "$S/out"
        [ "$R/runner.sh" -ef "$S/runner.sh" ] || cp "$R/runner.sh" "$S/runner.sh"
        [ "$P" -ef "$S/program" ] || cp "$P" "$S/program"
        frame "{\"t\":\"start\",\"x\":\"$X\",\"steps\":$total${NOPERSIST:+,\"persist\":false}}"
        n0=1
    fi
    P=$S/program
    n=$n0
    while [ "$n" -le "$total" ]; do
        save_state "$n" 1
        run_step "$n" || break
        n=$((n + 1))
        RESUME_N=
    done
    : >"$S/done"
    rm -f /var/lib/cloud/scripts/per-boot/ami-run-toe.sh
    frame "{\"t\":\"end\",\"x\":\"$X\"${ABORTED:+,\"abort\":$ABORTED}}"
    [ -z "$MNT" ] || { sync; umount "$MNT" 2>/dev/null; }
    exit 0
}
main
