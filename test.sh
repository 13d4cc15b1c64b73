#!/usr/bin/env bash
# Builds everything and runs every test project, then prints one summary line
# ("tests: N passed, N failed, N skipped"). Exits non-zero when anything fails.
#   ./test.sh           every test
#   ./test.sh --quick   all but those marked [Trait("Category", "Slow")] (long trainings, out-of-tree builds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

filter=()
if [[ "${1:-}" == "--quick" ]]; then
  filter=(--filter "Category!=Slow")
elif [[ $# -gt 0 ]]; then
  echo "usage: ./test.sh [--quick]" >&2
  exit 2
fi

# The tts tests run flite and pocketsphinx, the image tests read Fashion-MNIST, the dashboard tests drive chromium, the
# PostgreSQL store's tests start a throwaway server from Debian's postgresql (in /tmp, on a free port of 127.0.0.1,
# stopped and deleted when they end): installed when missing (fails loudly when it cannot).
build/install-debian-packages.sh

dotnet build SemiNas.sln -c Release -nologo -v minimal

log="$(mktemp)"
status=0
dotnet test SemiNas.sln -c Release --no-build --nologo -v minimal "${filter[@]}" 2>&1 | tee "$log" || status=$?

# Each test project ends with "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
summary=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3; n++} END {printf "%d %d %d %d", p, f, s, n}')
rm -f "$log"
read -r passed failed skipped projects <<<"$summary"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ "$status" -ne 0 || "$failed" -ne 0 || "$passed" -eq 0 ]]; then
  exit 1
fi
