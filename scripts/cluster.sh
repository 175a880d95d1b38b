#!/usr/bin/env bash
# Tollgate's scale-out topology on this machine, every piece on loopback:
#   PostgreSQL (initdb into the state folder), Redis, Azurite (blob storage for Studio),
#   two management nodes on the PostgreSQL, three gateways long-polling management through nginx with their
#   counters in Redis, two Studio nodes, and nginx balancing the gateways, the management nodes and the Studio
#   nodes on three ports (deploy/nginx/loopback.conf.template, the file the cluster tests render too);
#   the tutorial loaded through the balancer (tollgate tutorial, the demo's own code).
#
# Usage: scripts/cluster.sh up|down|status
#   up      builds tollgate once (dotnet publish into the state folder; BUILD=0 reuses it), starts everything,
#           loads the tutorial and prints the URLs and the administrator credential
#   down    stops every process by its pid file (the state folder is kept: up again starts from it)
#   status  each process: pid, alive or not, and its health (/health/ready for Tollgate's roles)
#
# Environment (defaults in brackets):
#   TOLLGATE_CLUSTER_DIR [<repo>/.cluster]   state: data folders, logs, pid files, the published binary
#   TOLLGATE_CLUSTER_PORT [7100]             ports BASE .. BASE+42 on 127.0.0.1 (the table below)
#   BUILD [1]                                0: use the binary published by an earlier up
#   TOLLGATE_CLUSTER_APP [<state>/app]       where tollgate.dll is (published there by up; or a build output with BUILD=0)
#   STUDIO_TOKEN [read by tollgate studio-token]  Studio's workspace token, for the tutorial's Part 1 in Studio
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TOLLGATE_CLUSTER_DIR:-$repo/.cluster}"
base="${TOLLGATE_CLUSTER_PORT:-7100}"
app="${TOLLGATE_CLUSTER_APP:-$state/app}"
pids="$state/pids"
logs="$state/logs"

# Ports: engines, then the balancer, then the nodes of each role.
postgres_port=$((base + 0))
redis_port=$((base + 1))
azurite_port=$((base + 2))
nginx_gateway_port=$((base + 10))
nginx_management_port=$((base + 11))
nginx_studio_port=$((base + 12))
management_ports=($((base + 21)) $((base + 22)))
gateway_ports=($((base + 31)) $((base + 32)) $((base + 33)))
studio_ports=($((base + 41)) $((base + 42)))

# The well-known Azurite development account (public, documented by Microsoft).
azurite_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# as_postgres CMD...: PostgreSQL refuses to run as root; under root its tools run as the postgres user.
as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_bin() {
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/postgres" ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)"
    printf '%s\n' "$dir"
}

alive() { [[ -f "$pids/$1.pid" ]] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null; }

# start NAME CMD...: runs CMD in the background, in a session of its own, its output in logs/NAME.log.
start() {
    local name=$1
    shift
    if alive "$name"; then
        log "$name is already running (pid $(cat "$pids/$name.pid"))"
        return 0
    fi
    nohup setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
    echo $! >"$pids/$name.pid"
}

# wait_ready NAME URL: polls until URL answers 200, at most 60 s.
wait_ready() {
    local name=$1 url=$2 i
    for i in $(seq 1 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true) == 200 ]] && return 0
        alive "$name" || { tail -n 30 "$logs/$name.log" >&2; die "$name exited during start-up (log: $logs/$name.log)"; }
        sleep 0.2
    done
    tail -n 30 "$logs/$name.log" >&2
    die "$name did not answer 200 on $url within 60 s"
}

build() {
    if [[ "${BUILD:-1}" != 1 && -f "$app/tollgate.dll" ]]; then
        return 0
    fi
    log "publishing tollgate (Release) into $app"
    dotnet publish "$repo/src/Tollgate/Tollgate.csproj" -c Release -o "$app" -nologo -v q >"$logs/publish.log" 2>&1 \
        || { tail -n 30 "$logs/publish.log" >&2; die "dotnet publish failed"; }
}

tollgate() { dotnet "$app/tollgate.dll" "$@"; }

