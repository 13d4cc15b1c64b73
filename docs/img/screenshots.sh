#!/usr/bin/env bash
# Remakes the screenshots of docs/dashboard.md and the README: dashboard.png (the dashboard of a SemiNAS search on the
# NAS-Bench-201 table while it runs, down to its Controller panel) and report.png (`seminas report` of that search and
# a random search). Needs chromium (build/install-debian-packages.sh chromium) and sqlite3, to see how far
# the search is. Run from anywhere:  docs/img/screenshots.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
img="$root/docs/img"
work="$(mktemp -d /tmp/seminas-screenshots-XXXXXX)"
port="${PORT:-8057}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# configs/quickstart.yaml and configs/random-quickstart.yaml, 60 queries each: 20 random, then 8 iterations of 5.
sed -e 's/^name: quickstart/name: seminas-nb201/' -e 's/^  budget: 100/  budget: 60/' "$root/configs/quickstart.yaml" >"$work/seminas.yaml"
sed -e 's/^name: random-quickstart/name: random-nb201/' -e 's/^  budget: 100/  budget: 60/' "$root/configs/random-quickstart.yaml" >"$work/random.yaml"

shoot() { # URL FILE HEIGHT
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="1400,$3" --virtual-time-budget=10000 \
    --screenshot="$2" "$1" >/dev/null 2>&1
  echo "wrote $2"
}
iterations() { sqlite3 "$work/seminas.sqlite" 'SELECT COUNT(DISTINCT iteration) FROM strategy_diagnostics' 2>/dev/null || echo 0; }

"$root/seminas" search "$work/random.yaml" --storage "$work/random.sqlite" >"$work/random.log"
"$root/seminas" search "$work/seminas.yaml" --storage "$work/seminas.sqlite" >"$work/seminas.log" &
search=$!
pids+=("$search")
# Screenshots while the search runs, once the controller has reported five iterations (four of them scored).
until [[ "$(iterations)" -ge 5 ]]; do
  kill -0 "$search" 2>/dev/null || { cat "$work/seminas.log"; echo "the search ended early" >&2; exit 1; }
  sleep 1
done
"$root/seminas" dashboard "$work/seminas.sqlite" --port "$port" >"$work/dashboard.log" 2>&1 &
pids+=("$!")
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.5; done
shoot "http://127.0.0.1:$port/" "$img/dashboard.png" 2000

wait "$search"
"$root/seminas" report "$work/seminas.sqlite" "$work/random.sqlite" --output "$work/report.html"
shoot "file://$work/report.html" "$img/report.png" 4200
rm -rf "$work"
