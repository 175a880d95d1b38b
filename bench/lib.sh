# Shared by the bench scripts that run a Release Tollgate with the minimal backend (soak, portal): logging, tools,
# the Release build, a work directory whose processes are stopped on exit, and a bounded wait for a URL.
# Source it after setting SCRIPT_DIR and REPO; it sets BACKEND_DLL and TOLLGATE_OUT.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_tools TOOL...: installs what is missing with apt-get.
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 && continue
        log "installing $tool with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$tool" >/dev/null \
            || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$tool" >/dev/null; } \
            || die "$tool is required"
    done
}

BACKEND_DLL=$REPO/bench/gateway/Backend/bin/Release/net10.0/Backend.dll
TOLLGATE_OUT=$REPO/src/Tollgate/bin/Release/net10.0

# build_release: the backend and src/Tollgate in Release, unless BUILD=0.
build_release() {
    [[ "${BUILD:-1}" == 1 ]] || return 0
    log "building the backend and src/Tollgate (Release)"
    dotnet build "$REPO/bench/gateway/Backend/Backend.csproj" -c Release -nologo -v q >/dev/null || die "backend build failed"
    dotnet build "$REPO/src/Tollgate/Tollgate.csproj" -c Release -nologo -v q >/dev/null || die "Tollgate build failed"
}

# make_workdir NAME: sets TMP; every process put in PID[...] is stopped on exit; the logs are kept on failure.
declare -A PID=()
make_workdir() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for p in "${PID[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PID[@]}"; do wait "$p" 2>/dev/null || true; done
    if ((rc != 0)); then tail -n 20 "$TMP"/*.log >&2 || true; log "logs kept in $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}

# wait_for URL [curl args]: polls until the URL answers at all, at most WAIT_TRIES × 0.2 s.
wait_for() {
    local url=$1 i
    shift
    for i in $(seq 1 "${WAIT_TRIES:-150}"); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" || true) != 000 ]] && return 0
        sleep 0.2
    done
    die "no answer from $url"
}
