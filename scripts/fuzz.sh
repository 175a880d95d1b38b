#!/usr/bin/env bash
# Runs the property-based fuzz tests (URL templates, policy documents through the parser, validator and gateway
# builder, Studio's CSV/TSV reader and RRS bodies) with many more cases than the unit test suite does.
#   scripts/fuzz.sh                 # 200,000 cases per property
#   scripts/fuzz.sh 1000000         # as many as you like
#   TOLLGATE_FUZZ_SEED=<seed> scripts/fuzz.sh 1   # replays the failure CsCheck printed
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export MSBUILDDISABLENODEREUSE=1
export TOLLGATE_FUZZ_ITERATIONS="${1:-200000}"

dotnet test tests/Tollgate.UnitTests -c Release --filter "FullyQualifiedName~Tollgate.UnitTests.Fuzz|FullyQualifiedName~StudioInputFuzzTests" --logger "console;verbosity=normal"
