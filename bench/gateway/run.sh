#!/usr/bin/env bash
# Gateway benchmark: wrk on loopback against
#   direct   - the backend itself
#   yarp     - a bare YARP 2.3 reverse proxy (the baseline)
#   yarp-direct - YARP's direct forwarding (IHttpForwarder from one terminal delegate: no routing, no proxy pipeline):
#              the floor of any gateway built on Kestrel, YARP's forwarder and SocketsHttpHandler, as Tollgate's is
#   nginx    - nginx with upstream keep-alive
#   haproxy  - HAProxy (Debian package) with keep-alive and server connection reuse, a second reference proxy
#   tollgate - the Tollgate gateway with subscription-key checking
#   tollgate-log - the same, also recording every call for the reports (the request log, issue 5);
#              tollgate-log ÷ tollgate in the same repetition is the cost of analytics, and a final
#              check compares the reports' call count with the requests wrk made
#   tollgate-starter - the same API in the Starter product with its policy's shape (rate-limit per 60 s and
#              quota per week, limits raised so wrk is never refused), counters in-process (issue 4);
#              reported as a ratio to tollgate (no policies) in the same repetition
#   tollgate-starter-redis - the same with the counters in a local redis-server (limits above 1,000 calls: buckets
#              and local leases, most calls make no round trip)
#   tollgate-starter-redis-noleases - the same with Tollgate__Gateway__Counters__RedisLeases=false: every call
#              decided in Redis (one script for both policies), the per-call cost small limits (Starter's 5/60 s) have
#   tollgate-full - what a real deployment runs: key check, the Starter policy on Redis counters (with leases), the
#              request log and metrics on
#   tollgate-fullb - tollgate-full again, in a second process started with the extra environment in B_ENV (A_ENV for
#              tollgate-full's): an A/B of a runtime or Tollgate setting in one interleaved run, e.g.
#              B_ENV="DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1" CONFIGS="yarp tollgate-full tollgate-fullb";
#              with B_OUT=<a Tollgate build output>, tollgate-fullb runs that build instead: an A/B of two builds
# in one run, interleaved (direct yarp nginx tollgate, direct yarp nginx tollgate, ...), medians
# over REPS repetitions, ratios to bare YARP, proxy CPU per request, and one-connection latency.
# Method: bench/README.md. Usage: bash bench/gateway/run.sh (details: bench/README.md)
#
# Environment knobs (defaults in brackets):
#   REPS [3]  DURATION [10s]  CONNECTIONS [64]  THREADS [2]  WARMUP [10s]
#   LAT_DURATION [$DURATION]  one-connection (-t1 -c1) window per repetition
#   CONFIGS ["direct yarp nginx tollgate tollgate-log"]  (add haproxy, tollgate-full, tollgate-starter tollgate-starter-redis tollgate-starter-redis-noleases for the policy cost)  which configurations to run (yarp is always needed for ratios)
#   BUILD [1]            0 = use the existing Release builds (bench projects and Tollgate)
#   TOLLGATE_BUILD [1]   0 = do not build Tollgate, only the bench projects
#   NGINX_WORKERS [auto] nginx worker_processes
#   HAPROXY_THREADS [nproc] HAProxy nbthread
#   BASE_PORT [18080]    ports BASE+1 .. BASE+20 on 127.0.0.1 must be free
#   RESULTS_DIR [<repo>/bench/results]
#   SAME_REQUEST [1]     1 = every proxy gets the same request, subscription-key header included (0: only Tollgate's carry one)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)

REPS=${REPS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-10s}
LAT_DURATION=${LAT_DURATION:-$DURATION}
CONFIGS=${CONFIGS:-direct yarp nginx tollgate tollgate-log}
BUILD=${BUILD:-1}
TOLLGATE_BUILD=${TOLLGATE_BUILD:-$BUILD}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
HAPROXY_THREADS=${HAPROXY_THREADS:-$(nproc)}
BASE_PORT=${BASE_PORT:-18080}
RESULTS_DIR=${RESULTS_DIR:-$REPO/bench/results}
SAME_REQUEST=${SAME_REQUEST:-1}

BACKEND_PORT=$((BASE_PORT + 1))
YARP_PORT=$((BASE_PORT + 2))
NGINX_PORT=$((BASE_PORT + 3))
GW_PORT=$((BASE_PORT + 4))
MGMT_PORT=$((BASE_PORT + 5))
GW_LOG_PORT=$((BASE_PORT + 6))
MGMT_LOG_PORT=$((BASE_PORT + 7))
GW_STARTER_PORT=$((BASE_PORT + 8))
MGMT_STARTER_PORT=$((BASE_PORT + 9))
GW_REDIS_PORT=$((BASE_PORT + 10))
MGMT_REDIS_PORT=$((BASE_PORT + 11))
REDIS_PORT=$((BASE_PORT + 12))
GW_REDIS2_PORT=$((BASE_PORT + 13))
MGMT_REDIS2_PORT=$((BASE_PORT + 14))
HAPROXY_PORT=$((BASE_PORT + 15))
GW_FULL_PORT=$((BASE_PORT + 16))
MGMT_FULL_PORT=$((BASE_PORT + 17))
GW_FULLB_PORT=$((BASE_PORT + 18))
MGMT_FULLB_PORT=$((BASE_PORT + 19))
YARP_DIRECT_PORT=$((BASE_PORT + 20))

API_VERSION=2022-08-01
PATH_DIRECT=/echo/hello

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

