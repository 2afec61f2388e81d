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
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RESULTS_ROOT=${RESULTS_DIR:-$BENCH_DIR/results}

# ---- knobs (environment) -------------------------------------------------------------------
N_ACCEPT=${N_ACCEPT:-20480}             # messages per accept measurement (>= ~10 s per run for both sides)
N_E2E=${N_E2E:-10240}                   # messages per end-to-end measurement
SG_CONCURRENCY=${SG_CONCURRENCY:-"16 32 64"}   # hey -c levels
PF_SESSIONS=${PF_SESSIONS:-"16 32 64"}         # smtp-source -s levels
PF_MODES=${PF_MODES:-"reuse new"}       # reuse: smtp-source -d (keep the session, like HTTP keep-alive); new: one session per message
SG_WARMUP=${SG_WARMUP:-6400}            # requests before each accept measurement (JIT tiering settles after ~6-8 s)
E2E_WARMUP=${E2E_WARMUP:-640}           # messages sent and delivered before each end-to-end measurement
PF_WARMUP=${PF_WARMUP:-640}
MSG_BYTES=${MSG_BYTES:-5000}            # text size (SendGate) and smtp-source -l (Postfix)
SG_PARALLELISM=${SG_PARALLELISM:-8}
SG_BATCH=${SG_BATCH:-200}
SG_PIPELINING=${SG_PIPELINING:-true}
SG_POLL=${SG_POLL:-00:00:00.200}
E2E_TIMEOUT=${E2E_TIMEOUT:-240}         # seconds to wait for the sink to see all messages
QUIET_MAX=${QUIET_MAX:-30}              # % CPU busy (whole machine) considered quiet before a run
QUIET_WAIT=${QUIET_WAIT:-20}            # seconds to wait for quiet before running anyway
SG_PORT=${SG_PORT:-18080}
PF_PORT=${PF_PORT:-12525}
SINK_PORT=${SINK_PORT:-12526}
SKIP_BUILD=${SKIP_BUILD:-0}
PROBE=${PROBE:-1}                       # 1: also run the SMTP lane probe (bench/SendGate.Bench) against the sink
PROBE_MESSAGES=${PROBE_MESSAGES:-1600}
PROBE_LANES=${PROBE_LANES:-8}
KEEP_WORK=${KEEP_WORK:-0}

SG_DLL=$REPO/api/SendGate.Api/bin/Release/net10.0/SendGate.Api.dll
PROBE_DLL=$REPO/bench/SendGate.Bench/bin/Release/net10.0/SendGate.Bench.dll
API_KEY="bench_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
FROM=bench@example.com
RCPT=rcpt@example.net

SG_PID=""; SINK_PID=""; PF_WRAPPER_PID=""; PF_MASTER_PID=""; WORK=""

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- clean-up: only what this script started, by PID ---------------------------------------
stop_pid() {  # pid [seconds]
    local pid=$1 t=${2:-15} i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < t * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    set +e
    stop_pid "$SG_PID"; SG_PID=""
    if [ -n "$PF_MASTER_PID" ]; then stop_pid "$PF_MASTER_PID" 20; PF_MASTER_PID=""; fi
    stop_pid "$PF_WRAPPER_PID" 5; PF_WRAPPER_PID=""
    stop_pid "$SINK_PID"; SINK_PID=""
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "$KEEP_WORK" = 1 ]; then log "kept work directory $WORK"; else rm -rf "$WORK"; fi
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (Postfix and apt-get need it)"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"

