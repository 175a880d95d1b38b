#!/usr/bin/env bash
# Where a proxied call's CPU goes: perf (cpu-clock, call graphs) on one Tollgate gateway under wrk, each sample
# attributed to the nearest component frame from the leaf up (kernel time under a component counts for it), printed
# as µs of CPU per request. Compare two builds by running it for each:
#   bash bench/gateway/profile.sh [BIN_DIR]          BIN_DIR: a Tollgate build output [src/Tollgate/bin/Release/net10.0]
# Knobs: POLICY [starter|none] ANALYTICS [true] PROFILE_SECONDS [10] CONNECTIONS [64] BASE_PORT [19600]
#        TARGET [tollgate|yarp|yarp-direct]: yarp profiles bench/gateway/BareYarp instead (yarp-direct: its direct forwarding), the same way (the baseline's own breakdown)
#        KEEP [dir]: copy perf's folded text (perf.txt) and wrk's output there, to compare two profiles symbol by symbol
# The configuration is bench/gateway's tollgate-full but with in-process counters (a Redis process would be a second
# process to profile): key check, the Starter policy, the request log, metrics.
# JIT'd code is symbolized through DOTNET_PerfMapEnabled=1 with W^X off and ReadyToRun off (everything JIT'd).
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
BIN=${1:-$REPO/src/Tollgate/bin/Release/net10.0}
POLICY=${POLICY:-starter} ANALYTICS=${ANALYTICS:-true} SECONDS_=${PROFILE_SECONDS:-10} CONNECTIONS=${CONNECTIONS:-64}
BASE_PORT=${BASE_PORT:-19600}
BACKEND_PORT=$((BASE_PORT + 1)) GW_PORT=$((BASE_PORT + 10)) MGMT_PORT=$((BASE_PORT + 11))
source "$REPO/bench/lib.sh"
require_tools wrk perf curl python3
[[ -f "$BIN/tollgate.dll" ]] || die "$BIN/tollgate.dll missing: build src/Tollgate in Release first"
[[ -f "$BACKEND_DLL" ]] || dotnet build "$REPO/bench/gateway/Backend/Backend.csproj" -c Release -nologo -v q >/dev/null
make_workdir gateway-profile
dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
profile() {  # profile PID URL [wrk header args...]
    local pid=$1 url=$2
    shift 2
    log "warming up"
    wrk -t2 -c"$CONNECTIONS" -d8s "$@" "$url" >/dev/null
    wrk -t2 -c"$CONNECTIONS" -d"$((SECONDS_ + 10))s" "$@" "$url" >"$TMP/wrk.txt" &
    local wrk_pid=$!
    sleep 2
    log "profiling for ${SECONDS_}s"
    perf record -e cpu-clock -F 1999 -g -p "$pid" -o "$TMP/perf.data" -- sleep "$SECONDS_" 2>/dev/null
    # Context switches of the process (every thread) over 5 s of the same load: a thread hand-off per call shows here.
    perf stat -x, -e context-switches,cpu-migrations,task-clock -p "$pid" -o "$TMP/stat.txt" -- sleep 5 2>/dev/null || true
    wait "$wrk_pid"
    perf script -i "$TMP/perf.data" -F comm,ip,sym,dso 2>/dev/null >"$TMP/perf.txt"
    local rps
    rps=$(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk.txt")
    if [[ -n "${KEEP:-}" ]]; then mkdir -p "$KEEP" && cp "$TMP/perf.txt" "$TMP/wrk.txt" "$KEEP/"; fi
    python3 "$SCRIPT_DIR/cpu_breakdown.py" "$TMP/perf.txt" "$rps" "$SECONDS_" 1999
    awk -F, -v rps="$rps" '$3 == "context-switches" { printf "context switches per request: %.2f\n", $1 / (rps * 5) }' "$TMP/stat.txt"
    if [[ -n "${KEEP:-}" ]]; then cp "$TMP/stat.txt" "$KEEP/"; fi
}
if [[ "${TARGET:-tollgate}" == yarp || "${TARGET:-}" == yarp-direct ]]; then
    YARP_DLL=$REPO/bench/gateway/BareYarp/bin/Release/net10.0/BareYarp.dll
    [[ -f "$YARP_DLL" ]] || dotnet build "$REPO/bench/gateway/BareYarp/BareYarp.csproj" -c Release -nologo -v q >/dev/null
    (export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0
     exec dotnet "$YARP_DLL" --urls "http://127.0.0.1:$GW_PORT" --backend "http://127.0.0.1:$BACKEND_PORT" \
        --direct "$([[ "$TARGET" == yarp-direct ]] && echo true || echo false)") >"$TMP/yarp.log" 2>&1 &
    PID[yarp]=$!
    wait_for "http://127.0.0.1:$GW_PORT/"
    profile "${PID[yarp]}" "http://127.0.0.1:$GW_PORT/echo/hello"
    exit 0
fi
(export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 \
    Tollgate__Gateway__HttpUrl="http://127.0.0.1:$GW_PORT" Tollgate__Gateway__HttpsUrl="" \
    Tollgate__Management__Url="http://127.0.0.1:$MGMT_PORT" Tollgate__Management__HttpsUrl="" \
    Logging__LogLevel__Default=Warning Tollgate__Analytics__Enabled="$ANALYTICS"
 cd "$TMP" && exec dotnet "$BIN/tollgate.dll" run --roles gateway,management --data-dir "$TMP/data") >"$TMP/tollgate.log" 2>&1 &
PID[tollgate]=$!
wait_for "http://127.0.0.1:$MGMT_PORT/"
token=$(cd "$TMP" && dotnet "$BIN/tollgate.dll" token --data-dir "$TMP/data" | tail -n 1)
base="http://127.0.0.1:$MGMT_PORT/subscriptions/bench/resourceGroups/bench/providers/Microsoft.ApiManagement/service/bench"
mgmt() {
    local code
    code=$(curl -s -o "$TMP/mgmt.body" -w '%{http_code}' -X "$1" -H "Authorization: $token" -H 'Content-Type: application/json' \
        --data "$3" "$base$2?api-version=2022-08-01")
    [[ "$code" =~ ^2 ]] || die "management $1 $2 answered $code: $(cat "$TMP/mgmt.body")"
}
mgmt PUT "" '{"location":"local","sku":{"name":"Developer","capacity":1},"properties":{"publisherName":"Bench","publisherEmail":"bench@example.com"}}'
mgmt PUT /apis/echo "{\"properties\":{\"displayName\":\"Echo\",\"path\":\"echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}"
mgmt PUT /apis/echo/operations/get '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/*"}}'
mgmt PUT /products/starter/apis/echo '{}'
if [[ "$POLICY" == starter ]]; then
    mgmt PUT /products/starter/policies/policy '{"properties":{"format":"rawxml","value":"<policies><inbound><base /><rate-limit calls=\"2000000000\" renewal-period=\"60\" /><quota calls=\"2000000000\" renewal-period=\"604800\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"}}'
else
    # The Starter product of a new instance has APIM's default policy (5 calls a minute): no policy at all instead.
    mgmt DELETE /products/starter/policies/policy ''
fi
mgmt PUT /subscriptions/bench '{"properties":{"scope":"/products/starter","displayName":"bench","state":"active"}}'
key=$(curl -s -X POST -H "Authorization: $token" "$base/subscriptions/bench/listSecrets?api-version=2022-08-01" | python3 -c 'import json,sys; print(json.load(sys.stdin)["primaryKey"])')
url="http://127.0.0.1:$GW_PORT/echo/hello"
for i in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Ocp-Apim-Subscription-Key: $key" "$url") == 200 ]] && break; sleep 0.2; done
code=$(curl -s -o "$TMP/first.body" -w '%{http_code}' -H "Ocp-Apim-Subscription-Key: $key" "$url")
[[ "$code" == 200 ]] || die "the gateway answered $code, not 200: $(cat "$TMP/first.body")"
profile "${PID[tollgate]}" "$url" -H "Ocp-Apim-Subscription-Key: $key"
