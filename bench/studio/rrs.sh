#!/usr/bin/env bash
# RRS single-row requests/s with wrk: the tutorial's web service ("This is a good day", bitsize 3), called directly
# on Studio and through the gateway (HTTP, subscription key), at CONNECTIONS connections and at one connection.
# Starts `tollgate demo` (all roles, fresh data directory, no Azurite needed) on ports BASE_PORT+1..+4.
# Knobs: DURATION (10s), WARMUP (5s), CONNECTIONS (16), THREADS (2), BASE_PORT (18280), BUILD=0 to reuse the Release build.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=${DURATION:-10s}; WARMUP=${WARMUP:-5s}; CONNECTIONS=${CONNECTIONS:-16}; THREADS=${THREADS:-2}; BASE_PORT=${BASE_PORT:-18280}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
if [[ ${BUILD:-1} == 1 ]]; then dotnet build "$repo/src/Tollgate" -c Release -v q -nologo >/dev/null; fi
TMP=$(mktemp -d)
cleanup() { [[ -n ${PID:-} ]] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export NO_COLOR=1 COLUMNS=400 Logging__LogLevel__Default=Warning
export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$((BASE_PORT + 1))" Tollgate__Gateway__HttpsUrl="https://127.0.0.1:$((BASE_PORT + 2))"
export Tollgate__Management__Url="http://127.0.0.1:$((BASE_PORT + 3))" Tollgate__Management__HttpsUrl="" Tollgate__Studio__Url="http://127.0.0.1:$((BASE_PORT + 4))"
export Tollgate__Demo__AzuritePort=$((BASE_PORT + 5)) PATH="/nonexistent-for-azurite:$PATH"
(cd "$TMP" && exec dotnet "$repo/src/Tollgate/bin/Release/net10.0/tollgate.dll" demo --data-dir "$TMP/data") >"$TMP/out" 2>&1 &
PID=$!
for _ in $(seq 300); do grep -q '^curl ' "$TMP/out" && break; sleep 0.2; done
curl_line=$(grep '^curl ' "$TMP/out") || { cat "$TMP/out"; exit 1; }
path=$(grep -o '/workspaces/[0-9a-f]*/services/[0-9a-f]*/execute' <<<"$curl_line")
key=$(grep -o 'Authorization: Bearer [^"]*' <<<"$curl_line" | cut -d' ' -f3)
subkey=$(grep -o 'Ocp-Apim-Subscription-Key: [0-9a-f]*' <<<"$curl_line" | cut -d' ' -f2)
cat >"$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
wrk.headers["Ocp-Apim-Subscription-Key"] = "$subkey"
LUA
studio="http://127.0.0.1:$((BASE_PORT + 4))$path?api-version=2.0&details=true"
gateway="http://127.0.0.1:$((BASE_PORT + 1))/azureml-demo$path?api-version=2.0&details=true"
# The gateway API is HTTPS-only in the tutorial; allow HTTP for the bench through the management API would change the
# demo's config, so the gateway figure uses the HTTPS listener.
gateway="https://127.0.0.1:$((BASE_PORT + 2))/azureml-demo$path?api-version=2.0&details=true"
check=$(curl -sk -X POST "$studio" -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d '{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}')
grep -q '"1","1","2","2","0","2","0","1"' <<<"$check" || { echo "unexpected answer: $check"; exit 1; }
cpu() { awk '{print $14 + $15}' "/proc/$(pgrep -f "tollgate.dll demo --data-dir $TMP/data" | head -1)/stat"; }
run() { # name url connections threads
    wrk -t"$4" -c"$3" -d"$WARMUP" -s "$TMP/post.lua" "$2" >/dev/null
    local before after out
    before=$(cpu)
    out=$(wrk -t"$4" -c"$3" -d"$DURATION" --latency -s "$TMP/post.lua" "$2")
    after=$(cpu)
    local rps requests p50 p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    local us=$(( (after - before) * 10000 / (requests > 0 ? requests : 1) ))
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" "$rps" "$p50" "$p99" "$us" "${non2xx:-0}"
}
echo "| target | connections | requests/s | p50 | p99 | tollgate CPU µs/request | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|"
run "Studio RRS (direct)" "$studio" "$CONNECTIONS" "$THREADS"
run "Studio RRS (direct)" "$studio" 1 1
run "gateway (HTTPS) → Studio RRS" "$gateway" "$CONNECTIONS" "$THREADS"
run "gateway (HTTPS) → Studio RRS" "$gateway" 1 1