install_missing() {
    local pkgs=()
    command -v hey >/dev/null || pkgs+=(hey)
    { command -v postfix && command -v smtp-sink && command -v smtp-source; } >/dev/null || pkgs+=(postfix)
    command -v curl >/dev/null || pkgs+=(curl)
    [ ${#pkgs[@]} -gt 0 ] || return 0
    log "installing ${pkgs[*]} with apt-get"
    # Postfix without any system-wide configuration: this script only runs a private instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; } \
        || die "apt-get install ${pkgs[*]} failed"
}
install_missing

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$SG_PORT" "$PF_PORT" "$SINK_PORT"; do
    port_in_use "$p" && die "port $p on 127.0.0.1 is in use; set SG_PORT / PF_PORT / SINK_PORT"
done

wait_port() {  # port seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do port_in_use "$1" && return 0; sleep 0.1; done
    return 1
}

# ---- measurement helpers -------------------------------------------------------------------
now_ns() { date +%s%N; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.1f", n / (ns / 1e9) }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat; }
busy_pct() {  # "total idle" "total idle"
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; i = y[2] - x[2];
        printf "%.0f", (t > 0 ? 100 * (t - i) / t : 0) }'
}
CLK_TCK=$(getconf CLK_TCK)
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Waits until the machine is quiet (other work would skew the run); echoes the busy % last seen.
wait_quiet() {
    local start b a busy
    start=$(date +%s)
    while :; do
        b=$(cpu_sample); sleep 1; a=$(cpu_sample)
        busy=$(busy_pct "$b" "$a")
        if [ "$busy" -le "$QUIET_MAX" ] || [ $(($(date +%s) - start)) -ge "$QUIET_WAIT" ]; then break; fi
    done
    [ "$busy" -le "$QUIET_MAX" ] || log "machine still ${busy}% busy after ${QUIET_WAIT}s; measuring anyway (see busy columns)"
    echo "$busy"
}

sink_count() {
    local c
    c=$(tail -c 256 "$WORK/sink.out" 2>/dev/null | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -n 1 | cut -d= -f2 || true)
    echo "${c:-0}"
}

# Waits until the sink has counted $1 messages; echoes the time (ns) it did, or "timeout:<count>".
wait_sink() {  # target timeout_seconds
    local deadline c
    deadline=$(($(date +%s) + $2))
    while :; do
        c=$(sink_count)
        if [ "$c" -ge "$1" ]; then now_ns; return 0; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "timeout:$c"; return 0; fi
        sleep 0.05
    done
}

round_down() { echo $(($1 / $2 * $2)); }  # hey sends n/c requests per worker

# ---- results -------------------------------------------------------------------------------
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$RESULTS_ROOT/$STAMP
mkdir -p "$OUT"
RUNS=$OUT/runs.tsv
printf 'phase\tside\tsetting\tmessages\tseconds\trate_msg_s\taccept_rate_during_e2e\tsg_cpu_ms_per_msg\tbusy_before_pct\tbusy_during_pct\tstatus\n' > "$RUNS"
record() { local IFS=$'\t'; echo "$*" >> "$RUNS"; }

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel: $(uname -r)"
    echo "filesystem (queue + database): $(df -T /tmp | awk 'NR == 2 { print $1, $2 }')"
    echo "dotnet: $(dotnet --version)"
    echo "postfix: $(dpkg-query -W -f '${Version}' postfix 2>/dev/null)"
    echo "hey: $(dpkg-query -W -f '${Version}' hey 2>/dev/null)"
    echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) ($(git -C "$REPO" rev-parse --abbrev-ref HEAD 2>/dev/null))"
    echo "settings: N_ACCEPT=$N_ACCEPT N_E2E=$N_E2E SG_CONCURRENCY='$SG_CONCURRENCY' PF_SESSIONS='$PF_SESSIONS' PF_MODES='$PF_MODES'"
    echo "          SG_PARALLELISM=$SG_PARALLELISM SG_BATCH=$SG_BATCH SG_PIPELINING=$SG_PIPELINING SG_POLL=$SG_POLL MSG_BYTES=$MSG_BYTES"
    echo "          SG_WARMUP=$SG_WARMUP E2E_WARMUP=$E2E_WARMUP PF_WARMUP=$PF_WARMUP"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ---- build and workspace -------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ] || [ ! -f "$SG_DLL" ]; then
    log "building SendGate (Release)"
    dotnet build -c Release "$REPO/api/SendGate.Api" -nologo -v q > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "build failed"; }
