#!/usr/bin/env bash
# System calls per proxied request, bare YARP against Tollgate (key check), counted with strace under wrk.
# A count does not move with the machine's load as req/s and CPU time do: it is the measure to compare on a busy
# machine (sched_yield is the thread pool spinning for work; recvfrom/sendto the sockets; epoll_wait the socket engine).
#   bash bench/gateway/syscalls.sh            knobs: CONNECTIONS [8] SECONDS_ [4] BASE_PORT [19700] BUILD [1]
#   TOLLGATE_ENV="DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1" bash bench/gateway/syscalls.sh   (Tollgate only)
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
source "$REPO/bench/lib.sh"
CONNECTIONS=${CONNECTIONS:-8} SECONDS_=${SECONDS_:-4} BASE_PORT=${BASE_PORT:-19700}
BACKEND_PORT=$((BASE_PORT + 1)) YARP_PORT=$((BASE_PORT + 2)) GW_PORT=$((BASE_PORT + 3)) MGMT_PORT=$((BASE_PORT + 4))
YARP_DLL=$REPO/bench/gateway/BareYarp/bin/Release/net10.0/BareYarp.dll
require_tools wrk strace curl
build_release
[[ -f "$YARP_DLL" ]] || dotnet build "$REPO/bench/gateway/BareYarp/BareYarp.csproj" -c Release -nologo -v q >/dev/null
make_workdir gateway-syscalls

dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
dotnet "$YARP_DLL" --urls "http://127.0.0.1:$YARP_PORT" --backend "http://127.0.0.1:$BACKEND_PORT" >"$TMP/yarp.log" 2>&1 &
PID[yarp]=$!
(export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$GW_PORT" Tollgate__Gateway__HttpsUrl="" \
    Tollgate__Management__Url="http://127.0.0.1:$MGMT_PORT" Tollgate__Management__HttpsUrl="" \
    Logging__LogLevel__Default=Warning Tollgate__Analytics__Enabled=false
 cd "$TMP" && exec env ${TOLLGATE_ENV:-} dotnet "$TOLLGATE_OUT/tollgate.dll" run --roles gateway,management --data-dir "$TMP/data") >"$TMP/tollgate.log" 2>&1 &
PID[tollgate]=$!
wait_for "http://127.0.0.1:$MGMT_PORT/"
wait_for "http://127.0.0.1:$YARP_PORT/"
token=$(cd "$TMP" && dotnet "$TOLLGATE_OUT/tollgate.dll" token --data-dir "$TMP/data" | tail -n 1)
base="http://127.0.0.1:$MGMT_PORT/subscriptions/bench/resourceGroups/bench/providers/Microsoft.ApiManagement/service/bench"
mgmt() {
    local code
    code=$(curl -s -o "$TMP/mgmt.body" -w '%{http_code}' -X "$1" -H "Authorization: $token" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$base$2?api-version=2022-08-01")
    [[ "$code" =~ ^2 ]] || die "management $1 $2 answered $code: $(cat "$TMP/mgmt.body")"
    cat "$TMP/mgmt.body"
}
mgmt PUT "" '{"location":"local","sku":{"name":"Developer","capacity":1},"properties":{"publisherName":"Bench","publisherEmail":"bench@example.com"}}' >/dev/null
mgmt PUT /apis/echo "{\"properties\":{\"displayName\":\"Echo\",\"path\":\"echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}" >/dev/null
mgmt PUT /apis/echo/operations/get '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/*"}}' >/dev/null
mgmt PUT /subscriptions/bench '{"properties":{"scope":"/apis/echo","displayName":"bench","state":"active"}}' >/dev/null
key=$(mgmt POST /subscriptions/bench/listSecrets | sed -n 's/.*"primaryKey" *: *"\([^"]*\)".*/\1/p')
wait_for "http://127.0.0.1:$GW_PORT/echo/hello" -H "Ocp-Apim-Subscription-Key: $key"

# count NAME PID URL [HEADER]: every thread of the process traced while wrk runs; system calls ÷ requests.
count() {
    local name=$1 pid=$2 url=$3 header=${4:-} requests
    local args=(-t1 "-c$CONNECTIONS")
    [[ -n "$header" ]] && args+=(-H "$header")
    wrk "${args[@]}" -d2s "$url" >/dev/null    # warm
    strace -c -f -p "$pid" -o "$TMP/$name.strace" 2>/dev/null &
    local tracer=$!
    sleep 1
    requests=$(wrk "${args[@]}" "-d${SECONDS_}s" "$url" | awk '/requests in/{print $1}')
    kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
    awk -v r="$requests" -v n="$name" 'NR > 2 && $4 ~ /^[0-9]+$/ && $NF != "total" { c[$NF] = $4 }
        END { for (s in c) printf "%s\t%s\t%.2f\n", n, s, c[s] / r }' "$TMP/$name.strace" >>"$TMP/counts.tsv"
    log "$name: $requests requests traced"
}
count yarp "${PID[yarp]}" "http://127.0.0.1:$YARP_PORT/echo/hello"
count tollgate "${PID[tollgate]}" "http://127.0.0.1:$GW_PORT/echo/hello" "Ocp-Apim-Subscription-Key: $key"

echo "| system call | bare YARP per request | Tollgate (key check) per request |"
echo "|---|---:|---:|"
awk -F'\t' '{ v[$2, $1] = $3; s[$2] = 1 } END {
    for (k in s) { y = ((k, "yarp") in v) ? v[k, "yarp"] : 0; t = ((k, "tollgate") in v) ? v[k, "tollgate"] : 0
        if (y >= 0.01 || t >= 0.01) printf "| %s | %.2f | %.2f |\n", k, y, t } }' "$TMP/counts.tsv" | sort -t'|' -k3 -nr
