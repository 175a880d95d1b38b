#!/usr/bin/env bash
# The one test command: installs what the tests need, runs every test project,
# and prints the totals as the very last line:
#   tests: N passed, N failed, N skipped
# Extra arguments go to `dotnet test`, e.g. scripts/test.sh --filter "FullyQualifiedName~Gateway"
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- system packages the tests need (PostgreSQL server binaries, Redis, nginx, curl, a Prometheus parser, node/npm for Azurite, chromium, R, ONNX test data) ---
# Tests start their own servers on free loopback ports; the system services are never started.
install_deps() {
    local missing=()
    local pkg
    # python3-prometheus-client: the reference Prometheus text-format parser the /metrics tests use.
    # chromium: Debian's browser, driven by Playwright in tests/Tollgate.BrowserTests (never `playwright install`).
    # r-base-core, r-cran-httr, r-cran-jsonlite: Rscript runs Studio's R sample code as its page prints it.
    # libonnx-testdata: ONNX's own node/ test models (model.onnx + TensorProto inputs and reference outputs), scored
    # through Studio's RRS by the ONNX import tests (/usr/share/libonnx-testdata/data/node).
    for pkg in postgresql redis-server nginx curl python3-prometheus-client chromium r-base-core r-cran-httr r-cran-jsonlite libonnx-testdata; do
        if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && [[ ! " ${missing[*]} " == *" postgresql "* ]]; then
        missing+=(postgresql)
    fi
    # Azurite (Studio's BES tests) runs on node; the sample clients need python3 with requests.
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        missing+=(nodejs npm)
    fi
    if ! python3 -c 'import requests' >/dev/null 2>&1 && ! /usr/bin/python3 -c 'import requests' >/dev/null 2>&1; then
        missing+=(python3-requests)
    fi
    if ((${#missing[@]} == 0)); then
        return 0
    fi

    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            echo "test.sh: missing packages (${missing[*]}) and not root; install them first" >&2
            return 1
        fi
    fi

    echo "test.sh: installing ${missing[*]} ..."
    # Keep package scripts from starting the system services: tests run their own servers.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    local rc=0
    {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq -o DPkg::Lock::Timeout=300 &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 "${missing[@]}"
    } >/tmp/tollgate-apt.log 2>&1 || rc=$?
    if ((added_policy)); then
        "${sudo[@]}" rm -f "$policy"
    fi
    if ((rc != 0)); then
        tail -n 40 /tmp/tollgate-apt.log >&2
        echo "test.sh: apt-get install ${missing[*]} failed (exit $rc)" >&2
        return "$rc"
    fi
}

# --- Azurite (Azure Blob emulator) for Studio's BES tests, repo-local, pinned (scripts/lib/azurite.sh) ---------------
# shellcheck source=scripts/lib/azurite.sh
source "$repo/scripts/lib/azurite.sh"

# --- smtp4dev (a real SMTP server with a REST API) for the e-mail tests, repo-local, pinned ------------------------------
install_smtp4dev() {
    if [[ -x "$repo/.tools/smtp4dev/smtp4dev" ]] &&
        [[ -d "$repo/.tools/smtp4dev/.store/rnwood.smtp4dev/3.15.0" ]]; then
        return 0
    fi
    echo "test.sh: installing Rnwood.Smtp4dev 3.15.0 into .tools/smtp4dev ..."
    mkdir -p "$repo/.tools"
    dotnet tool install --tool-path "$repo/.tools/smtp4dev" Rnwood.Smtp4dev --version 3.15.0 >/tmp/tollgate-smtp4dev.log 2>&1 || {
        tail -n 20 /tmp/tollgate-smtp4dev.log >&2
        echo "test.sh: dotnet tool install Rnwood.Smtp4dev 3.15.0 failed" >&2
        return 1
    }
}

# --- Microsoft's Azure SDK for JavaScript, pinned by tests/sdk/js/package-lock.json, for the management API's SDK tests --
install_sdk_clients() {
    local dir="$repo/tests/sdk/js"
    if grep -q '"version": "10.0.0"' "$dir/node_modules/@azure/arm-apimanagement/package.json" 2>/dev/null; then
        return 0
    fi
    echo "test.sh: installing the Azure SDK for JavaScript into tests/sdk/js/node_modules ..."
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/tmp/tollgate-npm-sdk.log 2>&1 || {
        tail -n 20 /tmp/tollgate-npm-sdk.log >&2
        echo "test.sh: npm ci in tests/sdk/js failed" >&2
        return 1
    }
}

results="$repo/TestResults/$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$results"

summarize() {
    python3 - "$results" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET

files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True))
passed = failed = skipped = 0
found = 0
for path in files:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"test.sh: unreadable trx {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] != "Counters":
            continue
        found += 1
        a = el.attrib
        def n(k):
            try:
                return int(a.get(k) or 0)
            except ValueError:
                return 0
        total, ok = n("total"), n("passed")
        bad = n("failed") + n("error") + n("timeout") + n("aborted")
        # Whatever neither passed nor failed (skipped = notExecuted, inconclusive, ...).
        passed += ok
        failed += bad
        skipped += max(total - ok - bad, 0)
if found == 0:
    print("tests: 0 passed, 1 failed")
    sys.exit(1)
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
}

status=0
install_deps || status=$?
if ((status == 0)); then
    install_azurite || status=$?
fi
if ((status == 0)); then
    install_smtp4dev || status=$?
fi
if ((status == 0)); then
    install_sdk_clients || status=$?
fi

if ((status == 0)); then
    dotnet test Tollgate.slnx -c Release --logger "trx" --results-directory "$results" "$@" || status=$?
fi

# Diagnostics go to stderr; the totals line is printed last, alone.
summary_status=0
summary="$(summarize)" || summary_status=$?
if [[ -z $summary ]]; then
    summary="tests: 0 passed, 1 failed"
    summary_status=1
fi
if ((status == 0 && summary_status != 0)); then
    status=1
fi
printf '%s\n' "$summary"
exit "$status"
