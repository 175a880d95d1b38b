#!/usr/bin/env bash
# Cluster benchmark: one, two and three gateways behind nginx, on the topology of scripts/cluster.sh (started by
# it: two management nodes on PostgreSQL, three gateways on Redis with the request log on, nginx), against the
# minimal backend (bench/gateway/Backend). The Studio nodes and Azurite are stopped first: they take no part.
#   - throughput: wrk through nginx balancing 1, 2 or 3 gateways (the configurations interleaved, REPS repetitions,
#     medians), with CPU per request from /proc/<pid>/stat (utime+stime) of the gateways, nginx and management
#   - config propagation: CHANGES changes written to management node 1, each timed until all three gateways serve
#     it (bench/cluster/propagation.py); p50/p99
# Method and results: bench/README.md. Usage: bash bench/cluster/run.sh
#
# Environment knobs (defaults in brackets):
#   REPS [3]  DURATION [10s]  WARMUP [10s]  CONNECTIONS [64]  THREADS [2]  CHANGES [100]
#   BUILD [1]          0 = use the existing Release builds (bench/gateway/Backend and src/Tollgate)
#   BASE_PORT [17100]  the cluster's ports (scripts/cluster.sh's table from BASE_PORT) and BASE_PORT+50 .. +56
#   RESULTS_DIR [<repo>/bench/results]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

