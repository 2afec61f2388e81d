#!/usr/bin/env bash
# SendGate's SMTP door vs Postfix (see bench/README.md, "SMTP door against Postfix").
#
# Measures on this machine, in one run, with ~5 KB messages and the same smtp-source flags on
# both sides (-s SESSIONS, reuse = -d, new = one session per message):
#   (e) SendGate SMTP accept rate   smtp-source -> SendGate's SMTP listener (connector mode for
#                                   127.0.0.1), delivery worker off; 250 = durably stored
#   (c) Postfix accept rate         smtp-source -> Postfix smtpd (messages put on hold)
#   (f) SendGate SMTP end to end    smtp-source -> SendGate SMTP -> in-process worker -> smtp-sink
#   (d) Postfix end to end          smtp-source -> Postfix -> the same smtp-sink
# and prints the ratios (e)/(c) and (f)/(d), best against best and setting by setting, and the CPU
# time per message of SendGate's process, of all Postfix processes and of smtp-source (/proc, and
# the shell's children times). Every SendGate run counts the rows stored (sqlite3) and fails
# unless it equals what was sent; smtp-source stops at the first reply that is not positive.
#
# Everything listens on 127.0.0.1 only; Postfix is a private instance (postfix -c DIR) and
# /etc/postfix is not touched. Needs root. Helpers shared with bench/run.sh are in bench/lib.sh.
# Raw numbers go to bench/results/<timestamp>/.
set -euo pipefail

# ---- knobs (environment; the shared ones are in bench/lib.sh) ------------------------------
N_ACCEPT=${N_ACCEPT:-30720}             # messages per accept measurement (>= ~10 s each: the SMTP door reaches ~2,400 msg/s here)
N_E2E=${N_E2E:-12288}                   # messages per end-to-end measurement
SESSIONS=${SESSIONS:-"16 32"}           # smtp-source -s levels, both sides
MODES=${MODES:-"reuse new"}             # reuse: smtp-source -d (keep the session); new: one session per message
SG_WARMUP=${SG_WARMUP:-6400}            # messages before each SendGate accept measurement (JIT tiering settles)
E2E_WARMUP=${E2E_WARMUP:-640}           # messages sent and delivered before each end-to-end measurement
PF_WARMUP=${PF_WARMUP:-640}
SG_SMTP_PORT=${SG_SMTP_PORT:-12527}     # SendGate's SMTP listener (Tls none)
SG_SMTP_MAX_CONN=${SG_SMTP_MAX_CONN:-}  # SmtpIngress:MaxConnectionsPerClient; empty = the product's default (50)

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_and_dotnet
install_missing postfix curl sqlite3
require_free_ports "$SG_PORT" "$PF_PORT" "$SINK_PORT" "$SG_SMTP_PORT"

start_results \
    "settings: N_ACCEPT=$N_ACCEPT N_E2E=$N_E2E SESSIONS='$SESSIONS' MODES='$MODES' MSG_BYTES=$MSG_BYTES" \
    "          SG_PARALLELISM=$SG_PARALLELISM SG_BATCH=$SG_BATCH SG_PIPELINING=$SG_PIPELINING SG_POLL=$SG_POLL" \
    "          SG_WARMUP=$SG_WARMUP E2E_WARMUP=$E2E_WARMUP PF_WARMUP=$PF_WARMUP SG_SMTP_MAX_CONN=${SG_SMTP_MAX_CONN:-default}"
# Columns 1-11 as bench/run.sh's; server_cpu = SendGate's process, or every Postfix process;
# stored = rows in SendGate's messages table (or Postfix's hold queue) added by the run.
printf 'phase\tside\tsetting\tmessages\tseconds\trate_msg_s\taccept_rate_during_e2e\tserver_cpu_ms_per_msg\tbusy_before_pct\tbusy_during_pct\tstatus\tstored\tsource_cpu_ms_per_msg\tsg_peak_rss_mib\n' > "$RUNS"

build_sendgate
make_work
start_sink

# ---- SendGate with the SMTP door -----------------------------------------------------------
SMTP_ENV=(
    SendGate__SmtpIngress__Enabled=true
    SendGate__SmtpIngress__Endpoints__0__Address=127.0.0.1
    SendGate__SmtpIngress__Endpoints__0__Port="$SG_SMTP_PORT"
    SendGate__SmtpIngress__Endpoints__0__Tls=none
)
[ -n "$SG_SMTP_MAX_CONN" ] && SMTP_ENV+=(SendGate__SmtpIngress__MaxConnectionsPerClient="$SG_SMTP_MAX_CONN")

