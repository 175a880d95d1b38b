#!/usr/bin/env bash
# Soak: the gateway with the Starter policy's shape (rate-limit + quota, limits raised so nothing is refused) and the
# request log on, driven for DURATION at RATE_PERCENT of the peak measured just before, through wrk paced per
# connection. Reports the gateway's RSS, open file descriptors and threads at the start and the end (and every
# SAMPLE seconds in a CSV), the answers by status class (a 5xx is a failure), and the reports' call count against
# the calls wrk made. Usage: bash bench/soak/run.sh (results in bench/README.md).
#
# Knobs: DURATION [10m]  RATE_PERCENT [80]  CONNECTIONS [32]  PEAK_DURATION [15s]  WARMUP [10s]  SAMPLE [30]
#        BUILD [1]  BASE_PORT [19080]  RESULTS_DIR [<repo>/bench/results]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
DURATION=${DURATION:-10m}
RATE_PERCENT=${RATE_PERCENT:-80}
CONNECTIONS=${CONNECTIONS:-32}
PEAK_DURATION=${PEAK_DURATION:-15s}
WARMUP=${WARMUP:-10s}
SAMPLE=${SAMPLE:-30}
BUILD=${BUILD:-1}
BASE_PORT=${BASE_PORT:-19080}
RESULTS_DIR=${RESULTS_DIR:-$REPO/bench/results}
BACKEND_PORT=$((BASE_PORT + 1))
GW_PORT=$((BASE_PORT + 2))
MGMT_PORT=$((BASE_PORT + 3))
PATH_CALLED=/echo/hello
API_VERSION=2022-08-01

source "$REPO/bench/lib.sh"
require_tools wrk curl
build_release
make_workdir soak


dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
wait_for "http://127.0.0.1:$BACKEND_PORT$PATH_CALLED"

cp -r "$TOLLGATE_OUT" "$TMP/bin"
export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$GW_PORT" Tollgate__Gateway__HttpsUrl="" \
    Tollgate__Management__Url="http://127.0.0.1:$MGMT_PORT" Tollgate__Management__HttpsUrl= Logging__LogLevel__Default=Warning Tollgate__Analytics__Enabled=true