fi
if [ "$PROBE" = 1 ] && { [ "$SKIP_BUILD" != 1 ] || [ ! -f "$PROBE_DLL" ]; }; then
    dotnet build -c Release "$REPO/bench/SendGate.Bench" -nologo -v q >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "probe build failed"; }
fi

WORK=$(mktemp -d /tmp/sendgate-bench.XXXXXX)
chmod 755 "$WORK"   # Postfix daemons (user postfix) work below it

BODY=$WORK/body.json
# ~5 KB of plain ASCII text in 77-character lines, the same size smtp-source sends (-l).
awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" 'BEGIN {
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
    text = ""; bytes = 0;   # bytes = decoded size (each "\\n" escape is one byte)
    while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
    text = text substr(line, 1, size - bytes);
    printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"bench\",\"text\":\"%s\"}", from, rcpt, text }' > "$BODY"

# ---- the SMTP sink (final destination for both sides) --------------------------------------
smtp-sink -u postfix -c "127.0.0.1:$SINK_PORT" 256 > "$WORK/sink.out" 2> "$WORK/sink.err" &
SINK_PID=$!
wait_port "$SINK_PORT" 10 || die "smtp-sink did not start: $(cat "$WORK/sink.err")"

# ---- SendGate ------------------------------------------------------------------------------
SG_URL=http://127.0.0.1:$SG_PORT

start_sendgate() {  # label in_process_worker
    local dir=$WORK/sg-$1 i
    # No policy rules: Postfix holds nothing back either, so both sides measure the queue alone
    # (policy evaluation has its own benchmark: SendGate.Bench policy).
    # The database lives outside the working directory: the host watches its content root
    # (the working directory) for configuration changes, and every database write would wake it.
    mkdir -p "$dir/cwd" "$dir/data"
    (cd "$dir/cwd" && exec env \
        SendGate__Bootstrap__ApiKey="$API_KEY" \
        SendGate__Database__ConnectionString="Data Source=$dir/data/sendgate.db" \
        SendGate__Archive__BlobFolder="$dir/data/blobs" \
        SendGate__Delivery__Mode=Smtp \
        SendGate__Smtp__Host=127.0.0.1 \
        SendGate__Smtp__Port="$SINK_PORT" \
        SendGate__Smtp__Security=None \
        SendGate__Smtp__Pipelining="$SG_PIPELINING" \
        SendGate__Delivery__Parallelism="$SG_PARALLELISM" \
        SendGate__Delivery__BatchSize="$SG_BATCH" \
        SendGate__Worker__PollInterval="$SG_POLL" \
        SendGate__Worker__InProcess="$2" \
        SendGate__Policy__InitialPolicy=empty \
        SendGate__RateLimits__SubmitPerKey__PermitLimit=0 SendGate__RateLimits__SubmitPerTenant__PermitLimit=0 \
        Logging__LogLevel__Default=Warning \
        dotnet "$SG_DLL" --urls "$SG_URL") > "$dir/sendgate.log" 2>&1 &
    SG_PID=$!
    for ((i = 0; i < 600; i++)); do
        kill -0 "$SG_PID" 2>/dev/null || { tail -20 "$dir/sendgate.log" >&2; die "SendGate exited during start-up"; }
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$SG_URL/health/ready" || true)" = 200 ] && return 0
        sleep 0.1
    done
    die "SendGate not ready after 60 s"
}

stop_sendgate() {  # label
    stop_pid "$SG_PID"; SG_PID=""
    cp "$WORK/sg-$1/sendgate.log" "$OUT/sendgate-$1.log" 2>/dev/null || true
    rm -rf "$WORK/sg-$1"
}

run_hey() {  # n c outfile  -> 0 if every response was 202
    hey -n "$1" -c "$2" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$BODY" \
        "$SG_URL/v1/messages" > "$3" 2>&1 || true
    # Only the status-code line: a latency histogram bucket can also read "[202]".
    [ "$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$3")" = "$1" ]
}

# ---- Postfix (private instance) ------------------------------------------------------------
PF=$WORK/postfix
PFCONF=$PF/conf

