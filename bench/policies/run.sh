#!/usr/bin/env bash
# Large instances: loads APIS APIs (OPS operations each, an API policy with three expressions) through the management
# API of a running Release `tollgate` (gateway and management in one process, SQLite): each API imported from an
# OpenAPI document with its operations (LOAD=import, one request) or created by one PUT per API and operation
# (LOAD=single), then its policy PUT. It
# reports p50/p95 of a single write (an API, operation or policy PUT: its snapshot built and published, the gateway
# applying it) at the start (the writes of the first SAMPLES APIs) and at the end (SAMPLES policy PUTs and SAMPLES
# operation PUTs on random APIs once all are loaded), the whole load's time, and p99 of the time from a new
# operation's PUT returning to its first 200 through the gateway. Then restarts the process on the loaded store and
# reports the gateway's cold start: how long the first snapshot's policies took to compile and build (the gateway's
# debug event 2007), how long until the gateway answered, and the process's RSS then.
# Last, every row's instance is started again side by side and wrk measures throughput on one operation of each,
# interleaved (WRK_CONNECTIONS connections for WRK_SECONDS, WRK_RUNS rounds after a warm-up): the median req/s and the
# median ratio to the first row's in the same round (run APIS="1 5000" to compare with a one-API instance).
# Usage: bash bench/policies/run.sh        Knobs: APIS ["1 5000"] OPS [10] LOAD [import] SAMPLES [50] BUILD [1] BASE_PORT [19280]
#                                          WRK_SECONDS [10] WRK_RUNS [3] WRK_CONNECTIONS [32]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
APIS=${APIS:-1 5000}
OPS=${OPS:-10}
LOAD=${LOAD:-import}
SAMPLES=${SAMPLES:-50}
BASE_PORT=${BASE_PORT:-19280}
WRK_SECONDS=${WRK_SECONDS:-10} WRK_RUNS=${WRK_RUNS:-3} WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
BACKEND_PORT=$((BASE_PORT + 1)) GW_PORT=$((BASE_PORT + 2)) MGMT_PORT=$((BASE_PORT + 3))

WAIT_TRIES=600
source "$REPO/bench/lib.sh"
require_tools curl python3 wrk
build_release
make_workdir policies-bench
cp -r "$TOLLGATE_OUT" "$TMP/bin"
dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$GW_PORT" Tollgate__Gateway__HttpsUrl="" \
    Tollgate__Management__Url="http://127.0.0.1:$MGMT_PORT" Tollgate__Management__HttpsUrl="" \
    Logging__LogLevel__Default=Warning
# The gateway's debug event 2007 (documents compiled, pipelines reused, milliseconds); a name with dots needs env.
DEBUG_LOG=Logging__LogLevel__Tollgate.Gateway.Configuration.SnapshotProxyConfigProvider=Debug

start() { # start DATA_DIR LOG
    (cd "$TMP" && exec env "$DEBUG_LOG" dotnet "$TMP/bin/tollgate.dll" run --roles gateway,management --data-dir "$1") >"$2" 2>&1 &
    PID[tollgate]=$!
    wait_for "http://127.0.0.1:$MGMT_PORT/"
    wait_for "http://127.0.0.1:$GW_PORT/"
}
stop() {
    kill -TERM "${PID[tollgate]}" 2>/dev/null || true
    wait "${PID[tollgate]}" 2>/dev/null || true
    unset 'PID[tollgate]'
}

