#!/usr/bin/env bash
# Publisher portal time to first byte: the API list of an instance with 1,000 APIs, and the dashboard (last 30 days)
# of an instance whose request log holds RECORDS calls made through the gateway. Release build, all roles in one
# process, SQLite. Prints p50/p95 of SAMPLES requests each (after WARMUP), measured with curl's time_starttransfer.
# Usage: bash bench/portal/run.sh        Knobs: APIS [1000] RECORDS [1000000] SAMPLES [50] WARMUP [5] BUILD [1] BASE_PORT [19180]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
APIS=${APIS:-1000}
RECORDS=${RECORDS:-1000000}
SAMPLES=${SAMPLES:-50}
WARMUP=${WARMUP:-5}
BUILD=${BUILD:-1}
BASE_PORT=${BASE_PORT:-19180}
BACKEND_PORT=$((BASE_PORT + 1)) GW_PORT=$((BASE_PORT + 2)) MGMT_PORT=$((BASE_PORT + 3)) STUDIO_PORT=$((BASE_PORT + 4)) PORTAL_PORT=$((BASE_PORT + 5))
API_VERSION=2022-08-01

WAIT_TRIES=300
source "$REPO/bench/lib.sh"
require_tools wrk curl
build_release
make_workdir portal-bench

dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
cp -r "$TOLLGATE_OUT" "$TMP/bin"
export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$GW_PORT" Tollgate__Gateway__HttpsUrl="" \
    Tollgate__Management__Url="http://127.0.0.1:$MGMT_PORT" Tollgate__Management__HttpsUrl="" \
    Tollgate__Studio__Url="http://127.0.0.1:$STUDIO_PORT" Tollgate__Portal__Url="http://127.0.0.1:$PORTAL_PORT" \
    Tollgate__Portal__SubscriptionId=bench Tollgate__Portal__ResourceGroup=bench Logging__LogLevel__Default=Warning
(cd "$TMP" && exec dotnet "$TMP/bin/tollgate.dll" run --roles all --data-dir "$TMP/data") >"$TMP/tollgate.log" 2>&1 &
PID[tollgate]=$!
wait_for "http://127.0.0.1:$MGMT_PORT/"
wait_for "http://127.0.0.1:$PORTAL_PORT/admin/signin"
wait_for "http://127.0.0.1:$BACKEND_PORT/"
TOKEN=$(cd "$TMP" && dotnet "$TMP/bin/tollgate.dll" token --data-dir "$TMP/data" | tail -n 1)
SVC="http://127.0.0.1:$MGMT_PORT/subscriptions/bench/resourceGroups/bench/providers/Microsoft.ApiManagement/service"
put() { # put URL JSON
    local code
    code=$(curl -s -o "$TMP/put.body" -w '%{http_code}' -X PUT -H "Authorization: $TOKEN" -H 'Content-Type: application/json' --data "$2" "$1?api-version=$API_VERSION")
    [[ "$code" =~ ^2 ]] || die "PUT $1 answered $code: $(cat "$TMP/put.body")"
}

log "instance 'many' with $APIS APIs"
put "$SVC/many" '{"location":"local","properties":{"publisherName":"Bench","publisherEmail":"bench@example.com"}}'
for i in $(seq 1 "$APIS"); do
    put "$SVC/many/apis/api$i" "{\"properties\":{\"displayName\":\"API $i\",\"path\":\"api$i\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}"
done

log "instance 'busy' and $RECORDS calls through the gateway"
put "$SVC/busy" '{"location":"local","properties":{"publisherName":"Bench","publisherEmail":"bench@example.com"}}'
put "$SVC/busy/apis/echo" "{\"properties\":{\"displayName\":\"Echo\",\"path\":\"echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}"
put "$SVC/busy/apis/echo/operations/get" '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/*"}}'
put "$SVC/busy/subscriptions/bench" '{"properties":{"scope":"/apis","displayName":"bench","state":"active"}}'
KEY=$(curl -s -X POST -H "Authorization: $TOKEN" "$SVC/busy/subscriptions/bench/listSecrets?api-version=$API_VERSION" | sed -E 's/.*"primaryKey":"([^"]+)".*/\1/')
written() { curl -s "http://127.0.0.1:$MGMT_PORT/metrics" | awk '/^tollgate_analytics_records_written_total/ {print int($2)}' | head -n 1; }
while (( $(written || echo 0) < RECORDS )); do
    wrk -t2 -c32 -d20s -H "Ocp-Apim-Subscription-Key: $KEY" "http://127.0.0.1:$GW_PORT/echo/hello" >/dev/null
    log "  $(written) records stored"
done

log "signing in to the portal"
JAR="$TMP/cookies"
PASSWORD=$(cat "$TMP/data/portal-admin-password" 2>/dev/null || true)
[[ -n "$PASSWORD" ]] || die "the administrator's first password was not found in $TMP/data"
FORM=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORTAL_PORT/admin/signin")
VERIFY=$(printf '%s' "$FORM" | grep -o 'name="__RequestVerificationToken" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
curl -s -o /dev/null -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORTAL_PORT/admin/signin" \
    --data-urlencode "_handler=signin" --data-urlencode "__RequestVerificationToken=$VERIFY" \
    --data-urlencode "Input.UserName=1" --data-urlencode "Input.Password=$PASSWORD"
[[ $(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "http://127.0.0.1:$PORTAL_PORT/admin/many/apis") == 200 ]] || die "sign-in failed"

measure() { # measure LABEL URL
    local label=$1 url=$2 i
    for i in $(seq 1 "$WARMUP"); do curl -s -o /dev/null -b "$JAR" "$url"; done
    for i in $(seq 1 "$SAMPLES"); do curl -s -o /dev/null -b "$JAR" -w '%{time_starttransfer}\n' "$url"; done | sort -n |
        awk -v label="$label" '{ v[NR] = $1 * 1000 } END { printf "%-48s p50 %7.1f ms   p95 %7.1f ms   (n=%d)\n", label, v[int(NR * 0.5 + 0.5)], v[int(NR * 0.95 + 0.5)], NR }'
}
echo "portal TTFB ($APIS APIs; $(written) request records; $SAMPLES samples after $WARMUP warm-up)"
measure "API list, first page (instance with $APIS APIs)" "http://127.0.0.1:$PORTAL_PORT/admin/many/apis"
measure "API list, search 'API 99'" "http://127.0.0.1:$PORTAL_PORT/admin/many/apis?search=API%2099"
measure "dashboard, last 30 days ($(written) records)" "http://127.0.0.1:$PORTAL_PORT/admin/busy/dashboard?range=month"
measure "dashboard, last hour" "http://127.0.0.1:$PORTAL_PORT/admin/busy/dashboard?range=hour"