setup_postfix() {
    local master_cf=/etc/postfix/master.cf
    [ -f "$master_cf" ] || master_cf=/etc/postfix/master.cf.proto
    [ -f "$master_cf" ] || master_cf=/usr/share/postfix/master.cf.dist
    mkdir -p "$PFCONF" "$PF/data" "$PF/queue"
    cp "$master_cf" "$PFCONF/master.cf"
    : > "$PFCONF/main.cf"
    postconf -c "$PFCONF" -e \
        "compatibility_level = 3.6" \
        "queue_directory = $PF/queue" \
        "data_directory = $PF/data" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "myhostname = bench.localdomain" \
        "mydestination =" \
        "mynetworks = 127.0.0.0/8" \
        "relayhost = [127.0.0.1]:$SINK_PORT" \
        "default_transport = smtp" \
        "smtp_tls_security_level = none" \
        "smtpd_tls_security_level = none" \
        "alias_maps =" "alias_database =" "local_recipient_maps =" "biff = no" \
        "maillog_file = /dev/stdout"
    postconf -c "$PFCONF" -F '*/*/chroot = n'
    # smtpd on 127.0.0.1:PF_PORT instead of port 25.
    sed -i -E "s/^smtp( +)inet/127.0.0.1:$PF_PORT\1inet/" "$PFCONF/master.cf"
    chown postfix "$PF/data"
    postfix -c "$PFCONF" check > "$PF/check.log" 2>&1 || { cat "$PF/check.log" >&2; die "postfix check failed"; }
    setsid postfix -c "$PFCONF" start-fg > "$PF/maillog" 2>&1 &
    PF_WRAPPER_PID=$!
    wait_port "$PF_PORT" 30 || { tail -20 "$PF/maillog" >&2; die "Postfix did not start"; }
    PF_MASTER_PID=$(tr -d ' \n' < "$PF/queue/pid/master.pid")
}

postfix_hold() {  # on|off: on = every accepted message goes to the hold queue (no delivery)
    if [ "$1" = on ]; then
        postconf -c "$PFCONF" -e "smtpd_client_restrictions = check_client_access static:HOLD"
    else
        postconf -c "$PFCONF" -X smtpd_client_restrictions
    fi
    postfix -c "$PFCONF" reload >/dev/null 2>&1
    sleep 1
}

queue_files() { find "$PF/queue/$1" -type f 2>/dev/null | wc -l; }
purge_hold() { postsuper -c "$PFCONF" -d ALL hold >/dev/null 2>&1 || true; }

run_source() {  # mode sessions n -> 0 on success
    local flags=()
    [ "$1" = reuse ] && flags+=(-d)
    smtp-source "${flags[@]}" -s "$2" -m "$3" -l "$MSG_BYTES" -f "$FROM" -t "$RCPT" "127.0.0.1:$PF_PORT" >> "$WORK/source.log" 2>&1
}

wait_postfix_idle() {  # no message left in incoming/active/deferred, sink count stable
    local i c prev=-1
    for ((i = 0; i < 600; i++)); do
        c=$(sink_count)
        if [ "$(queue_files incoming)" = 0 ] && [ "$(queue_files active)" = 0 ] && [ "$(queue_files deferred)" = 0 ] && [ "$c" = "$prev" ]; then
            return 0
        fi
        prev=$c; sleep 0.2
    done
    log "Postfix queue did not drain"
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

grep -E 'warning|fatal|error' "$PF/maillog" | grep -v 'file system clock\|resetting file time stamps' | tail -20 > "$OUT/postfix-warnings.log" || true

# ---- report --------------------------------------------------------------------------------
best() {  # phase side -> best rate among successful runs
    awk -F'\t' -v p="$1" -v s="$2" 'NR > 1 && $1 == p && $2 == s && $11 == "ok" && $6 + 0 > m { m = $6 + 0 } END { printf "%.1f", m + 0 }' "$RUNS"
}
A=$(best accept SendGate); C=$(best accept Postfix); B=$(best e2e SendGate); D=$(best e2e Postfix)
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", (y > 0 ? x / y : 0) }'; }
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