REPS=${REPS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
CHANGES=${CHANGES:-100}
BASE_PORT=${BASE_PORT:-17100}
RESULTS_DIR=${RESULTS_DIR:-$REPO/bench/results}
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer (got '$REPS')"

require_tools wrk nginx curl redis-server python3
export PATH="$PATH:/usr/sbin"
build_release
[[ -f "$TOLLGATE_OUT/tollgate.dll" && -f "$BACKEND_DLL" ]] || die "Release builds missing (run without BUILD=0)"

make_workdir cluster-bench
# PostgreSQL runs as the postgres user under root: it must traverse the work folder to its own.
chmod 0711 "$TMP"
export TOLLGATE_CLUSTER_DIR="$TMP/cluster" TOLLGATE_CLUSTER_PORT="$BASE_PORT" TOLLGATE_CLUSTER_APP="$TOLLGATE_OUT"
cluster_cleanup() {
    local rc=$?
    BUILD=0 "$REPO/scripts/cluster.sh" down >/dev/null 2>&1 || true
    (exit "$rc")
    bench_cleanup
}
trap cluster_cleanup EXIT

CLK_TCK=$(getconf CLK_TCK)
GATEWAY_PORTS=($((BASE_PORT + 31)) $((BASE_PORT + 32)) $((BASE_PORT + 33)))
MANAGEMENT_PORTS=($((BASE_PORT + 21)) $((BASE_PORT + 22)))
BACKEND_PORT=$((BASE_PORT + 50))
SERVICE=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tollgate/providers/Microsoft.ApiManagement/service/demoazureml

log "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
log "starting the cluster (scripts/cluster.sh up)"
BUILD=0 "$REPO/scripts/cluster.sh" up >"$TMP/cluster-up.log" 2>&1 || { tail -n 30 "$TMP/cluster-up.log" >&2; die "scripts/cluster.sh up failed"; }
pids_of() { cat "$TOLLGATE_CLUSTER_DIR/pids/$1.pid"; }
for name in studio1 studio2 azurite; do
    kill -TERM "$(pids_of "$name")" 2>/dev/null || true
done
TOKEN=$(cat "$TOLLGATE_CLUSTER_DIR/token")

log "backend on 127.0.0.1:$BACKEND_PORT"
dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
wait_for "http://127.0.0.1:$BACKEND_PORT/"

# The API the load calls, in the tutorial's instance: GET /bench-echo/hello with a subscription key.
management="http://127.0.0.1:${MANAGEMENT_PORTS[0]}"
put() {
    curl -sf -X PUT -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d "$2" \
        "$management$SERVICE$1?api-version=2022-08-01" >/dev/null || die "PUT $1 failed"
}
put /apis/bench-echo "{\"properties\":{\"displayName\":\"Bench\",\"path\":\"bench-echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}"
put /apis/bench-echo/operations/get '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/hello"}}'
put /subscriptions/bench '{"properties":{"scope":"/apis/bench-echo","displayName":"bench","state":"active"}}'
KEY=$(curl -sf -X POST -H "Authorization: $TOKEN" -H 'Content-Length: 0' "$management$SERVICE/subscriptions/bench/listSecrets?api-version=2022-08-01" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["primaryKey"])')

# nginx in front of 1 and 2 gateways (the cluster's own nginx has the 3), rendered from the same template.
declare -A NGINX_PORT=([3]=$((BASE_PORT + 10)))
declare -A NGINX_PIDS=()
for n in 1 2; do
    dir="$TMP/nginx$n"
    mkdir -p "$dir"
    port=$((BASE_PORT + 50 + 3 * n - 2))
    NGINX_PORT[$n]=$port
    gateways=$(IFS=,; echo "${GATEWAY_PORTS[*]:0:n}")
    managers=$(IFS=,; echo "${MANAGEMENT_PORTS[*]}")
    python3 "$REPO/scripts/lib/render_nginx.py" "$REPO/deploy/nginx/loopback.conf.template" "$dir/nginx.conf" "$dir" \
        "$port" "$((port + 1))" "$((port + 2))" "$gateways" "$managers" ""
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" || die "nginx ($n gateways) did not start"
    PID[nginx$n]=$(cat "$dir/nginx.pid")
done
NGINX_PIDS[3]=$(pids_of nginx)
NGINX_PIDS[1]=${PID[nginx1]}
NGINX_PIDS[2]=${PID[nginx2]}

for n in 1 2 3; do
    url="http://127.0.0.1:${NGINX_PORT[$n]}/bench-echo/hello"
    for _ in $(seq 1 150); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Ocp-Apim-Subscription-Key: $KEY" "$url") == 200 ]] && break
        sleep 0.2
    done
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Ocp-Apim-Subscription-Key: $KEY" "$url") == 200 ]] || die "$url does not answer 200"
done

# cpu_ticks PID...: utime+stime of the processes (an nginx master's workers included).
cpu_ticks() {
    local p total=0 rest
    for p in "$@"; do
        rest=$(cat "/proc/$p/stat") || die "process $p is gone"
        rest=${rest##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}
with_children() { local p; for p in "$@"; do echo "$p"; pgrep -P "$p" || true; done; }

GATEWAY_PIDS=("$(pids_of gateway1)" "$(pids_of gateway2)" "$(pids_of gateway3)")
MANAGEMENT_PIDS=("$(pids_of management1)" "$(pids_of management2)")

# run N DURATION: wrk through the nginx of N gateways; prints "rps p50_ms p99_ms gateway_us nginx_us management_us".
run() {
    local n=$1 d=$2 gw ng mg before_gw before_ng before_mg out requests rps p50 p99
    gw=("${GATEWAY_PIDS[@]:0:n}")
    mapfile -t ng < <(with_children "${NGINX_PIDS[$n]}")
    mg=("${MANAGEMENT_PIDS[@]}")
    before_gw=$(cpu_ticks "${gw[@]}"); before_ng=$(cpu_ticks "${ng[@]}"); before_mg=$(cpu_ticks "${mg[@]}")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$d" --latency -H "Ocp-Apim-Subscription-Key: $KEY" "http://127.0.0.1:${NGINX_PORT[$n]}/bench-echo/hello")
    gw_ticks=$(($(cpu_ticks "${gw[@]}") - before_gw)); ng_ticks=$(($(cpu_ticks "${ng[@]}") - before_ng)); mg_ticks=$(($(cpu_ticks "${mg[@]}") - before_mg))
    if grep -q 'Non-2xx' <<<"$out"; then die "wrk saw non-2xx answers through $n gateways: $out"; fi
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    python3 - "$requests" "$rps" "$p50" "$p99" "$gw_ticks" "$ng_ticks" "$mg_ticks" "$CLK_TCK" <<'PY'
import sys
requests, rps, p50, p99, gw, ng, mg, hz = sys.argv[1:9]
def ms(v):
    for unit, f in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
us = lambda ticks: int(ticks) * 1e6 / int(hz) / int(requests)
print(f"{float(rps):.0f} {ms(p50):.2f} {ms(p99):.2f} {us(gw):.1f} {us(ng):.1f} {us(mg):.1f}")
PY
}

for n in 1 2 3; do
    log "warming up through $n gateway(s) ($WARMUP)"
    run "$n" "$WARMUP" >/dev/null
done
declare -A RESULTS=()
for rep in $(seq 1 "$REPS"); do
    for n in 1 2 3; do
        RESULTS[$n]+="$(run "$n" "$DURATION")"$'\n'
        log "rep $rep, $n gateway(s): $(tail -n 1 <<<"${RESULTS[$n]%$'\n'}")"
    done
done

log "config propagation: $CHANGES changes through management node 1, until all three gateways serve each"
gateway_urls=()
for p in "${GATEWAY_PORTS[@]}"; do gateway_urls+=("http://127.0.0.1:$p"); done
read -r prop50 prop99 propmax < <(python3 "$SCRIPT_DIR/propagation.py" "$management" "$SERVICE" "$TOKEN" bench-echo bench-echo "$KEY" "$CHANGES" "${gateway_urls[@]}")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$RESULTS_DIR"
report="$RESULTS_DIR/cluster-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "Cluster benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, REPS=$REPS DURATION=$DURATION CONNECTIONS=$CONNECTIONS; load average after: $load_after"
    echo
    echo "| gateways behind nginx | req/s | p50 ms | p99 ms | gateway CPU µs/req | nginx CPU µs/req | management CPU µs/req | total µs/req |"
    echo "|---|---|---|---|---|---|---|---|"
    for n in 1 2 3; do
        python3 - "$n" <<PY
import statistics, sys
rows = [list(map(float, l.split())) for l in """${RESULTS[$n]}""".strip().splitlines()]
med = [statistics.median(c) for c in zip(*rows)]
print(f"| {sys.argv[1]} | {med[0]:.0f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:.1f} | {med[4]:.1f} | {med[5]:.1f} | {med[3] + med[4] + med[5]:.1f} |")
PY
    done
    echo
    echo "Config propagation (a change through management node 1 until all three gateways serve it, $CHANGES changes): p50 $prop50 ms, p99 $prop99 ms, max $propmax ms"
    echo
    echo "Raw (req/s p50 p99 gateway nginx management per repetition):"
    for n in 1 2 3; do printf '%s gateway(s):\n%s' "$n" "${RESULTS[$n]}"; done
} | tee "$report"
log "saved $report"