printf '| APIs × operations | write p50 / p95, first %s APIs (ms) | write p50 / p95, %s PUTs once all are loaded (ms) | load time (s) | new operation routable, p99 (ms) | cold start: policies compiled and built (ms) | cold start: process start to gateway answering (s) | RSS after cold start (MB) | req/s on one operation | ratio to the first row, same round |\n|---|---|---|---|---|---|---|---|---|---|\n' "$SAMPLES" "$((2 * SAMPLES))" >"$TMP/table.md"
ROWS=()
for n in $APIS; do
    data="$TMP/data-$n"
    start "$data" "$TMP/tollgate-$n.log"
    token=$(cd "$TMP" && dotnet "$TMP/bin/tollgate.dll" token --data-dir "$data" | tail -n 1)
    row=$(python3 "$SCRIPT_DIR/load.py" "http://127.0.0.1:$MGMT_PORT" "$token" "$n" "$SAMPLES" "http://127.0.0.1:$BACKEND_PORT" "$OPS" "http://127.0.0.1:$GW_PORT" "$LOAD")
    stop
    # Cold start on the loaded store.
    started=$(date +%s.%N)
    start "$data" "$TMP/restart-$n.log"
    for i in $(seq 1 1200); do
        [[ $(curl -s -o /dev/null -w "%{http_code}" --max-time 2 "http://127.0.0.1:$GW_PORT/api0/op0/1" || true) == 200 ]] && break
        ((i < 1200)) || die "the gateway did not serve api0 after the restart"
        sleep 0.1
    done
    ready=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
    for i in $(seq 1 100); do grep -q 'policy documents' "$TMP/restart-$n.log" && break; sleep 0.2; done
    built=$(sed -n 's/.*compiled \([0-9]*\) of \([0-9]*\) policy documents, reused \([0-9]*\) of \([0-9]*\) pipelines, in \([0-9]*\) ms; loaded \([0-9]*\).*/\5 (\1 compiled, \6 loaded from disk)/p' "$TMP/restart-$n.log" | head -n 1)
    rss=$(awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/${PID[tollgate]}/status")
    stop
    ROWS+=("| $n × $OPS | $row | ${built:-?} | $ready | $rss")
    log "$n APIs done"
done

# Throughput on one operation: every loaded instance side by side (ports BASE_PORT+10·i), wrk interleaved.
rows=($APIS)
for i in "${!rows[@]}"; do
    (cd "$TMP" && exec env Tollgate__Gateway__HttpUrl="http://127.0.0.1:$((BASE_PORT + 10 * (i + 1)))" \
        Tollgate__Management__Url="http://127.0.0.1:$((BASE_PORT + 10 * (i + 1) + 1))" \
        dotnet "$TMP/bin/tollgate.dll" run --roles gateway,management --data-dir "$TMP/data-${rows[$i]}") >"$TMP/wrk-$i.log" 2>&1 &
    PID[wrk$i]=$!
done
for i in "${!rows[@]}"; do
    url="http://127.0.0.1:$((BASE_PORT + 10 * (i + 1)))/api0/op0/1"
    for t in $(seq 1 1200); do
        [[ $(curl -s -o /dev/null -w "%{http_code}" --max-time 2 "$url" || true) == 200 ]] && break
        ((t < 1200)) || die "instance ${rows[$i]} did not serve api0"
        sleep 0.1
    done
    wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "$url" >/dev/null
done
declare -A RPS=()
for r in $(seq 1 "$WRK_RUNS"); do
    for i in "${!rows[@]}"; do
        RPS[$r,$i]=$(wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "http://127.0.0.1:$((BASE_PORT + 10 * (i + 1)))/api0/op0/1" | awk '/Requests\/sec/ { print $2 }')
        log "round $r, ${rows[$i]} APIs: ${RPS[$r,$i]} req/s"
    done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for i in "${!rows[@]}"; do
    rps=$(for r in $(seq 1 "$WRK_RUNS"); do echo "${RPS[$r,$i]}"; done | median)
    ratio=$(for r in $(seq 1 "$WRK_RUNS"); do python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "${RPS[$r,$i]}" "${RPS[$r,0]}"; done | median)
    printf '%s | %.0f | %.3f |\n' "${ROWS[$i]}" "$rps" "$ratio" >>"$TMP/table.md"
done
cat "$TMP/table.md"