start_postgres() {
    # Everything PostgreSQL writes (cluster, socket, log) in one folder of its own, owned by postgres under root.
    local bin dir="$state/postgres"
    bin=$(pg_bin)
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        log "initdb $dir/data"
        mkdir -p "$dir"
        if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
        as_postgres mkdir -p "$dir/data" "$dir/sock"
        as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-instructions >"$logs/initdb.log" 2>&1 \
            || { cat "$logs/initdb.log" >&2; die "initdb failed"; }
    fi
    if ! alive postgres; then
        as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $postgres_port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null \
            || { tail -n 30 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
        head -n 1 "$dir/data/postmaster.pid" >"$pids/postgres.pid"
    fi
    local db
    for db in tollgate tollgate_studio; do
        if ! as_postgres "$bin/psql" -h 127.0.0.1 -p "$postgres_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
            as_postgres "$bin/psql" -h 127.0.0.1 -p "$postgres_port" -U postgres -qc "CREATE DATABASE $db" >/dev/null
        fi
    done
}

start_nginx() {
    local dir="$state/nginx" conf
    mkdir -p "$dir"
    conf="$dir/nginx.conf"
    local IFS=,
    python3 "$repo/scripts/lib/render_nginx.py" "$repo/deploy/nginx/loopback.conf.template" "$conf" "$dir" \
        "$nginx_gateway_port" "$nginx_management_port" "$nginx_studio_port" \
        "${gateway_ports[*]}" "${management_ports[*]}" "${studio_ports[*]}"
    unset IFS
    if ! alive nginx; then
        nginx -p "$dir" -c "$conf" -e "$dir/nginx-error.log" -t >"$logs/nginx.log" 2>&1 || { cat "$logs/nginx.log" >&2; die "nginx refused its configuration"; }
        nginx -p "$dir" -c "$conf" -e "$dir/nginx-error.log" >>"$logs/nginx.log" 2>&1 || { cat "$logs/nginx.log" >&2; die "nginx did not start"; }
        cp "$dir/nginx.pid" "$pids/nginx.pid"
    fi
}

up() {
    command -v dotnet >/dev/null || die "the .NET 10 SDK is required"
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || die "nginx is required (apt-get install nginx)"
    command -v redis-server >/dev/null || die "redis-server is required (apt-get install redis-server)"
    command -v curl >/dev/null || die "curl is required"
    export PATH="$PATH:/usr/sbin"
    mkdir -p "$state" "$pids" "$logs"
    # Traversable (PostgreSQL's own folder inside runs as postgres under root), not listable; the secrets in it are 0600
    # and every node makes its data folder 0700.
    chmod 0711 "$state"
    build

    # One secrets key for every node (it decrypts stored secrets), kept in the state folder.
    if [[ ! -f "$state/secrets.key" ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$state/secrets.key")
    fi
    local secrets
    secrets=$(cat "$state/secrets.key")
    local store="Host=127.0.0.1;Port=$postgres_port;Username=postgres;Database=tollgate"
    local studio_store="Host=127.0.0.1;Port=$postgres_port;Username=postgres;Database=tollgate_studio"
    local blobs="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$azurite_key;BlobEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;"

    log "PostgreSQL on 127.0.0.1:$postgres_port"
    start_postgres
    log "Redis on 127.0.0.1:$redis_port"
    mkdir -p "$state/redis"
    start redis redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$state/redis"
    log "Azurite on 127.0.0.1:$azurite_port"
    # shellcheck source=scripts/lib/azurite.sh
    source "$repo/scripts/lib/azurite.sh"
    install_azurite
    mkdir -p "$state/azurite"
    start azurite "$AZURITE_BLOB" --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$state/azurite" --skipApiVersionCheck --disableTelemetry

    # Every role's settings as environment variables (the names of the configuration reference, ':' written '__').
    local common=(env "Tollgate__Secrets__Key=$secrets" "Tollgate__Management__HttpsUrl=" "Tollgate__Gateway__HttpsUrl=" "Logging__LogLevel__Default=Warning")
    local management_env=("${common[@]}" "Tollgate__Store__Provider=postgres" "Tollgate__Store__ConnectionString=$store"
        "Tollgate__Gateway__HttpUrl=" "Tollgate__Management__GatewayUrl=http://127.0.0.1:$nginx_gateway_port")
    local i port
    for i in "${!management_ports[@]}"; do
        port=${management_ports[$i]}
        log "management$((i + 1)) on 127.0.0.1:$port"
        start "management$((i + 1))" "${management_env[@]}" "Tollgate__Management__Url=http://127.0.0.1:$port" \
            dotnet "$app/tollgate.dll" run --roles management --data-dir "$state/management$((i + 1))"
        # The first node creates the schema; the next start on it.
        if ((i == 0)); then wait_ready management1 "http://127.0.0.1:$port/health/ready"; fi
    done
    for i in "${!management_ports[@]}"; do
        wait_ready "management$((i + 1))" "http://127.0.0.1:${management_ports[$i]}/health/ready"
    done

    # The administrator's token (30 days) for the gateways and the tutorial, signed with the key in PostgreSQL.
    local token
    token=$("${management_env[@]}" dotnet "$app/tollgate.dll" token --data-dir "$state/management1" --lifetime 30.00:00:00)
    (umask 077 && printf '%s\n' "$token" >"$state/token")

    log "nginx: gateways 127.0.0.1:$nginx_gateway_port, management 127.0.0.1:$nginx_management_port, Studio 127.0.0.1:$nginx_studio_port"
    start_nginx

    for i in "${!gateway_ports[@]}"; do
        port=${gateway_ports[$i]}
        log "gateway$((i + 1)) on 127.0.0.1:$port"
        start "gateway$((i + 1))" "${common[@]}" "Tollgate__Gateway__HttpUrl=http://127.0.0.1:$port" \
            "Tollgate__Gateway__ManagementUrl=http://127.0.0.1:$nginx_management_port" "Tollgate__Gateway__ManagementToken=$token" \
            "Tollgate__Gateway__Counters__Provider=redis" "Tollgate__Gateway__Counters__RedisConfiguration=127.0.0.1:$redis_port" \
            dotnet "$app/tollgate.dll" run --roles gateway --data-dir "$state/gateway$((i + 1))"
    done
    for i in "${!studio_ports[@]}"; do
        port=${studio_ports[$i]}
        log "studio$((i + 1)) on 127.0.0.1:$port"
        start "studio$((i + 1))" "${common[@]}" "Tollgate__Studio__Url=http://127.0.0.1:$port" \
            "Tollgate__Studio__PublicUrl=http://127.0.0.1:$nginx_studio_port" \
            "Tollgate__Studio__Store__Provider=postgres" "Tollgate__Studio__Store__ConnectionString=$studio_store" \
            "Tollgate__Studio__DefaultStorageConnectionString=$blobs" \
            dotnet "$app/tollgate.dll" run --roles studio --data-dir "$state/studio$((i + 1))"
    done
    for i in "${!studio_ports[@]}"; do
        wait_ready "studio$((i + 1))" "http://127.0.0.1:${studio_ports[$i]}/health/ready"
    done
    # Studio's workspace token, read from the store the Studio nodes share (with their settings), for Part 1.
    local studio_token="${STUDIO_TOKEN:-}"
    if [[ -z "$studio_token" ]]; then
        studio_token=$(env "Tollgate__Secrets__Key=$secrets" "Tollgate__Studio__Store__Provider=postgres" \
            "Tollgate__Studio__Store__ConnectionString=$studio_store" "Tollgate__Studio__DefaultStorageConnectionString=$blobs" \
            dotnet "$app/tollgate.dll" studio-token --data-dir "$state/studio1" | tail -n 1) || die "reading Studio's workspace token failed"
    fi

    # The tutorial before the gateways' readiness: a gateway is ready once it serves an instance, and there is none before it.
    log "loading the tutorial through the balancers (tollgate tutorial): Part 1 in Studio, Part 2 in API management"
    tollgate tutorial --management-url "http://127.0.0.1:$nginx_management_port" --token "$token" \
        --studio-url "http://127.0.0.1:$nginx_studio_port" --protocols http,https --studio-token "$studio_token" >"$state/tutorial.txt" \
        || die "loading the tutorial failed"

    for i in "${!gateway_ports[@]}"; do
        wait_ready "gateway$((i + 1))" "http://127.0.0.1:${gateway_ports[$i]}/health/ready"
    done

    local service="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tollgate/providers/Microsoft.ApiManagement/service/demoazureml"
    local credentials
    credentials=$(curl -s -X POST -H "Authorization: $token" -H 'Content-Length: 0' \
        "http://127.0.0.1:$nginx_management_port$service/tenant/access/listSecrets?api-version=2022-08-01")
    cat <<EOF

Tollgate cluster is running (state: $state)
  Gateways (nginx)     http://127.0.0.1:$nginx_gateway_port   nodes: ${gateway_ports[*]}
  Management (nginx)   http://127.0.0.1:$nginx_management_port$service?api-version=2022-08-01   nodes: ${management_ports[*]}
  Studio (nginx)       http://127.0.0.1:$nginx_studio_port   nodes: ${studio_ports[*]}
  PostgreSQL           Host=127.0.0.1;Port=$postgres_port;Username=postgres (databases tollgate, tollgate_studio)
  Redis                127.0.0.1:$redis_port
  Azurite (blobs)      http://127.0.0.1:$azurite_port/devstoreaccount1
Administrator credential (tenant access): $credentials
Management API token (Authorization header, 30 days; also in $state/token):
$token
$(cat "$state/tutorial.txt")
Try it:  curl -H "Ocp-Apim-Subscription-Key: <the Starter key above>" http://127.0.0.1:$nginx_gateway_port/azureml-demo/...
Stop:    scripts/cluster.sh down      Status: scripts/cluster.sh status
EOF
}

# The processes in the order they are stopped (nodes first, engines last).
names() {
    local i
    for i in "${!gateway_ports[@]}"; do echo "gateway$((i + 1))"; done
    for i in "${!studio_ports[@]}"; do echo "studio$((i + 1))"; done
    echo nginx
    for i in "${!management_ports[@]}"; do echo "management$((i + 1))"; done
    echo azurite redis postgres | tr ' ' '\n'
}

down() {
    local name pid i
    [[ -d "$pids" ]] || { log "nothing to stop ($pids does not exist)"; return 0; }
    for name in $(names); do
        [[ -f "$pids/$name.pid" ]] || continue
        pid=$(cat "$pids/$name.pid")
        if kill -0 "$pid" 2>/dev/null; then
            log "stopping $name (pid $pid)"
            # PostgreSQL: SIGINT is its fast shutdown; nginx: SIGQUIT lets requests finish; the rest: SIGTERM.
            case "$name" in
                postgres) kill -INT "$pid" ;;
                nginx) kill -QUIT "$pid" ;;
                *) kill -TERM "$pid" ;;
            esac
            for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            if kill -0 "$pid" 2>/dev/null; then
                log "$name did not stop within 20 s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        rm -f "$pids/$name.pid"
    done
}