start_sendgate_smtp() {  # label in_process_worker
    local code
    start_sendgate "$1" "$2" "${SMTP_ENV[@]}"
    SG_DB=$WORK/sg-$1/data/sendgate.db
    wait_port "$SG_SMTP_PORT" 30 || { tail -20 "$WORK/sg-$1/sendgate.log" >&2; die "SendGate's SMTP listener did not open"; }
    # Connector mode: mail from 127.0.0.1 is the bootstrap tenant's, without AUTH.
    code=$(curl -s -o "$WORK/connector.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $API_KEY" \
        -H 'Content-Type: application/json' -d '{"networks":["127.0.0.1/32"],"requireTls":false}' "$SG_URL/v1/smtp/connector" || true)
    [ "$code" = 200 ] || die "PUT /v1/smtp/connector answered $code: $(cat "$WORK/connector.json")"
}

stored_count() { sqlite3 -cmd '.timeout 10000' "$SG_DB" 'SELECT count(*) FROM messages'; }
peak_rss_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SG_PID/status" 2>/dev/null || echo 0; }

# CPU seconds of the shell's reaped children (smtp-source), read from `times` in this shell
# (a command substitution would be a new process with no children of its own).
children_cpu() { awk 'NR == 2 { n = split($0, f, " "); t = 0; for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }' "$1"; }
source_ms() { awk -v a="$(children_cpu "$1")" -v b="$(children_cpu "$2")" -v n="$3" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * (b - a) / n : 0) }'; }

setting() { echo "smtp-source -s $2 ($1 session)"; }

# ---- (e) SendGate SMTP accept --------------------------------------------------------------
log "(e) SendGate SMTP accept: connector mode, worker off, N=$N_ACCEPT, smtp-source -s {$SESSIONS} x {$MODES}"
for mode in $MODES; do
    for s in $SESSIONS; do
        label=e-$mode-s$s; src=$OUT/source-$label.log
        start_sendgate_smtp "$label" false
        run_source "$mode" "$s" "$SG_WARMUP" "$SG_SMTP_PORT" "$src" || log "warm-up failed (see $(basename "$src"))"
        quiet=$(wait_quiet)
        before=$(stored_count)
        c0=$(cpu_sample); p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns); times > "$WORK/times.0"
        status=ok; run_source "$mode" "$s" "$N_ACCEPT" "$SG_SMTP_PORT" "$src" || status="smtp-source failed"
        times > "$WORK/times.1"; t1=$(now_ns); p1=$(proc_cpu_ticks "$SG_PID"); c1=$(cpu_sample)
        stored=$(( $(stored_count) - before ))
        [ "$stored" = "$N_ACCEPT" ] || status="$status; $stored stored"
        r=$(rate "$N_ACCEPT" $((t1 - t0))); cpu_ms=$(ms_per_msg $((p1 - p0)) "$N_ACCEPT")
        src_ms=$(source_ms "$WORK/times.0" "$WORK/times.1" "$N_ACCEPT"); rss=$(peak_rss_mib)
        record accept SendGate "$(setting "$mode" "$s")" "$N_ACCEPT" "$(secs $((t1 - t0)))" "$r" "" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status" "$stored" "$src_ms" "$rss"
        log "    -s $s $mode: $r msg/s ($status), stored $stored, SendGate CPU ${cpu_ms} ms/msg, smtp-source ${src_ms} ms/msg, peak RSS ${rss} MiB"
        stop_sendgate "$label"
    done
done

# ---- (c) Postfix accept --------------------------------------------------------------------
log "(c) Postfix accept: messages held (no delivery), N=$N_ACCEPT, smtp-source -s {$SESSIONS} x {$MODES}"
setup_postfix
postfix_hold on
for mode in $MODES; do
    for s in $SESSIONS; do
        src=$OUT/source-c-$mode-s$s.log
        run_source "$mode" "$s" "$PF_WARMUP" "$PF_PORT" "$src" || log "warm-up failed"
        purge_hold
        quiet=$(wait_quiet)
        c0=$(cpu_sample); p0=$(postfix_cpu_ticks); t0=$(now_ns); times > "$WORK/times.0"
        status=ok; run_source "$mode" "$s" "$N_ACCEPT" "$PF_PORT" "$src" || status="smtp-source failed"
        times > "$WORK/times.1"; t1=$(now_ns); p1=$(postfix_cpu_ticks); c1=$(cpu_sample)
        held=$(queue_files hold)
        [ "$held" = "$N_ACCEPT" ] || status="$status; $held held"
        r=$(rate "$N_ACCEPT" $((t1 - t0))); cpu_ms=$(ms_per_msg $((p1 - p0)) "$N_ACCEPT")
        src_ms=$(source_ms "$WORK/times.0" "$WORK/times.1" "$N_ACCEPT")
        record accept Postfix "$(setting "$mode" "$s")" "$N_ACCEPT" "$(secs $((t1 - t0)))" "$r" "" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status" "$held" "$src_ms" ""
        log "    -s $s $mode: $r msg/s ($status), Postfix CPU ${cpu_ms} ms/msg, smtp-source ${src_ms} ms/msg"
        purge_hold
    done