has_config() { [[ " $CONFIGS " == *" $1 "* ]]; }
uses_tollgate() { has_config tollgate || has_config tollgate-log || has_config tollgate-starter || has_config tollgate-starter-redis || has_config tollgate-starter-redis-noleases || has_config tollgate-full || has_config tollgate-fullb; }
uses_redis() { has_config tollgate-starter-redis || has_config tollgate-starter-redis-noleases || has_config tollgate-full || has_config tollgate-fullb; }

[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer (got '$REPS')"
for c in $CONFIGS; do
    case "$c" in direct|yarp|yarp-direct|nginx|haproxy|tollgate|tollgate-log|tollgate-starter|tollgate-starter-redis|tollgate-starter-redis-noleases|tollgate-full|tollgate-fullb) ;; *) die "unknown configuration '$c' in CONFIGS" ;; esac
done
has_config yarp || die "CONFIGS must include yarp: every ratio is to bare YARP"

# ---------------------------------------------------------------- tools
install_missing() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    if has_config haproxy; then command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy); fi
    if uses_redis; then command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); fi
    ((${#missing[@]} == 0)) && return 0
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]} and not root: install them first"
        sudo=(sudo)
    fi
    log "installing ${missing[*]} with apt-get"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
        log "apt-get install failed; running apt-get update first"
        "${sudo[@]}" apt-get update >/dev/null
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
}
install_missing
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY_BIN=$(command -v haproxy || echo /usr/sbin/haproxy)
command -v dotnet >/dev/null 2>&1 || die "dotnet (SDK 10) is required"

# ---------------------------------------------------------------- build
BACKEND_DLL=$SCRIPT_DIR/Backend/bin/Release/net10.0/Backend.dll
YARP_DLL=$SCRIPT_DIR/BareYarp/bin/Release/net10.0/BareYarp.dll
TOLLGATE_OUT=$REPO/src/Tollgate/bin/Release/net10.0

if [[ "$BUILD" == 1 ]]; then
    # One build at a time: building in parallel on two cores only makes each slower.
    for proj in "$SCRIPT_DIR/Backend/Backend.csproj" "$SCRIPT_DIR/BareYarp/BareYarp.csproj"; do
        log "building $(basename "$proj") (Release)"
        dotnet build "$proj" -c Release -nologo -v q >/dev/null || die "build of $proj failed (run: dotnet build $proj -c Release)"
    done
fi
if uses_tollgate && [[ "$TOLLGATE_BUILD" == 1 ]]; then
    log "building src/Tollgate (Release)"
    dotnet build "$REPO/src/Tollgate/Tollgate.csproj" -c Release -nologo -v q >/dev/null \
        || die "build of src/Tollgate failed (run: dotnet build $REPO/src/Tollgate/Tollgate.csproj -c Release)"
fi
[[ -f "$BACKEND_DLL" ]] || die "$BACKEND_DLL missing (BUILD=0 needs an earlier build)"
[[ -f "$YARP_DLL" ]] || die "$YARP_DLL missing (BUILD=0 needs an earlier build)"
if uses_tollgate; then
    [[ -f "$TOLLGATE_OUT/tollgate.dll" ]] || die "$TOLLGATE_OUT/tollgate.dll missing; build src/Tollgate or leave tollgate out of CONFIGS"
fi