health() {
    local name=$1
    case "$name" in
        postgres) as_postgres "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$postgres_port" && echo ready || echo "not ready" ;;
        redis) [[ $(redis-cli -p "$redis_port" ping 2>/dev/null) == PONG ]] && echo ready || echo "not ready" ;;
        azurite) curl -s -o /dev/null -w 'answers (HTTP %{http_code} without a key)' --max-time 2 "http://127.0.0.1:$azurite_port/devstoreaccount1?comp=list" || echo "no answer" ;;
        nginx) curl -s -o /dev/null -w 'gateways /health/ready %{http_code}' --max-time 2 "http://127.0.0.1:$nginx_gateway_port/health/ready" || echo "no answer" ;;
        *) local port
            case "$name" in
                management*) port=${management_ports[$((${name#management} - 1))]} ;;
                gateway*) port=${gateway_ports[$((${name#gateway} - 1))]} ;;
                studio*) port=${studio_ports[$((${name#studio} - 1))]} ;;
            esac
            curl -s -o /dev/null -w '/health/ready %{http_code}' --max-time 2 "http://127.0.0.1:$port/health/ready" || echo "no answer" ;;
    esac
}

status() {
    local name pid state_text rc=0
    printf '%-12s %-8s %-6s %s\n' process pid alive health
    for name in $(names | tac); do
        pid=$(cat "$pids/$name.pid" 2>/dev/null || echo -)
        if alive "$name"; then state_text=yes; else state_text=no; rc=1; fi
        printf '%-12s %-8s %-6s %s\n' "$name" "$pid" "$state_text" "$([[ $state_text == yes ]] && health "$name" || echo -)"
    done
    return "$rc"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: scripts/cluster.sh up|down|status" >&2; exit 2 ;;
esac
