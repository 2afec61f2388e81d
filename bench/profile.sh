#!/usr/bin/env bash
# Where SendGate's CPU goes while accepting (see bench/README.md, "Where the CPU of an accepted message goes").
#
# Starts the API host as bench/run.sh does for its accept phase (delivery off, no rules), warms it
# up, then samples its stacks with dotnet-trace (the cpu-sampling profile) while hey posts ~5 KB
# JSON messages for SECONDS_LOADED seconds, and prints the methods that were on the stack longest, inclusive and exclusive
# (`dotnet-trace report topN`). The .nettrace file stays in bench/results/<timestamp>/ for PerfView
# or speedscope (`dotnet-trace convert --format Speedscope`).
#
# Needs root only to install hey; dotnet-trace is a .NET tool (installed for this user when missing).
set -euo pipefail

SECONDS_LOADED=${SECONDS_LOADED:-15}
WARMUP=${WARMUP:-6400}
CONCURRENCY=${CONCURRENCY:-64}
TOP=${TOP:-40}
TRACE=${TRACE:-"collect-linux --profile cpu-sampling"}
TRACE_VERSION=${TRACE_VERSION:-10.0.750501}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"
command -v hey >/dev/null || install_missing hey
export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-trace >/dev/null || dotnet tool install -g dotnet-trace --version "$TRACE_VERSION" >&2
require_free_ports "$SG_PORT"

start_results "settings: SECONDS_LOADED=$SECONDS_LOADED WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY"
build_sendgate
make_work

BODY=$WORK/body.json
awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" 'BEGIN {
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
    text = ""; bytes = 0;
    while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
    printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"bench\",\"text\":\"%s\"}", from, rcpt, text }' > "$BODY"
post() { hey -n "$1" -c "$CONCURRENCY" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$BODY" "$SG_URL/v1/messages" > "$2" 2>&1 || true; }

start_sendgate profile false
post "$(round_down "$WARMUP" "$CONCURRENCY")" "$WORK/warm.txt"
# dotnet-trace stops by itself after SECONDS (a signal does not reach a background job of a script);
# hey posts for the same time, so the sampled window is load only.
# collect-linux samples on-CPU stacks through perf_events (root, .NET 10); collect's thread-time
# profile samples every thread, waiting ones too (TRACE="collect --profile dotnet-sampled-thread-time").
# shellcheck disable=SC2086
dotnet-trace $TRACE -p "$SG_PID" --duration "00:00:00:$SECONDS_LOADED" -o "$OUT/accept.nettrace" > "$OUT/trace.log" 2>&1 &
TRACE_PID=$!
sleep 1   # the session is set up before the load starts
p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns)
hey -z "${SECONDS_LOADED}s" -c "$CONCURRENCY" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$BODY" "$SG_URL/v1/messages" > "$OUT/hey.txt" 2>&1 || true
t1=$(now_ns); p1=$(proc_cpu_ticks "$SG_PID")
wait "$TRACE_PID" 2>/dev/null || true
n=$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$OUT/hey.txt"); n=${n:-0}
stop_sendgate profile
log "accepted $n (202) in $(secs $((t1 - t0))) s: $(rate "$n" $((t1 - t0))) msg/s, $(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.0f", 1e6 * d / hz / n }') µs CPU per message (under the profiler)"
{
    echo "== inclusive (on the stack), top $TOP"
    dotnet-trace report "$OUT/accept.nettrace" topN -n "$TOP" --inclusive 2>&1 || true
    echo
    echo "== exclusive (at the top of the stack), top $TOP"
    dotnet-trace report "$OUT/accept.nettrace" topN -n "$TOP" 2>&1 || true
} | tee "$OUT/top.txt"