done
postfix_hold off

# ---- (f) SendGate SMTP end to end ----------------------------------------------------------
log "(f) SendGate SMTP end to end: in-process worker, N=$N_E2E, smtp-source -s {$SESSIONS} x {$MODES}, Parallelism=$SG_PARALLELISM"
for mode in $MODES; do
    for s in $SESSIONS; do
        label=f-$mode-s$s; src=$OUT/source-$label.log
        start_sendgate_smtp "$label" true
        base=$(sink_count)
        if [ "$E2E_WARMUP" -gt 0 ]; then
            run_source "$mode" "$s" "$E2E_WARMUP" "$SG_SMTP_PORT" "$src" || log "warm-up failed (see $(basename "$src"))"
            [[ "$(wait_sink $((base + E2E_WARMUP)) "$E2E_TIMEOUT")" == timeout* ]] && log "warm-up not delivered in time"
        fi
        quiet=$(wait_quiet)
        base=$(sink_count); before=$(stored_count)
        c0=$(cpu_sample); p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns); times > "$WORK/times.0"
        status=ok; run_source "$mode" "$s" "$N_E2E" "$SG_SMTP_PORT" "$src" || status="smtp-source failed"
        times > "$WORK/times.1"; t1=$(now_ns)
        t2=$(wait_sink $((base + N_E2E)) "$E2E_TIMEOUT")
        p1=$(proc_cpu_ticks "$SG_PID"); c1=$(cpu_sample)
        stored=$(( $(stored_count) - before ))
        [ "$stored" = "$N_E2E" ] || status="$status; $stored stored"
        if [[ "$t2" == timeout* ]]; then
            got=$(( ${t2#timeout:} - base )); status="$status; timeout: $got of $N_E2E delivered"; t2=$(now_ns); n_done=$got
        else
            n_done=$N_E2E
        fi
        r=$(rate "$n_done" $((t2 - t0))); acc=$(rate "$N_E2E" $((t1 - t0))); cpu_ms=$(ms_per_msg $((p1 - p0)) "$N_E2E")
        src_ms=$(source_ms "$WORK/times.0" "$WORK/times.1" "$N_E2E"); rss=$(peak_rss_mib)
        sqlite3 -cmd '.timeout 10000' "$SG_DB" 'SELECT status, count(*) FROM messages GROUP BY status' > "$OUT/status-$label.txt" 2>&1 || true
        record e2e SendGate "$(setting "$mode" "$s"), Parallelism $SG_PARALLELISM" "$N_E2E" "$(secs $((t2 - t0)))" "$r" "$acc" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status" "$stored" "$src_ms" "$rss"
        log "    -s $s $mode: $r msg/s end to end ($status); accepted at $acc msg/s meanwhile, stored $stored, SendGate CPU ${cpu_ms} ms/msg, peak RSS ${rss} MiB"
        stop_sendgate "$label"
    done
done

# ---- (d) Postfix end to end ----------------------------------------------------------------
log "(d) Postfix end to end: N=$N_E2E, smtp-source -s {$SESSIONS} x {$MODES}"
for mode in $MODES; do
    for s in $SESSIONS; do
        src=$OUT/source-d-$mode-s$s.log
        run_source "$mode" "$s" "$PF_WARMUP" "$PF_PORT" "$src" || log "warm-up failed"
        wait_postfix_idle
        quiet=$(wait_quiet)
        base=$(sink_count)
        c0=$(cpu_sample); p0=$(postfix_cpu_ticks); t0=$(now_ns); times > "$WORK/times.0"
        status=ok; run_source "$mode" "$s" "$N_E2E" "$PF_PORT" "$src" || status="smtp-source failed"
        times > "$WORK/times.1"; t1=$(now_ns)
        t2=$(wait_sink $((base + N_E2E)) "$E2E_TIMEOUT")
        p1=$(postfix_cpu_ticks); c1=$(cpu_sample)
        if [[ "$t2" == timeout* ]]; then
            got=$(( ${t2#timeout:} - base )); status="timeout: $got of $N_E2E delivered"; t2=$(now_ns); n_done=$got
        else
            n_done=$N_E2E
        fi
        r=$(rate "$n_done" $((t2 - t0))); acc=$(rate "$N_E2E" $((t1 - t0))); cpu_ms=$(ms_per_msg $((p1 - p0)) "$N_E2E")
        src_ms=$(source_ms "$WORK/times.0" "$WORK/times.1" "$N_E2E")
        record e2e Postfix "$(setting "$mode" "$s")" "$N_E2E" "$(secs $((t2 - t0)))" "$r" "$acc" "$cpu_ms" "$quiet" "$(busy_pct "$c0" "$c1")" "$status" "$n_done" "$src_ms" ""
        log "    -s $s $mode: $r msg/s end to end ($status); accepted at $acc msg/s meanwhile, Postfix CPU ${cpu_ms} ms/msg"
    done
done
save_postfix_warnings
grep -h -E 'fail|warn|error|exception' -i "$OUT"/sendgate-*.log 2>/dev/null | sort | uniq -c | sort -rn | head -20 > "$OUT/sendgate-warnings.log" || true

# ---- report --------------------------------------------------------------------------------
E=$(best accept SendGate); C=$(best accept Postfix); F=$(best e2e SendGate); D=$(best e2e Postfix)
RA=$(ratio "$E" "$C"); RE=$(ratio "$F" "$D")
# Median CPU per message over the successful runs of a phase and side (column 8).
median_cpu() {
    awk -F'\t' -v p="$1" -v s="$2" 'NR > 1 && $1 == p && $2 == s && $11 == "ok" && $8 != "" { print $8 }' "$RUNS" | sort -g \
        | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

{
    echo
    echo "All runs (rate = messages per second; cpu = server CPU ms per message: SendGate's process, or all Postfix processes;"
    echo "          src = smtp-source CPU ms per message; busy = whole-machine CPU %, before / during the run)"
    printf '%-7s %-9s %-48s %6s %7s %8s %10s %6s %6s %6s %7s  %s\n' phase side setting msgs seconds rate "acc.during" cpu src "RSS MiB" busy status
    awk -F'\t' 'NR > 1 { printf "%-7s %-9s %-48s %6s %7s %8s %10s %6s %6s %6s %7s  %s\n", $1, $2, $3, $4, $5, $6, ($7 == "" ? "-" : $7), $8, $13, ($14 == "" ? "-" : $14), $9 "/" $10, $11 }' "$RUNS"
    echo
    echo "Setting by setting (same smtp-source flags on both sides)"
    awk -F'\t' 'NR > 1 { k = $1 SUBSEP $3; sub(/, Parallelism.*/, "", k); if ($11 != "ok") v = "failed"; else v = $6 + 0;
            if ($2 == "SendGate") sg[k] = v; else pf[k] = v; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
        END { for (i = 1; i <= n; i++) { k = order[i]; split(k, part, SUBSEP);
            r = (sg[k] == "failed" || pf[k] == "failed" || pf[k] + 0 == 0) ? "-" : sprintf("%.2f", sg[k] / pf[k]);
            printf "  %-7s %-36s SendGate %8s  Postfix %8s  ratio %s\n", part[1], part[2], sg[k], pf[k], r } }' "$RUNS"
    echo
    echo "Best of each (msg/s)"
    printf '  (e) SendGate SMTP accept (durable, 250 after commit) %9s\n' "$E"
    printf '  (c) Postfix accept (smtpd, queued on hold)           %9s\n' "$C"
    printf '  (f) SendGate SMTP end to end (-> sink)               %9s\n' "$F"
    printf '  (d) Postfix end to end (-> sink)                     %9s\n' "$D"
    echo
    printf '  accept ratio      (e)/(c) = %s\n' "$RA"
    printf '  end-to-end ratio  (f)/(d) = %s\n' "$RE"
    echo
    echo "CPU per message, median of the successful runs (ms)"
    printf '  SendGate accepting over SMTP %6s   Postfix accepting %6s\n' "$(median_cpu accept SendGate)" "$(median_cpu accept Postfix)"
    printf '  SendGate end to end          %6s   Postfix end to end %5s\n' "$(median_cpu e2e SendGate)" "$(median_cpu e2e Postfix)"
    echo
    echo "Raw numbers: $OUT"
} | tee "$OUT/summary.txt"
printf 'e_sendgate_smtp_accept\t%s\nc_postfix_accept\t%s\nf_sendgate_smtp_e2e\t%s\nd_postfix_e2e\t%s\naccept_ratio\t%s\ne2e_ratio\t%s\n' \
    "$E" "$C" "$F" "$D" "$RA" "$RE" > "$OUT/best.tsv"