(cd "$TMP" && exec dotnet "$TMP/bin/tollgate.dll" run --roles gateway,management --data-dir "$TMP/data") >"$TMP/tollgate.log" 2>&1 &
PID[tollgate]=$!
GW_PID=${PID[tollgate]}
wait_for "http://127.0.0.1:$MGMT_PORT/"
TOKEN=$(cd "$TMP" && dotnet "$TMP/bin/tollgate.dll" token --data-dir "$TMP/data" | tail -n 1)
BASE="http://127.0.0.1:$MGMT_PORT/subscriptions/soak/resourceGroups/soak/providers/Microsoft.ApiManagement/service/soak"
mgmt() {
    local method=$1 path=$2 body=${3-} code args=()
    [[ -n "$body" ]] && args=(-H 'Content-Type: application/json' --data "$body")
    code=$(curl -s -o "$TMP/mgmt.body" -w '%{http_code}' --max-time 30 -X "$method" -H "Authorization: $TOKEN" "${args[@]}" \
        "$BASE$path${4-}?api-version=$API_VERSION${5-}" || true)
    [[ "$code" =~ ^2 ]] || die "management $method $path answered $code: $(cat "$TMP/mgmt.body")"
    cat "$TMP/mgmt.body"
}
STARTER='<policies><inbound><base /><rate-limit calls=\"2000000000\" renewal-period=\"60\" /><quota calls=\"2000000000\" renewal-period=\"604800\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>'
mgmt PUT "" '{"location":"local","sku":{"name":"Developer","capacity":1},"properties":{"publisherName":"Soak","publisherEmail":"soak@example.com"}}' >/dev/null
mgmt PUT /apis/echo "{\"properties\":{\"displayName\":\"Echo\",\"path\":\"echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}" >/dev/null
mgmt PUT /apis/echo/operations/get '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/*"}}' >/dev/null
mgmt PUT /products/starter/apis/echo '{}' >/dev/null
mgmt PUT /products/starter/policies/policy "{\"properties\":{\"format\":\"rawxml\",\"value\":\"$STARTER\"}}" >/dev/null
mgmt PUT /subscriptions/soak '{"properties":{"scope":"/products/starter","displayName":"soak","state":"active"}}' >/dev/null
KEY=$(mgmt POST /subscriptions/soak/listSecrets | tr -d '\n' | sed -n 's/.*"primaryKey"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[[ -n "$KEY" ]] || die "no subscription key"
URL="http://127.0.0.1:$GW_PORT$PATH_CALLED"
for i in $(seq 1 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Ocp-Apim-Subscription-Key: $KEY" "$URL") == 200 ]] && break
    sleep 0.2
done
export SOAK_KEY=$KEY

# Peak, after a warm-up: unpaced wrk with the same connections.
SOAK_DELAY_MS=0 wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s "$SCRIPT_DIR/soak.lua" "$URL" >/dev/null
peak_line=$(SOAK_DELAY_MS=0 wrk -t2 -c"$CONNECTIONS" -d"$PEAK_DURATION" -s "$SCRIPT_DIR/soak.lua" "$URL" | grep '^SOAK')
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p;s/^SOAK $2=\([0-9]*\).*/\1/p" <<<"$1" | head -n 1; }
peak_rps=$(( $(field "$peak_line" completed) * 1000000 / $(field "$peak_line" duration_us) ))
target=$(( peak_rps * RATE_PERCENT / 100 ))
# Each connection waits CONNECTIONS/target seconds between its requests (wrk's delay() is in ms), so the whole
# load approaches the target; the achieved rate is reported.
delay_ms=$(( CONNECTIONS * 1000 / (target > 0 ? target : 1) ))
log "peak $peak_rps req/s; soak at ${RATE_PERCENT}% = $target req/s (delay ${delay_ms} ms per connection) for $DURATION"

# Counts before the soak, so the check covers the soak's calls only.
sleep 2
report_total() {
    mgmt GET /reports/byApi "" "" '&$filter=timestamp%20ge%20datetime%272000-01-01T00:00:00Z%27%20and%20timestamp%20le%20datetime%272100-01-01T00:00:00Z%27' \
        | python3 -c 'import json,sys; print(sum(int(v.get("callCountTotal",0)) for v in json.load(sys.stdin).get("value",[])))'
}
before_reported=$(report_total)
sample() {
    local rss fds threads
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$GW_PID/status")
    fds=$(ls "/proc/$GW_PID/fd" | wc -l)
    threads=$(awk '/^Threads/{print $2}' "/proc/$GW_PID/status")
    echo "$(date +%s),$rss,$fds,$threads"
}
mkdir -p "$RESULTS_DIR"
csv=$RESULTS_DIR/soak-$(date -u +%Y%m%dT%H%M%SZ).csv
echo "epoch,rss_kb,fds,threads" >"$csv"
start_sample=$(sample)
echo "$start_sample" >>"$csv"
( while kill -0 "$GW_PID" 2>/dev/null; do sleep "$SAMPLE"; sample >>"$csv" || true; done ) &
PID[sampler]=$!
soak_line=$(SOAK_DELAY_MS=$delay_ms wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s "$SCRIPT_DIR/soak.lua" "$URL" | grep '^SOAK')
end_sample=$(sample)
echo "$end_sample" >>"$csv"
kill "${PID[sampler]}" 2>/dev/null || true
unset 'PID[sampler]'

# The request log writes in batches: wait (bounded) until the reports stop growing.
made=$(field "$soak_line" made)
reported=0
for i in $(seq 1 60); do
    now=$(( $(report_total) - before_reported ))
    [[ "$now" == "$reported" && "$now" -gt 0 ]] && break
    reported=$now
    sleep 1
done
achieved=$(( $(field "$soak_line" completed) * 1000000 / $(field "$soak_line" duration_us) ))
IFS=, read -r _ rss0 fds0 thr0 <<<"$start_sample"
IFS=, read -r _ rss1 fds1 thr1 <<<"$end_sample"
echo "soak: $DURATION at ${RATE_PERCENT}% of peak ($peak_rps req/s peak, $target target, $achieved achieved), $CONNECTIONS connections"
echo "answers: 2xx=$(field "$soak_line" s2xx) 4xx=$(field "$soak_line" s4xx) 5xx=$(field "$soak_line" s5xx) other=$(field "$soak_line" other) socket_errors=$(field "$soak_line" socket_errors); p50 $(field "$soak_line" p50_us) us, p99 $(field "$soak_line" p99_us) us, max $(field "$soak_line" max_us) us"
echo "gateway process: RSS ${rss0} kB -> ${rss1} kB, open fds $fds0 -> $fds1, threads $thr0 -> $thr1 (samples: $csv)"
echo "reports: $reported calls recorded; wrk made $made, saw $(field "$soak_line" completed) answered"
