#!/usr/bin/env bash
# A trained model behind RRS, beside ML.NET in-process, and the training time of each learner beside ML.NET alone.
#  1. Starts `tollgate demo` (fresh data directory, no Azurite) on 127.0.0.1 ports BASE_PORT+1..+4, trains the census
#     sample's Two-Class Decision Forest (seed 7, label income) in an experiment, sets up the web service, publishes it,
#     and posts one census row per request with wrk (directly to Studio) at CONNECTIONS connections and at one.
#  2. LearnerBench predict: the same model in-process, one row per call, ML.NET's PredictionEngine and Tollgate's Score.
#  3. LearnerBench train (unless TRAIN=0): BenchmarkDotNet, each learner's Train Model vs the same ML.NET estimator.
# Knobs: DURATION (10s), WARMUP (5s), CONNECTIONS (16), THREADS (2), BASE_PORT (18380), BUILD=0 to reuse the Release builds.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=${DURATION:-10s}; WARMUP=${WARMUP:-5s}; CONNECTIONS=${CONNECTIONS:-16}; THREADS=${THREADS:-2}; BASE_PORT=${BASE_PORT:-18380}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null
if [[ ${BUILD:-1} == 1 ]]; then
    dotnet build "$repo/src/Tollgate" -c Release -v q -nologo >/dev/null
    dotnet build "$repo/bench/studio/LearnerBench" -c Release -v q -nologo >/dev/null
fi
bench="$repo/bench/studio/LearnerBench/bin/Release/net10.0/LearnerBench.dll"
TMP=$(mktemp -d)
cleanup() { [[ -n ${PID:-} ]] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export NO_COLOR=1 COLUMNS=400 Logging__LogLevel__Default=Warning
export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$((BASE_PORT + 1))" Tollgate__Gateway__HttpsUrl="https://127.0.0.1:$((BASE_PORT + 2))"
export Tollgate__Management__Url="http://127.0.0.1:$((BASE_PORT + 3))" Tollgate__Management__HttpsUrl="" Tollgate__Studio__Url="http://127.0.0.1:$((BASE_PORT + 4))"
export Tollgate__Demo__AzuritePort=$((BASE_PORT + 5)) PATH="/nonexistent-for-azurite:$PATH"
(cd "$TMP" && exec dotnet "$repo/src/Tollgate/bin/Release/net10.0/tollgate.dll" demo --data-dir "$TMP/data") >"$TMP/out" 2>&1 &
PID=$!
for _ in $(seq 300); do grep -qs '^curl ' "$TMP/out" && break; sleep 0.2; done
grep -q '^curl ' "$TMP/out" || { cat "$TMP/out"; exit 1; }
studio="http://127.0.0.1:$((BASE_PORT + 4))"
# The demo's table wraps long values onto the next lines (blank first cell): join them.
token=$(awk -F'│' '/Studio workspace token/ {t = $3; on = 1; next} on && $2 ~ /^ *$/ {t = t $3; next} {on = 0} END {gsub(/ /, "", t); print t}' "$TMP/out")
api() { # method path [json]: the response body; stops the script with it on an HTTP error
    local out
    out=$(curl -s -w '\n%{http_code}' -X "$1" "$studio$2" -H "Authorization: Bearer $token" -H "Content-Type: application/json" ${3:+-d "$3"})
    [[ ${out##*$'\n'} == 2* ]] || { echo "$1 $2: ${out}" >&2; exit 1; }
    printf '%s\n' "${out%$'\n'*}"
}
experiment=$(api POST /studio/experiments '{"name":"Census forest",
  "modules":[{"id":"data","module":"Saved dataset","parameters":{"Dataset":"Adult Census Income Binary Classification dataset"}},
    {"id":"learner","module":"Two-Class Decision Forest","parameters":{"Random number seed":7}},
    {"id":"train","module":"Train Model","parameters":{"Label column":"income"}},
    {"id":"score","module":"Score Model"}],
  "connections":[{"from":{"module":"data","port":"Dataset"},"to":{"module":"train","port":"Dataset"}},
    {"from":{"module":"learner","port":"Untrained model"},"to":{"module":"train","port":"Untrained model"}},
    {"from":{"module":"train","port":"Trained model"},"to":{"module":"score","port":"Trained model"}},
    {"from":{"module":"data","port":"Dataset"},"to":{"module":"score","port":"Dataset"}}]}' | jq -r .id)
[[ $(api POST "/studio/experiments/$experiment/run" | jq -r .status) == Finished ]] || { echo "training run failed"; exit 1; }
predictive=$(api POST "/studio/experiments/$experiment/setUpWebService" | jq -r .id)
dashboard=$(api POST "/studio/experiments/$predictive/publish" '{}')
endpoint=$(jq -r .defaultEndpoint.id <<<"$dashboard"); key=$(jq -r .defaultEndpoint.primaryKey <<<"$dashboard")
workspace=$(grep -o '/workspaces/[0-9a-f]*/' "$TMP/out" | head -1 | cut -d/ -f3)
url="$studio/workspaces/$workspace/services/$endpoint/execute?api-version=2.0&details=true"
body='{"Inputs":{"input1":{"ColumnNames":["age","workclass","education-num","marital-status","sex","hours-per-week","income"],"Values":[[52,"Self-emp-not-inc",15,"Married-civ-spouse","Male",60,null]]}},"GlobalParameters":{}}'
check=$(curl -sf -X POST "$url" -H "Authorization: Bearer $key" -H "Content-Type: application/json" -d "$body")
jq -e '.Results.output1.value.ColumnNames[8] == "Scored Probabilities"' <<<"$check" >/dev/null || { echo "unexpected answer: $check"; exit 1; }
echo "RRS answer: $(jq -c '.Results.output1.value.Values[0][7:]' <<<"$check")"
cat >"$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
cpu() { awk '{print $14 + $15}' "/proc/$(pgrep -f "tollgate.dll demo --data-dir $TMP/data" | head -1)/stat"; }
run() { # name connections threads
    wrk -t"$3" -c"$2" -d"$WARMUP" -s "$TMP/post.lua" "$url" >/dev/null
    local before after out rps requests p50 p99 non2xx us
    before=$(cpu)
    out=$(wrk -t"$3" -c"$2" -d"$DURATION" --latency -s "$TMP/post.lua" "$url")
    after=$(cpu)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); requests=$(awk '/requests in/ {print $1}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    us=$(( (after - before) * 10000 / (requests > 0 ? requests : 1) ))
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rps" "$p50" "$p99" "$us" "${non2xx:-0}"
}
echo "| Studio RRS, Two-Class Decision Forest, 1 row | connections | requests/s | p50 | p99 | tollgate CPU µs/request | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|"
run "RRS execute (direct)" "$CONNECTIONS" "$THREADS"
run "RRS execute (direct)" 1 1
kill -INT "$PID"; wait "$PID" 2>/dev/null || true; PID=
echo
dotnet "$bench" predict 5
if [[ ${TRAIN:-1} == 1 ]]; then
    echo
    (cd "$TMP" && dotnet "$bench" train --filter '*' >"$TMP/train.log" 2>&1 || { tail -30 "$TMP/train.log"; exit 1; }; cat BenchmarkDotNet.Artifacts/results/*-report-github.md)
fi
