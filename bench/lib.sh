# Helpers shared by bench/run.sh and bench/smtp.sh (see bench/README.md); sourced, not run.
#
# The sourcing script sets `set -euo pipefail` and its own knobs first; this file adds the knobs
# both share, the clean-up trap (it stops only what the script started, by PID), the quiet-machine
# check, the results directory, the SendGate host, the smtp-sink and the private Postfix instance.
# Everything listens on 127.0.0.1 only; /etc/postfix is never changed.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RESULTS_ROOT=${RESULTS_DIR:-$BENCH_DIR/results}

# ---- knobs both scripts share (environment) ------------------------------------------------
MSG_BYTES=${MSG_BYTES:-5000}            # text size (SendGate JSON) and smtp-source -l
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
KEEP_WORK=${KEEP_WORK:-0}

SG_DLL=$REPO/api/SendGate.Api/bin/Release/net10.0/SendGate.Api.dll
API_KEY="bench_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
FROM=bench@example.com
RCPT=rcpt@example.net
SG_URL=http://127.0.0.1:$SG_PORT

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
require_root_and_dotnet() {
    [ "$(id -u)" = 0 ] || die "run as root (Postfix and apt-get need it)"
    command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"
}

install_missing() {  # package... (postfix stands for postfix, smtp-sink and smtp-source)
    local pkgs=() p
    for p in "$@"; do
        case $p in
            postfix) { command -v postfix && command -v smtp-sink && command -v smtp-source; } >/dev/null || pkgs+=(postfix) ;;
            *) command -v "$p" >/dev/null || pkgs+=("$p") ;;
        esac
    done
    [ ${#pkgs[@]} -gt 0 ] || return 0
    log "installing ${pkgs[*]} with apt-get"
    # Postfix without any system-wide configuration: these scripts only run a private instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; } \
        || die "apt-get install ${pkgs[*]} failed"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_ports() {  # port...
    local p
    for p in "$@"; do
        port_in_use "$p" && die "port $p on 127.0.0.1 is in use; set SG_PORT / PF_PORT / SINK_PORT (/ SG_SMTP_PORT)"
    done
    return 0
}

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
ms_per_msg() { awk -v d="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? 1000 * d / hz / n : 0) }'; }  # ticks messages

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

# Best rate among the successful runs of runs.tsv (column 1 phase, 2 side, 6 rate, 11 status).
best() {  # phase side
    awk -F'\t' -v p="$1" -v s="$2" 'NR > 1 && $1 == p && $2 == s && $11 == "ok" && $6 + 0 > m { m = $6 + 0 } END { printf "%.1f", m + 0 }' "$RUNS"
}

ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", (y > 0 ? x / y : 0) }'; }

# ---- results -------------------------------------------------------------------------------
# Creates bench/results/<timestamp>/ (OUT) and its machine.txt; the settings lines are the caller's.
start_results() {  # settings-line...
    STAMP=$(date +%Y%m%d-%H%M%S)
    OUT=$RESULTS_ROOT/$STAMP
    mkdir -p "$OUT"
    RUNS=$OUT/runs.tsv
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "nproc: $(nproc)"
        echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
        echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
        echo "kernel: $(uname -r)"
        echo "filesystem (queue + database): $(df -T /tmp | awk 'NR == 2 { print $1, $2 }')"
        echo "dotnet: $(dotnet --version)"
        echo "postfix: $(dpkg-query -W -f '${Version}' postfix 2>/dev/null)"
        echo "hey: $(dpkg-query -W -f '${Version}' hey 2>/dev/null)"
        echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) ($(git -C "$REPO" rev-parse --abbrev-ref HEAD 2>/dev/null))"
        local line
        for line in "$@"; do echo "$line"; done
    } > "$OUT/machine.txt"
    cat "$OUT/machine.txt" >&2
}
record() { local IFS=$'\t'; echo "$*" >> "$RUNS"; }

# ---- build and workspace -------------------------------------------------------------------
build_sendgate() {
    if [ "$SKIP_BUILD" != 1 ] || [ ! -f "$SG_DLL" ]; then
        log "building SendGate (Release)"
        dotnet build -c Release "$REPO/api/SendGate.Api" -nologo -v q > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "build failed"; }
    fi
}

make_work() {
    WORK=$(mktemp -d /tmp/sendgate-bench.XXXXXX)
    chmod 755 "$WORK"   # Postfix daemons (user postfix) work below it
}

# ---- the SMTP sink (final destination for both sides) --------------------------------------
start_sink() {
    smtp-sink -u postfix -c "127.0.0.1:$SINK_PORT" 256 > "$WORK/sink.out" 2> "$WORK/sink.err" &
    SINK_PID=$!
    wait_port "$SINK_PORT" 10 || die "smtp-sink did not start: $(cat "$WORK/sink.err")"
}

# ---- SendGate ------------------------------------------------------------------------------
start_sendgate() {  # label in_process_worker [VAR=VALUE...]
    local dir=$WORK/sg-$1 i worker=$2
    shift 2
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
        SendGate__Worker__InProcess="$worker" \
        SendGate__Policy__InitialPolicy=empty \
        SendGate__RateLimits__SubmitPerKey__PermitLimit=0 SendGate__RateLimits__SubmitPerTenant__PermitLimit=0 \
        Logging__LogLevel__Default=Warning \
        "$@" \
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

# ---- Postfix (private instance) ------------------------------------------------------------
PF=""; PFCONF=""

setup_postfix() {
    PF=$WORK/postfix
    PFCONF=$PF/conf
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

# CPU ticks of every process in the Postfix master's session (master, smtpd, cleanup, qmgr, smtp,
# ...), those it has reaped included: the difference over a run is what Postfix spent on it.
postfix_cpu_ticks() {
    local sid
    sid=$(awk '{ sub(/^.*\) /, ""); print $4 }' "/proc/$PF_MASTER_PID/stat" 2>/dev/null) || { echo 0; return; }
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$sid" '{ sub(/^.*\) /, "") } $4 == sid { t += $12 + $13 + $14 + $15 } END { print t + 0 }'
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

run_source() {  # mode sessions n [port] [log] -> 0 on success (smtp-source stops at the first reply that is not 2xx/3xx)
    local flags=()
    [ "$1" = reuse ] && flags+=(-d)
    smtp-source "${flags[@]}" -s "$2" -m "$3" -l "$MSG_BYTES" -f "$FROM" -t "$RCPT" "127.0.0.1:${4:-$PF_PORT}" >> "${5:-$WORK/source.log}" 2>&1
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

save_postfix_warnings() {
    grep -E 'warning|fatal|error' "$PF/maillog" | grep -v 'file system clock\|resetting file time stamps' | tail -20 > "$OUT/postfix-warnings.log" || true
}
