#!/usr/bin/env bash
# Start-up benchmark of the AppHost: wall time from `dotnet run` (already built) to the AppHost's
# "Estuary is ready" line, which it logs once every resource is healthy. Not a test: it prints figures.
#
#   bench/apphost-startup.sh [-n RUNS] [--fresh]
#
#   -n RUNS   how many runs (default 5); the median is the figure to quote.
#   --fresh   every run gets a new state directory: initdb included (a fresh clone's first run).
#             Without it runs reuse the checkout's cluster (obj/estuary), the everyday case.
#
# Each run is stopped with SIGTERM; the script then checks that nothing it started is left running and that
# PostgreSQL left no postmaster.pid behind.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
fresh=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    *) echo "usage: $0 [-n RUNS] [--fresh]" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! build=$(dotnet build src/Estuary.AppHost -v q -nologo 2>&1); then
  echo "$build" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
figures=()
for run in $(seq 1 "$runs"); do
  state=""
  if $fresh; then
    state=$(mktemp -d /tmp/estuary-bench-XXXXXX)
    chmod 755 "$state"
  fi
  data="${state:-$PWD/src/Estuary.AppHost/obj/estuary}/postgres/data"

  start=$(date +%s.%N)
  if $fresh; then export Estuary__StateDirectory="$state"; fi
  dotnet run --no-build --project src/Estuary.AppHost >"$log" 2>&1 &
  pid=$!
  ready=""
  while kill -0 "$pid" 2>/dev/null; do
    if ready=$(grep -m1 -A1 "Estuary is ready\|Estuary is not ready" "$log" | tail -1); [[ -n "$ready" ]]; then
      break
    fi
    if (( $(echo "$(date +%s.%N) - $start > 180" | bc) )); then
      ready="timed out after 180 s"
      break
    fi
    sleep 0.1
  done
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)

  kill -TERM "$pid" 2>/dev/null || true
  stopped_at=$(date +%s.%N)
  wait "$pid" 2>/dev/null || true
  stop=$(echo "$(date +%s.%N) - $stopped_at" | bc)
  # What the run started: the AppHost, DCP and its monitors, postgres on this data directory, the projects of this checkout.
  leftovers=0
  for _ in $(seq 1 60); do
    leftovers=$( { pgrep -f -- "-D $data|$PWD/src/Estuary\\." || true; } | wc -l)
    if [[ "$leftovers" -eq 0 ]]; then break; fi
    sleep 0.5
  done
  if [[ -e "$data/postmaster.pid" ]]; then stale="postmaster.pid left behind"; else stale="no postmaster.pid"; fi

  gone=$(echo "$(date +%s.%N) - $stopped_at" | bc)
  printf 'run %d (load average %s): %.1f s to ready; SIGTERM: AppHost exited in %.1f s, every process gone in %.1f s (%d left), %s\n      %s\n' \
    "$run" "$(cut -d' ' -f1 /proc/loadavg)" "$elapsed" "$stop" "$gone" "$leftovers" "$stale" "$(echo "$ready" | sed 's/^ *//')"
  if [[ "$ready" == *"resources healthy"* ]]; then figures+=("$elapsed"); fi
  if $fresh; then rm -rf "$state"; fi
done

if [[ ${#figures[@]} -gt 0 ]]; then
  printf '%s\n' "${figures[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.1f s, min %.1f s, max %.1f s over %d runs\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR], NR}'
fi
