#!/usr/bin/env bash
# SendGate vs Postfix throughput benchmark (see bench/README.md).
#
# Measures on this machine, in one run, with ~5 KB messages:
#   (a) SendGate durable accept rate   POST /v1/messages (JSON), delivery worker off
#   (b) SendGate end to end            first POST -> last message counted by the SMTP sink
#   (c) Postfix accept rate            smtp-source -> Postfix smtpd (messages put on hold)
#   (d) Postfix end to end             smtp-source -> Postfix -> the same SMTP sink
# and prints accept ratio (a)/(c) (target >= 2) and end-to-end ratio (b)/(d) (target >= 1.5).
#
# Everything listens on 127.0.0.1 only. Postfix runs as a private instance whose configuration
# and queue live in a temporary directory (postfix -c DIR); /etc/postfix is not touched.
# Needs root (Postfix, apt-get). Raw numbers go to bench/results/<timestamp>/.
# Helpers shared with bench/smtp.sh (the SMTP door against Postfix) are in bench/lib.sh.
set -euo pipefail

# ---- knobs (environment; the ones bench/smtp.sh shares are in bench/lib.sh) ---------------
N_ACCEPT=${N_ACCEPT:-20480}             # messages per accept measurement (>= ~10 s per run for both sides)
N_E2E=${N_E2E:-10240}                   # messages per end-to-end measurement
SG_CONCURRENCY=${SG_CONCURRENCY:-"16 32 64"}   # hey -c levels
PF_SESSIONS=${PF_SESSIONS:-"16 32 64"}         # smtp-source -s levels
PF_MODES=${PF_MODES:-"reuse new"}       # reuse: smtp-source -d (keep the session, like HTTP keep-alive); new: one session per message
SG_WARMUP=${SG_WARMUP:-6400}            # requests before each accept measurement (JIT tiering settles after ~6-8 s)
E2E_WARMUP=${E2E_WARMUP:-640}           # messages sent and delivered before each end-to-end measurement
PF_WARMUP=${PF_WARMUP:-640}
PROBE=${PROBE:-1}                       # 1: also run the SMTP lane probe (bench/SendGate.Bench) against the sink
PROBE_MESSAGES=${PROBE_MESSAGES:-1600}
PROBE_LANES=${PROBE_LANES:-8}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE_DLL=$REPO/bench/SendGate.Bench/bin/Release/net10.0/SendGate.Bench.dll

# ---- prerequisites -------------------------------------------------------------------------
require_root_and_dotnet
install_missing hey postfix curl
require_free_ports "$SG_PORT" "$PF_PORT" "$SINK_PORT"

# ---- results -------------------------------------------------------------------------------
start_results \
    "settings: N_ACCEPT=$N_ACCEPT N_E2E=$N_E2E SG_CONCURRENCY='$SG_CONCURRENCY' PF_SESSIONS='$PF_SESSIONS' PF_MODES='$PF_MODES'" \
    "          SG_PARALLELISM=$SG_PARALLELISM SG_BATCH=$SG_BATCH SG_PIPELINING=$SG_PIPELINING SG_POLL=$SG_POLL MSG_BYTES=$MSG_BYTES" \
    "          SG_WARMUP=$SG_WARMUP E2E_WARMUP=$E2E_WARMUP PF_WARMUP=$PF_WARMUP"
printf 'phase\tside\tsetting\tmessages\tseconds\trate_msg_s\taccept_rate_during_e2e\tsg_cpu_ms_per_msg\tbusy_before_pct\tbusy_during_pct\tstatus\n' > "$RUNS"

# ---- build and workspace -------------------------------------------------------------------
build_sendgate
if [ "$PROBE" = 1 ] && { [ "$SKIP_BUILD" != 1 ] || [ ! -f "$PROBE_DLL" ]; }; then
    dotnet build -c Release "$REPO/bench/SendGate.Bench" -nologo -v q >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "probe build failed"; }
fi
make_work

BODY=$WORK/body.json
# ~5 KB of plain ASCII text in 77-character lines, the same size smtp-source sends (-l).
awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" 'BEGIN {
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
    text = ""; bytes = 0;   # bytes = decoded size (each "\\n" escape is one byte)
    while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
    text = text substr(line, 1, size - bytes);
    printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"bench\",\"text\":\"%s\"}", from, rcpt, text }' > "$BODY"

start_sink

run_hey() {  # n c outfile  -> 0 if every response was 202
    hey -n "$1" -c "$2" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$BODY" \
        "$SG_URL/v1/messages" > "$3" 2>&1 || true
    # Only the status-code line: a latency histogram bucket can also read "[202]".
    [ "$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$3")" = "$1" ]
}

