# shellcheck shell=bash
# Azurite (the Azure Blob emulator), repo-local and pinned: 3.36+ needs node >= 22.
# Sourced by scripts/test.sh and scripts/cluster.sh; needs $repo set to the repository root.

AZURITE_PACKAGE=azurite@3.35.0
# shellcheck disable=SC2154 # $repo is set by the script that sources this file.
AZURITE_BLOB="$repo/.tools/node_modules/.bin/azurite-blob"

# install_azurite: npm install into .tools/ unless the pinned version is there already.
install_azurite() {
    if [[ -x "$AZURITE_BLOB" ]] &&
        grep -q '"version": "3.35.0"' "$repo/.tools/node_modules/azurite/package.json" 2>/dev/null; then
        return 0
    fi
    echo "installing $AZURITE_PACKAGE into .tools/ ..." >&2
    mkdir -p "$repo/.tools"
    npm install --prefix "$repo/.tools" --no-audit --no-fund --loglevel=error "$AZURITE_PACKAGE" >/tmp/tollgate-npm.log 2>&1 || {
        tail -n 20 /tmp/tollgate-npm.log >&2
        echo "npm install $AZURITE_PACKAGE failed" >&2
        return 1
    }
}