# ---------------------------------------------------------------- processes and cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
declare -A PID=()
KEEP_TMP=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for name in "${!PID[@]}"; do
        local p=${PID[$name]}
        kill -TERM "$p" 2>/dev/null || true
    done
    for name in "${!PID[@]}"; do
        local p=${PID[$name]} i
        for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if ((rc != 0)); then
        for f in "$TMP"/*.log "$TMP"/nginx/logs/error.log; do
            [[ -s "$f" ]] || continue
            log "---- last lines of $f"
            tail -n 20 "$f" >&2 || true
        done
        KEEP_TMP=1
    fi
    if [[ "$KEEP_TMP" == 1 ]]; then log "logs kept in $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $BACKEND_PORT $YARP_PORT $NGINX_PORT $GW_PORT $MGMT_PORT $GW_LOG_PORT $MGMT_LOG_PORT $GW_STARTER_PORT $MGMT_STARTER_PORT $GW_REDIS_PORT $MGMT_REDIS_PORT $REDIS_PORT $GW_REDIS2_PORT $MGMT_REDIS2_PORT $HAPROXY_PORT $GW_FULL_PORT $MGMT_FULL_PORT $YARP_DIRECT_PORT; do
    port_free "$p" || die "port 127.0.0.1:$p is in use; set BASE_PORT to another value"
done

# wait_http URL [extra curl args...]: bounded poll until the URL answers at all (any status).
wait_http() {
    local url=$1 i code
    shift
    for i in $(seq 1 150); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" || true)
        [[ "$code" != 000 ]] && return 0
        sleep 0.2
    done
    die "no answer from $url after 30 s"
}

# expect_200 NAME URL [curl args...]: the target must answer 200 with the backend's body.
EXPECTED_BODY=""
expect_200() {
    local name=$1 url=$2 code body
    shift 2
    code=$(curl -s -o "$TMP/check.body" -w '%{http_code}' --max-time 5 "$@" "$url" || true)
    body=$(cat "$TMP/check.body" 2>/dev/null || true)
    [[ "$code" == 200 ]] || die "$name: GET $url answered $code, not 200: $body"
    if [[ -n "$EXPECTED_BODY" && "$body" != "$EXPECTED_BODY" ]]; then
        die "$name: GET $url answered 200 but not the backend's body: $body"
    fi
    log "$name: GET $url -> 200 (${#body} bytes)"
}

log "temp dir $TMP"

# backend
dotnet "$BACKEND_DLL" --urls "http://127.0.0.1:$BACKEND_PORT" >"$TMP/backend.log" 2>&1 &
PID[backend]=$!
wait_http "http://127.0.0.1:$BACKEND_PORT$PATH_DIRECT"
expect_200 direct "http://127.0.0.1:$BACKEND_PORT$PATH_DIRECT"
EXPECTED_BODY=$(cat "$TMP/check.body")

# bare YARP
dotnet "$YARP_DLL" --urls "http://127.0.0.1:$YARP_PORT" --backend "http://127.0.0.1:$BACKEND_PORT" >"$TMP/yarp.log" 2>&1 &
PID[yarp]=$!
wait_http "http://127.0.0.1:$YARP_PORT$PATH_DIRECT"
expect_200 yarp "http://127.0.0.1:$YARP_PORT$PATH_DIRECT"
if has_config yarp-direct; then
    dotnet "$YARP_DLL" --urls "http://127.0.0.1:$YARP_DIRECT_PORT" --backend "http://127.0.0.1:$BACKEND_PORT" --direct true >"$TMP/yarp-direct.log" 2>&1 &
    PID[yarp-direct]=$!
    wait_http "http://127.0.0.1:$YARP_DIRECT_PORT$PATH_DIRECT"
    expect_200 yarp-direct "http://127.0.0.1:$YARP_DIRECT_PORT$PATH_DIRECT"
fi

# nginx
if has_config nginx; then
    mkdir -p "$TMP/nginx/logs" "$TMP/nginx/temp"
    sed -e "s|@PREFIX@|$TMP/nginx|g" -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" \
        -e "s|@LISTEN_PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
        "$SCRIPT_DIR/nginx.conf.template" >"$TMP/nginx/nginx.conf"
    "$NGINX_BIN" -t -q -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" \
        || die "nginx -t rejected $TMP/nginx/nginx.conf"
    "$NGINX_BIN" -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" >"$TMP/nginx.log" 2>&1 &
    PID[nginx]=$!
    wait_http "http://127.0.0.1:$NGINX_PORT$PATH_DIRECT"
    expect_200 nginx "http://127.0.0.1:$NGINX_PORT$PATH_DIRECT"
fi

# HAProxy
if has_config haproxy; then
    sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@LISTEN_PORT@|$HAPROXY_PORT|g" -e "s|@THREADS@|$HAPROXY_THREADS|g" \
        "$SCRIPT_DIR/haproxy.cfg.template" >"$TMP/haproxy.cfg"
    "$HAPROXY_BIN" -c -q -f "$TMP/haproxy.cfg" || die "haproxy -c rejected $TMP/haproxy.cfg"
    "$HAPROXY_BIN" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
    PID[haproxy]=$!
    wait_http "http://127.0.0.1:$HAPROXY_PORT$PATH_DIRECT"
    expect_200 haproxy "http://127.0.0.1:$HAPROXY_PORT$PATH_DIRECT"
fi

# Tollgate gateway with key checking:
# start_tollgate NAME GATEWAY_PORT MANAGEMENT_PORT ANALYTICS(true|false) [POLICY(none|starter) [COUNTERS(memory|redis|redis-noleases)]]
declare -A KEY=() BASE=() MGMT_TOKEN=()
# The Starter product's policy (5 calls/60 s, 100 calls/week) with limits no benchmark reaches: the same policies,
# windows and counter work per call, without refusing wrk's calls.
STARTER_POLICY='<policies><inbound><base /><rate-limit calls=\"2000000000\" renewal-period=\"60\" /><quota calls=\"2000000000\" renewal-period=\"604800\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>'
start_tollgate() {
    local name=$1 gw=$2 mgmt=$3 analytics=$4 policy=${5:-none} counters=${6:-memory} extra=${7:-}
    # Run from a copy of the build output so a rebuild of src/ during the run cannot pull the
    # files from under the running process.
    [[ -d "$TMP/tollgate-bin" ]] || cp -r "$TOLLGATE_OUT" "$TMP/tollgate-bin"
    TOLLGATE_DLL=$TMP/tollgate-bin/tollgate.dll
    if [[ "$name" == tollgate-fullb && -n "${B_OUT:-}" ]]; then
        [[ -f "$B_OUT/tollgate.dll" ]] || die "B_OUT=$B_OUT has no tollgate.dll"
        [[ -d "$TMP/tollgate-bin-b" ]] || cp -r "$B_OUT" "$TMP/tollgate-bin-b"
        TOLLGATE_DLL=$TMP/tollgate-bin-b/tollgate.dll
    fi
    TOLLGATE_DATA=$TMP/$name-data
    mkdir -p "$TOLLGATE_DATA"
    export Tollgate__Gateway__HttpUrl="http://127.0.0.1:$gw"
    export Tollgate__Gateway__HttpsUrl=""
    export Tollgate__Management__Url="http://127.0.0.1:$mgmt"
    export Tollgate__Management__HttpsUrl=""
    export Logging__LogLevel__Default=Warning
    export Tollgate__Analytics__Enabled="$analytics"
    local leases=true
    [[ "$counters" == redis-noleases ]] && counters=redis leases=false
    export Tollgate__Gateway__Counters__Provider="$counters"
    export Tollgate__Gateway__Counters__RedisLeases="$leases"
    export Tollgate__Gateway__Counters__KeyPrefix="tollgate-$name:"
    export Tollgate__Gateway__Counters__RedisConfiguration="127.0.0.1:$REDIS_PORT"
    (cd "$TMP" && exec env $extra dotnet "$TOLLGATE_DLL" run --roles gateway,management --data-dir "$TOLLGATE_DATA") >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!
    wait_http "http://127.0.0.1:$mgmt/"
    wait_http "http://127.0.0.1:$gw/"
    local TOKEN
    TOKEN=$(cd "$TMP" && dotnet "$TOLLGATE_DLL" token --data-dir "$TOLLGATE_DATA" 2>"$TMP/token.log" | tail -n 1) \
        || die "tollgate token failed: $(cat "$TMP/token.log")"
    [[ "$TOKEN" == SharedAccessSignature* ]] || die "tollgate token printed '$TOKEN', not a SharedAccessSignature"
    MGMT_TOKEN[$name]=$TOKEN

    BASE[$name]="http://127.0.0.1:$mgmt/subscriptions/bench/resourceGroups/bench/providers/Microsoft.ApiManagement/service/bench"
    # mgmt METHOD PATH [JSON]: call the management API, fail loudly on a non-2xx answer, print the body.
    mgmt() {
        local method=$1 path=$2 body=${3-} code args=()
        [[ -n "$body" ]] && args=(-H 'Content-Type: application/json' --data "$body")
        code=$(curl -s -o "$TMP/mgmt.body" -w '%{http_code}' --max-time 30 -X "$method" \
            -H "Authorization: $TOKEN" "${args[@]}" "${BASE[$name]}$path?api-version=$API_VERSION" || true)
        [[ "$code" =~ ^2 ]] || die "management $method $path answered $code: $(cat "$TMP/mgmt.body" 2>/dev/null)"
        cat "$TMP/mgmt.body"
    }
    mgmt PUT "" '{"location":"local","sku":{"name":"Developer","capacity":1},"properties":{"publisherName":"Bench","publisherEmail":"bench@example.com"}}' >/dev/null
    mgmt PUT /apis/echo "{\"properties\":{\"displayName\":\"Echo\",\"path\":\"echo\",\"serviceUrl\":\"http://127.0.0.1:$BACKEND_PORT\",\"protocols\":[\"http\"]}}" >/dev/null
    mgmt PUT /apis/echo/operations/get '{"properties":{"displayName":"Get","method":"GET","urlTemplate":"/*"}}' >/dev/null
    if [[ "$policy" == starter ]]; then
        mgmt PUT /products/starter/apis/echo '{}' >/dev/null
        mgmt PUT /products/starter/policies/policy "{\"properties\":{\"format\":\"rawxml\",\"value\":\"$STARTER_POLICY\"}}" >/dev/null
        mgmt PUT /subscriptions/bench '{"properties":{"scope":"/products/starter","displayName":"bench","state":"active"}}' >/dev/null
    else
        mgmt PUT /subscriptions/bench '{"properties":{"scope":"/apis/echo","displayName":"bench","state":"active"}}' >/dev/null
    fi
    SECRETS=$(mgmt POST /subscriptions/bench/listSecrets)
    local key
    key=$(printf '%s' "$SECRETS" | tr -d '\n' | sed -n 's/.*"primaryKey"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
    [[ -n "$key" ]] || die "listSecrets gave no primaryKey: $SECRETS"
    log "$name configured (api echo, subscription bench)"

    # The new configuration reaches the gateway as a snapshot; wait (bounded) until it serves.
    for i in $(seq 1 100); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Ocp-Apim-Subscription-Key: $key" \
            "http://127.0.0.1:$gw$PATH_DIRECT" || true)
        [[ "$code" == 200 ]] && break
        sleep 0.2
    done
    expect_200 "$name" "http://127.0.0.1:$gw$PATH_DIRECT" -H "Ocp-Apim-Subscription-Key: $key"
    # Key checking must be on: no key is a 401.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$gw$PATH_DIRECT" || true)
    [[ "$code" == 401 ]] || die "$name: GET without a subscription key answered $code, expected 401"
    log "$name: GET without a key -> 401 (key checking is on)"
    KEY[$name]=$key
}
has_config tollgate && start_tollgate tollgate "$GW_PORT" "$MGMT_PORT" false
has_config tollgate-log && start_tollgate tollgate-log "$GW_LOG_PORT" "$MGMT_LOG_PORT" true
has_config tollgate-starter && start_tollgate tollgate-starter "$GW_STARTER_PORT" "$MGMT_STARTER_PORT" false starter memory
if uses_redis; then
    command -v redis-server >/dev/null 2>&1 || die "the Redis configurations need redis-server (apt-get install redis-server)"
    mkdir -p "$TMP/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP/redis" --daemonize no >"$TMP/redis.log" 2>&1 &
    PID[redis]=$!
    for i in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    has_config tollgate-starter-redis && start_tollgate tollgate-starter-redis "$GW_REDIS_PORT" "$MGMT_REDIS_PORT" false starter redis
    has_config tollgate-starter-redis-noleases && start_tollgate tollgate-starter-redis-noleases "$GW_REDIS2_PORT" "$MGMT_REDIS2_PORT" false starter redis-noleases
    has_config tollgate-full && start_tollgate tollgate-full "$GW_FULL_PORT" "$MGMT_FULL_PORT" true starter redis "${A_ENV:-}"
    has_config tollgate-fullb && start_tollgate tollgate-fullb "$GW_FULLB_PORT" "$MGMT_FULLB_PORT" true starter redis "${B_ENV:-}"
fi

# ---------------------------------------------------------------- measuring
url_of() {
    case "$1" in
        direct) echo "http://127.0.0.1:$BACKEND_PORT$PATH_DIRECT" ;;
        yarp) echo "http://127.0.0.1:$YARP_PORT$PATH_DIRECT" ;;
        yarp-direct) echo "http://127.0.0.1:$YARP_DIRECT_PORT$PATH_DIRECT" ;;
        nginx) echo "http://127.0.0.1:$NGINX_PORT$PATH_DIRECT" ;;
        haproxy) echo "http://127.0.0.1:$HAPROXY_PORT$PATH_DIRECT" ;;
        tollgate-full) echo "http://127.0.0.1:$GW_FULL_PORT$PATH_DIRECT" ;;
        tollgate-fullb) echo "http://127.0.0.1:$GW_FULLB_PORT$PATH_DIRECT" ;;
        tollgate) echo "http://127.0.0.1:$GW_PORT$PATH_DIRECT" ;;
        tollgate-log) echo "http://127.0.0.1:$GW_LOG_PORT$PATH_DIRECT" ;;
        tollgate-starter) echo "http://127.0.0.1:$GW_STARTER_PORT$PATH_DIRECT" ;;
        tollgate-starter-redis) echo "http://127.0.0.1:$GW_REDIS_PORT$PATH_DIRECT" ;;
        tollgate-starter-redis-noleases) echo "http://127.0.0.1:$GW_REDIS2_PORT$PATH_DIRECT" ;;
    esac
}
# The processes whose CPU is "proxy CPU" for a configuration (nginx: master and workers).
proxy_pids() {
    case "$1" in
        direct) ;;
        yarp) echo "${PID[yarp]}" ;;
        yarp-direct) echo "${PID[yarp-direct]}" ;;
        nginx) echo "${PID[nginx]}" $(pgrep -P "${PID[nginx]}" || true) ;;
        haproxy) echo "${PID[haproxy]}" ;;
        tollgate|tollgate-log|tollgate-starter) echo "${PID[$1]}" ;;
        # Redis does the counting for this one: its CPU is part of the cost.
        tollgate-starter-redis|tollgate-starter-redis-noleases|tollgate-full|tollgate-fullb) echo "${PID[$1]}" "${PID[redis]}" ;;
    esac
}
# utime+stime (clock ticks) summed over the given pids.
cpu_ticks() {
    local total=0 p rest
    local -a f
    for p in "$@"; do
        rest=$(cat "/proc/$p/stat" 2>/dev/null) || die "process $p is gone"
        rest=${rest##*) }          # fields after "(comm) "; field 3 (state) is first
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))   # utime = field 14, stime = field 15
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

NCPU=$(nproc)
# Busy ticks of the whole machine (user nice system irq softirq steal) from /proc/stat.
machine_busy_ticks() {
    local _cpu u n s idle iow irq sirq steal _rest
    read -r _cpu u n s idle iow irq sirq steal _rest </proc/stat
    echo $((u + n + s + irq + sirq + steal))
}
# Every process this run started (the idle ones too), for "CPU used by other processes".
bench_pids() {
    local name
    for name in "${!PID[@]}"; do echo "${PID[$name]}"; done
    [[ -n "${PID[nginx]:-}" ]] && pgrep -P "${PID[nginx]}" || true
}

# run_wrk CONFIG THREADS CONNECTIONS DURATION
#   -> prints "requests rps p50_us p99_us cpu_us_per_req non2xx socket_errors other_cpu_pct"
# other_cpu_pct: share of the machine (all cores) used during the window by processes that are
# neither wrk nor started by this run: the noise a shared machine adds.
run_wrk() {
    local cfg=$1 t=$2 c=$3 d=$4 pids before=0 after=0 out line hdr=() all all0 all1 sys0 sys1 t0 t1
    if [[ -n "${KEY[$cfg]:-}" ]]; then
        hdr=(-H "Ocp-Apim-Subscription-Key: ${KEY[$cfg]}")
    elif [[ "$SAME_REQUEST" == 1 && "$cfg" != direct ]]; then
        # The same request to every proxy: a client of an nginx- or YARP-based gateway sends its key too (they
        # forward it; Tollgate checks it and removes it). A key of the same length as Tollgate's.
        hdr=(-H "Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef")
    fi
    pids=$(proxy_pids "$cfg")
    all=$(bench_pids)
    # shellcheck disable=SC2086
    [[ -n "$pids" ]] && before=$(cpu_ticks $pids)
    # shellcheck disable=SC2086
    all0=$(cpu_ticks $all); sys0=$(machine_busy_ticks); t0=$(date +%s%N)
    # `times` in the same subshell reports wrk's own CPU (children user and system time).
    out=$(wrk -t"$t" -c"$c" -d"$d" --latency -s "$SCRIPT_DIR/stats.lua" "${hdr[@]}" "$(url_of "$cfg")" 2>&1 || echo "WRK_FAILED"; times)
    # shellcheck disable=SC2086
    t1=$(date +%s%N); sys1=$(machine_busy_ticks); all1=$(cpu_ticks $all)
    # shellcheck disable=SC2086
    [[ -n "$pids" ]] && after=$(cpu_ticks $pids)
    grep -q '^WRK_FAILED' <<<"$out" && die "wrk failed for $cfg: $out"
    line=$(grep '^BENCH ' <<<"$out") || die "wrk printed no BENCH line for $cfg: $out"
    local requests duration_us p50 p99 non2xx sockerr wrk_s
    requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
    duration_us=$(sed -n 's/.* duration_us=\([0-9]*\).*/\1/p' <<<"$line")
    p50=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$line")
    p99=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<<"$line")
    non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
    sockerr=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$line")
    ((requests > 0)) || die "wrk made no requests against $cfg: $out"
    # last line of `times`: children user and system time, e.g. "0m1.234s 0m0.567s"
    wrk_s=$(tail -n 1 <<<"$out" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } printf "%.3f", s }')
    local cpu=NA
    if [[ -n "$pids" ]]; then
        cpu=$(awk -v b="$before" -v a="$after" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.2f", (a - b) * 1e6 / hz / n }')
    fi
    local rps other
    rps=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN { printf "%.1f", n * 1e6 / d }')
    other=$(awk -v s0="$sys0" -v s1="$sys1" -v a0="$all0" -v a1="$all1" -v w="$wrk_s" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" -v ncpu="$NCPU" \
        'BEGIN { o = (s1 - s0) - (a1 - a0) - w * hz; if (o < 0) o = 0; printf "%.1f", 100 * o / ((t1 - t0) / 1e9 * hz * ncpu) }')
    echo "$requests $rps $p50 $p99 $cpu $non2xx $sockerr $other"
}

RAW=$TMP/raw.tsv
printf 'phase\trep\tconfig\trequests\trps\tp50_us\tp99_us\tcpu_us_per_req\tnon2xx\tsocket_errors\tother_cpu_pct\n' >"$RAW"

log "load before measuring: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min); other busy processes skew the numbers"

for cfg in $CONFIGS; do
    log "warming $cfg for $WARMUP"
    run_wrk "$cfg" "$THREADS" "$CONNECTIONS" "$WARMUP" >/dev/null
done

for rep in $(seq 1 "$REPS"); do
    for cfg in $CONFIGS; do
        r=$(run_wrk "$cfg" "$THREADS" "$CONNECTIONS" "$DURATION")
        read -r n rps p50 p99 cpu non2xx sockerr other <<<"$r"
        printf 'load\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$n" "$rps" "$p50" "$p99" "$cpu" "$non2xx" "$sockerr" "$other" >>"$RAW"
        log "rep $rep/$REPS $cfg: $rps req/s, p50 ${p50} us, p99 ${p99} us, proxy CPU $cpu us/req, non-2xx $non2xx, socket errors $sockerr, other processes ${other}% CPU"
    done
done

for rep in $(seq 1 "$REPS"); do
    for cfg in $CONFIGS; do
        r=$(run_wrk "$cfg" 1 1 "$LAT_DURATION")
        read -r n rps p50 p99 cpu non2xx sockerr other <<<"$r"
        printf 'single\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$n" "$rps" "$p50" "$p99" "$cpu" "$non2xx" "$sockerr" "$other" >>"$RAW"
        log "one connection, rep $rep/$REPS $cfg: p50 ${p50} us, p99 ${p99} us, $rps req/s, other processes ${other}% CPU"
    done
done

# ---------------------------------------------------------------- request-log count check
# The reports of the tollgate-log instance must count exactly the calls wrk made in one more loaded window.
COUNT_LINE=""
if has_config tollgate-log; then
    # Sum of callCountTotal over byApi for all time, once the writer has stored everything (two equal reads).
    report_total() {
        curl -s --max-time 30 -G -H "Authorization: ${MGMT_TOKEN[tollgate-log]}" \
            --data-urlencode "\$filter=timestamp ge datetime'2000-01-01T00:00:00Z' and timestamp le datetime'2100-01-01T00:00:00Z'" \
            --data-urlencode "api-version=$API_VERSION" "${BASE[tollgate-log]}/reports/byApi" \
            | python3 -c 'import json,sys; print(sum(r["callCountTotal"] for r in json.load(sys.stdin)["value"]))'
    }
    settled_total() {
        local prev=-1 now i
        for i in $(seq 1 30); do
            now=$(report_total) || die "reports/byApi failed on tollgate-log"
            [[ "$now" == "$prev" ]] && { echo "$now"; return; }
            prev=$now
            sleep 1
        done
        die "the tollgate-log reports kept changing for 30 s"
    }
    # The gateway's own count of the calls it handled (the process's /metrics, served on the management listener),
    # a second witness beside wrk's.
    gateway_count() {
        curl -s --max-time 30 "http://127.0.0.1:$MGMT_LOG_PORT/metrics" \
            | awk '/^tollgate_gateway_requests_total\{/ && /api="echo"/ { s += $NF } END { printf "%d", s }'
    }
    before=$(settled_total)
    handled_before=$(gateway_count)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$SCRIPT_DIR/count.lua" -H "Ocp-Apim-Subscription-Key: ${KEY[tollgate-log]}" "$(url_of tollgate-log)" 2>&1) \
        || die "wrk failed for the count check: $out"
    made=$(sed -n 's/^COUNT made=\([0-9]*\).*/\1/p' <<<"$out")
    completed=$(sed -n 's/^COUNT .*completed=\([0-9]*\).*/\1/p' <<<"$out")
    after=$(settled_total)
    handled=$(( $(gateway_count) - handled_before ))
    counted=$((after - before))
    verdict=$([[ "$counted" == "$handled" ]] && echo "equal" || echo "NOT equal")
    COUNT_LINE="Request-log count check (wrk -t$THREADS -c$CONNECTIONS -d$DURATION on tollgate-log): wrk wrote $made requests and saw $completed answered before it stopped; the gateway handled $handled (its /metrics); the reports count $counted: $verdict to what the gateway handled$([[ "$made" != "$handled" ]] && echo "; the $((made - handled)) written but never handled were cut off by wrk closing its sockets at the end")."
    log "$COUNT_LINE"
fi

# ---------------------------------------------------------------- report
gc_mode() {
    local rc=$1
    case "${DOTNET_gcServer:-}" in 1) echo "server (DOTNET_gcServer=1)"; return ;; 0) echo "workstation (DOTNET_gcServer=0)"; return ;; esac
    if grep -q '"System.GC.Server": true' "$rc" 2>/dev/null; then echo server; else echo workstation; fi
}
DATE=$(date +%Y-%m-%d)
STAMP=$(date +%Y-%m-%dT%H:%M:%S%z)
TABLE=$(awk -F'\t' -v configs="$CONFIGS" '
function median(key,   n, i, j, t, a) {
    n = cnt[key]
    for (i = 1; i <= n; i++) a[i] = val[key, i]
    for (i = 2; i <= n; i++) { t = a[i]; j = i - 1; while (j >= 1 && a[j] > t) { a[j + 1] = a[j]; j-- } a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
NR == 1 { next }
{
    phase = $1; rep = $2; cfg = $3
    if (phase == "load") {
        add(cfg SUBSEP "rps", $5); add(cfg SUBSEP "p50", $6); add(cfg SUBSEP "p99", $7)
        if ($8 != "NA") add(cfg SUBSEP "cpu", $8)
        rps[rep, cfg] = $5
        bad[cfg] += $9 + $10
    } else {
        add(cfg SUBSEP "sp50", $6)
        bad[cfg] += $9 + $10
    }
    add("other" SUBSEP phase, $11)
    if ($11 + 0 > othermax[phase]) othermax[phase] = $11 + 0
}
END {
    ncfg = split(configs, order, " ")
    # ratio to bare YARP: per repetition (same round), then the median
    for (k = 1; k <= ncfg; k++) {
        cfg = order[k]
        for (r = 1; (r, cfg) in rps; r++) add(cfg SUBSEP "ratio", rps[r, cfg] / rps[r, "yarp"])
    }
    dkey = "direct" SUBSEP "sp50"
    direct_sp50 = (dkey in cnt) ? median(dkey) : ""
    print "| config | req/s | ratio to bare YARP | p50 | p99 | proxy CPU µs/req | p50 at 1 connection |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    names["direct"] = "direct (backend)"; names["yarp"] = "bare YARP 2.3"; names["yarp-direct"] = "YARP direct forwarding (no routing, no proxy pipeline)"; names["nginx"] = "nginx"; names["tollgate"] = "Tollgate (key check)"; names["tollgate-log"] = "Tollgate (key check + request log)"; names["tollgate-starter"] = "Tollgate + Starter policies (in-process counters)"; names["tollgate-starter-redis"] = "Tollgate + Starter policies (Redis counters)"; names["tollgate-starter-redis-noleases"] = "Tollgate + Starter policies (Redis counters, no leases: every call in Redis)"; names["haproxy"] = "HAProxy"; names["tollgate-full"] = "Tollgate full (key check, Starter on Redis, request log, metrics)"; names["tollgate-fullb"] = "Tollgate full, B_ENV"
    for (k = 1; k <= ncfg; k++) {
        cfg = order[k]
        ckey = cfg SUBSEP "cpu"
        cpu = (ckey in cnt) ? sprintf("%.1f", median(ckey)) : "—"
        sp = median(cfg SUBSEP "sp50")
        single = sprintf("%d µs", sp)
        if (direct_sp50 != "" && cfg != "direct") single = single sprintf(" (+%d)", sp - direct_sp50)
        flag = bad[cfg] > 0 ? sprintf(" ⚠ %d errors", bad[cfg]) : ""
        printf "| %s%s | %.0f | %.2f | %.2f ms | %.2f ms | %s | %s |\n", names[cfg], flag, median(cfg SUBSEP "rps"), median(cfg SUBSEP "ratio"), median(cfg SUBSEP "p50") / 1000, median(cfg SUBSEP "p99") / 1000, cpu, single
    }
    print ""
    tkey = "tollgate" SUBSEP "ratio"
    if (tkey in cnt) {
        r = median(tkey)
        printf "Target Tollgate ≥ 0.90× bare YARP req/s: %.2f, %s.", r, (r >= 0.9 ? "met" : "NOT met")
        if (("tollgate" SUBSEP "cpu") in cnt && ("yarp" SUBSEP "cpu") in cnt)
            printf " Tollgate CPU per request ÷ bare YARP: %.2f.", median("tollgate" SUBSEP "cpu") / median("yarp" SUBSEP "cpu")
        print ""
    }
    if (("tollgate-log" SUBSEP "ratio") in cnt && ("tollgate" SUBSEP "ratio") in cnt) {
        for (r = 1; (r, "tollgate-log") in rps; r++) add("logcost", rps[r, "tollgate-log"] / rps[r, "tollgate"])
        c = median("logcost")
        printf "Request log (analytics) on ÷ off, same repetition: %.3f (cost %.1f%% of throughput; target < 5%%: %s).", c, 100 * (1 - c), (1 - c < 0.05 ? "met" : "NOT met")
        if (("tollgate-log" SUBSEP "cpu") in cnt && ("tollgate" SUBSEP "cpu") in cnt)
            printf " CPU per request on ÷ off: %.2f.", median("tollgate-log" SUBSEP "cpu") / median("tollgate" SUBSEP "cpu")
        print ""
    }
    for (k = 1; k <= 3; k++) {
        sc = (k == 1) ? "tollgate-starter" : (k == 2) ? "tollgate-starter-redis" : "tollgate-starter-redis-noleases"
        if (!((sc SUBSEP "ratio") in cnt) || !(("tollgate" SUBSEP "ratio") in cnt)) continue
        for (r = 1; (r, sc) in rps; r++) add(sc SUBSEP "vsnone", rps[r, sc] / rps[r, "tollgate"])
        c = median(sc SUBSEP "vsnone")
        printf "%s ÷ the same API without policies, same repetition: %.3f (target ≥ 0.9: %s).", names[sc], c, (c >= 0.9 ? "met" : "NOT met")
        if ((sc SUBSEP "cpu") in cnt && ("tollgate" SUBSEP "cpu") in cnt)
            printf " CPU per request ÷ without policies: %.2f%s.", median(sc SUBSEP "cpu") / median("tollgate" SUBSEP "cpu"), (sc ~ /redis/ ? " (gateway + redis-server)" : "")
        print ""
    }
    if (("tollgate-full" SUBSEP "ratio") in cnt) {
        r = median("tollgate-full" SUBSEP "ratio")
        printf "Tollgate full ÷ bare YARP, same repetition: %.2f (target ≥ 1.0: %s).", r, (r >= 1.0 ? "met" : "NOT met")
        if (("tollgate-full" SUBSEP "cpu") in cnt && ("nginx" SUBSEP "cpu") in cnt) {
            c = median("tollgate-full" SUBSEP "cpu") / median("nginx" SUBSEP "cpu")
            printf " CPU per request ÷ nginx: %.2f (gateway + redis-server; target ≤ 1.5: %s).", c, (c <= 1.5 ? "met" : "NOT met")
        }
        if (("tollgate-full" SUBSEP "cpu") in cnt && ("haproxy" SUBSEP "cpu") in cnt)
            printf " ÷ HAProxy: %.2f.", median("tollgate-full" SUBSEP "cpu") / median("haproxy" SUBSEP "cpu")
        print ""
    }
    if (("tollgate-fullb" SUBSEP "ratio") in cnt && ("tollgate-full" SUBSEP "ratio") in cnt) {
        for (r = 1; (r, "tollgate-fullb") in rps; r++) add("ab", rps[r, "tollgate-fullb"] / rps[r, "tollgate-full"])
        printf "B ÷ A (tollgate-fullb ÷ tollgate-full), same repetition: req/s %.3f", median("ab")
        if (("tollgate-fullb" SUBSEP "cpu") in cnt && ("tollgate-full" SUBSEP "cpu") in cnt)
            printf ", CPU per request %.3f", median("tollgate-fullb" SUBSEP "cpu") / median("tollgate-full" SUBSEP "cpu")
        print "."
    }
    if (("tollgate" SUBSEP "ratio") in cnt) {
        r = median("tollgate" SUBSEP "ratio")
        printf "Key check alone ÷ bare YARP: %.2f (target ≥ 1.1: %s).\n", r, (r >= 1.1 ? "met" : "NOT met")
    }
    ol = median("other" SUBSEP "load"); os = median("other" SUBSEP "single")
    printf "Other processes on the machine used a median %.1f%% (max %.1f%%) of its CPU during the loaded windows, %.1f%% (max %.1f%%) during the one-connection windows%s\n", ol, othermax["load"], os, othermax["single"], (ol > 5 || os > 5 ? ": noisy run, trust the ratios and CPU per request more than req/s and latency." : ".")
}' "$RAW")

mkdir -p "$RESULTS_DIR"
OUT=$RESULTS_DIR/gateway-$DATE.md
[[ -e "$OUT" ]] && OUT=$RESULTS_DIR/gateway-$(date +%Y-%m-%d-%H%M%S).md
{
    echo "# Gateway benchmark, $STAMP"
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr)."
    echo "Tools: $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /'), $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //')$(has_config haproxy && "$HAPROXY_BIN" -v 2>&1 | head -n1 | sed 's/^/, /;s/ - .*//'), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)."
    echo "GC: backend $(gc_mode "${BACKEND_DLL%.dll}.runtimeconfig.json"), bare YARP $(gc_mode "${YARP_DLL%.dll}.runtimeconfig.json")$(uses_tollgate && echo ", Tollgate $(gc_mode "$TMP/tollgate-bin/tollgate.runtimeconfig.json")"); nginx worker_processes $NGINX_WORKERS."
    echo "Build: repo $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)')$(uses_tollgate && echo ", tollgate.dll built $(date -r "$TOLLGATE_OUT/tollgate.dll" +%Y-%m-%dT%H:%M:%S%z)")."
    echo "Load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $REPS interleaved repetitions ($CONFIGS), each configuration warmed $WARMUP first; medians."
    echo "1 connection: wrk -t1 -c1 -d$LAT_DURATION, $REPS interleaved repetitions, median p50 (in brackets: added to direct)."
    echo "Ratio: median over repetitions of req/s ÷ bare YARP req/s in the same repetition."
    echo "Proxy CPU: utime+stime of the proxy process(es) from /proc/<pid>/stat over the window ÷ requests."
    if [[ "$SAME_REQUEST" == 1 ]]; then
        echo "Request: GET $PATH_DIRECT, ~${#EXPECTED_BODY}-byte JSON answer; every proxy gets an Ocp-Apim-Subscription-Key header (SAME_REQUEST=1)."
    else
        echo "Request: GET $PATH_DIRECT, ~${#EXPECTED_BODY}-byte JSON answer; only Tollgate's carry Ocp-Apim-Subscription-Key (SAME_REQUEST=0)."
    fi
    echo
    echo "$TABLE"
    [[ -n "$COUNT_LINE" ]] && echo "$COUNT_LINE"
    echo
    echo "<details><summary>raw windows</summary>"
    echo
    echo '```'
    column -t -s $'\t' "$RAW" 2>/dev/null || cat "$RAW"
    echo '```'
    echo
    echo "</details>"
} >"$OUT"

echo
cat "$OUT"
echo
log "saved $OUT"