# ---- (a) SendGate accept -------------------------------------------------------------------
log "(a) SendGate accept: worker off, N=$N_ACCEPT, hey -c {$SG_CONCURRENCY}"
for c in $SG_CONCURRENCY; do
    n=$(round_down "$N_ACCEPT" "$c"); w=$(round_down "$SG_WARMUP" "$c")
    start_sendgate "a-c$c" false
    [ "$w" -gt 0 ] && { run_hey "$w" "$c" "$WORK/warm.txt" || log "warm-up had non-202 responses"; }
    quiet=$(wait_quiet)
    c0=$(cpu_sample); p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns)
    status=ok; run_hey "$n" "$c" "$OUT/hey-a-c$c.txt" || status="non-202 responses"
    t1=$(now_ns); p1=$(proc_cpu_ticks "$SG_PID"); c1=$(cpu_sample)
    cpu_ms=$(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.2f", 1000 * d / hz / n }')
    r=$(rate "$n" $((t1 - t0)))
    record accept SendGate "hey -c $c" "$n" "$(secs $((t1 - t0)))" "$r" "" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status"
    log "    -c $c: $r msg/s ($status), SendGate CPU ${cpu_ms} ms/msg"
    stop_sendgate "a-c$c"
done

# ---- (c) Postfix accept --------------------------------------------------------------------
log "(c) Postfix accept: messages held (no delivery), N=$N_ACCEPT, smtp-source -s {$PF_SESSIONS} x {$PF_MODES}"
setup_postfix
postfix_hold on
for mode in $PF_MODES; do
    for s in $PF_SESSIONS; do
        run_source "$mode" "$s" "$PF_WARMUP" || log "warm-up failed"
        purge_hold
        quiet=$(wait_quiet)
        c0=$(cpu_sample); t0=$(now_ns)
        status=ok; run_source "$mode" "$s" "$N_ACCEPT" || status="smtp-source failed"
        t1=$(now_ns); c1=$(cpu_sample)
        held=$(queue_files hold)
        [ "$held" = "$N_ACCEPT" ] || status="$status; $held held"
        r=$(rate "$N_ACCEPT" $((t1 - t0)))
        record accept Postfix "smtp-source -s $s ($mode session)" "$N_ACCEPT" "$(secs $((t1 - t0)))" "$r" "" "" "$quiet" "$(busy_pct "$c0" "$c1")" "$status"
        log "    -s $s $mode: $r msg/s ($status)"
        purge_hold
    done
done
postfix_hold off

# ---- (b) SendGate end to end ---------------------------------------------------------------
log "(b) SendGate end to end: in-process worker, N=$N_E2E, hey -c {$SG_CONCURRENCY}, Parallelism=$SG_PARALLELISM"
for c in $SG_CONCURRENCY; do
    n=$(round_down "$N_E2E" "$c"); w=$(round_down "$E2E_WARMUP" "$c")
    start_sendgate "b-c$c" true
    base=$(sink_count)
    if [ "$w" -gt 0 ]; then
        run_hey "$w" "$c" "$WORK/warm.txt" || log "warm-up had non-202 responses"
        [[ "$(wait_sink $((base + w)) "$E2E_TIMEOUT")" == timeout* ]] && log "warm-up not delivered in time"
    fi
    quiet=$(wait_quiet)
    base=$(sink_count)
    c0=$(cpu_sample); p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns)
    status=ok; run_hey "$n" "$c" "$OUT/hey-b-c$c.txt" || status="non-202 responses"
    t1=$(now_ns)
    t2=$(wait_sink $((base + n)) "$E2E_TIMEOUT")
    p1=$(proc_cpu_ticks "$SG_PID"); c1=$(cpu_sample)
    if [[ "$t2" == timeout* ]]; then
        got=$(( ${t2#timeout:} - base )); status="timeout: $got of $n delivered"; t2=$(now_ns); n_done=$got
    else
        n_done=$n
    fi
    cpu_ms=$(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.2f", 1000 * d / hz / n }')
    r=$(rate "$n_done" $((t2 - t0)))
    record e2e SendGate "hey -c $c, Parallelism $SG_PARALLELISM" "$n" "$(secs $((t2 - t0)))" "$r" "$(rate "$n" $((t1 - t0)))" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status"
    log "    -c $c: $r msg/s end to end ($status); accepted at $(rate "$n" $((t1 - t0))) msg/s meanwhile"
    stop_sendgate "b-c$c"
done

# ---- (d) Postfix end to end ----------------------------------------------------------------
log "(d) Postfix end to end: N=$N_E2E, smtp-source -s {$PF_SESSIONS} x {$PF_MODES}"
for mode in $PF_MODES; do
    for s in $PF_SESSIONS; do
        run_source "$mode" "$s" "$PF_WARMUP" || log "warm-up failed"
        wait_postfix_idle
        quiet=$(wait_quiet)
        base=$(sink_count)
        c0=$(cpu_sample); t0=$(now_ns)
        status=ok; run_source "$mode" "$s" "$N_E2E" || status="smtp-source failed"
        t1=$(now_ns)
        t2=$(wait_sink $((base + N_E2E)) "$E2E_TIMEOUT")
        c1=$(cpu_sample)
        if [[ "$t2" == timeout* ]]; then
            got=$(( ${t2#timeout:} - base )); status="timeout: $got of $N_E2E delivered"; t2=$(now_ns); n_done=$got
        else
            n_done=$N_E2E
        fi
        r=$(rate "$n_done" $((t2 - t0)))
        record e2e Postfix "smtp-source -s $s ($mode session)" "$N_E2E" "$(secs $((t2 - t0)))" "$r" "$(rate "$N_E2E" $((t1 - t0)))" "" "$quiet" "$(busy_pct "$c0" "$c1")" "$status"
        log "    -s $s $mode: $r msg/s end to end ($status); accepted at $(rate "$N_E2E" $((t1 - t0))) msg/s meanwhile"
    done
done
# ---- SMTP lane probe: one delivery lane of SendGate vs MailKit with TCP_NODELAY -------------
if [ "$PROBE" = 1 ]; then
    log "SMTP lane probe: $PROBE_MESSAGES messages over $PROBE_LANES lanes to the sink"
    dotnet "$PROBE_DLL" "$SINK_PORT" "$PROBE_MESSAGES" "$PROBE_LANES" "$SG_PIPELINING" > "$OUT/probe.txt" 2>&1 || log "probe failed (see probe.txt)"
    sed 's/^/    /' "$OUT/probe.txt" >&2
fi

save_postfix_warnings

# ---- report --------------------------------------------------------------------------------
A=$(best accept SendGate); C=$(best accept Postfix); B=$(best e2e SendGate); D=$(best e2e Postfix)
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "MISSED") }'; }
RA=$(ratio "$A" "$C"); RE=$(ratio "$B" "$D")

{
    echo
    echo "All runs (rate = messages per second; busy = whole-machine CPU %, before / during the run)"
    printf '%-7s %-9s %-34s %7s %8s %9s %10s %9s %6s  %s\n' phase side setting msgs seconds rate "acc.during" "cpu ms/msg" busy status
    awk -F'\t' 'NR > 1 { printf "%-7s %-9s %-34s %7s %8s %9s %10s %9s %6s  %s\n", $1, $2, $3, $4, $5, $6, ($7 == "" ? "-" : $7), ($8 == "" ? "-" : $8), $9 "/" $10, $11 }' "$RUNS"
    echo
    echo "Best of each (msg/s)"
    printf '  (a) SendGate accept (durable, JSON)        %9s\n' "$A"
    printf '  (b) SendGate end to end (POST -> sink)     %9s\n' "$B"
    printf '  (c) Postfix accept (smtpd, queued on hold) %9s\n' "$C"
    printf '  (d) Postfix end to end (-> sink)           %9s\n' "$D"
    echo
    printf '  accept ratio      (a)/(c) = %s   target >= 2.0  -> %s\n' "$RA" "$(verdict "$RA" 2)"
    printf '  end-to-end ratio  (b)/(d) = %s   target >= 1.5  -> %s\n' "$RE" "$(verdict "$RE" 1.5)"
    echo
    if [ -s "$OUT/probe.txt" ]; then
        echo "SMTP lane probe (SendGate's SmtpTransport vs MailKit on a TCP_NODELAY socket, same sink)"
        sed 's/^/  /' "$OUT/probe.txt"
        echo
    fi
    echo "Raw numbers: $OUT"
} | tee "$OUT/summary.txt"
printf 'a_sendgate_accept\t%s\nb_sendgate_e2e\t%s\nc_postfix_accept\t%s\nd_postfix_e2e\t%s\naccept_ratio\t%s\ne2e_ratio\t%s\n' \
    "$A" "$B" "$C" "$D" "$RA" "$RE" > "$OUT/best.tsv"
