#!/usr/bin/env bash
# Start-up benchmark of the AppHost: wall time from `dotnet run` (already built) to the AppHost's
# "Estuary is ready" line, which it logs once every resource is healthy. Not a test: it prints figures.
#
#   bench/apphost-startup.sh [-n RUNS] [--fresh] [--cpu] [--build]
#
#   -n RUNS   how many runs (default 5); the median is the figure to quote.
#   --fresh   every run gets a new state directory: initdb included (a fresh clone's first run).
#             Without it runs reuse the checkout's cluster (obj/estuary), the everyday case.
#   --build   time a plain `dotnet run` (MSBuild's up-to-date check of every project included) instead of
#             `dotnet run --no-build`; the tree is built first either way.
#   --cpu     also print the CPU seconds each part had used when the run was ready (dotnet run, the AppHost,
#             DCP, the dashboard, PostgreSQL, Temporal, each worker). On a shared, loaded machine the wall time
#             mostly measures the neighbours; CPU seconds move much less and show where start-up goes.
#
# Each run is stopped with SIGTERM; the script then checks that nothing it started is left running and that
# PostgreSQL left no postmaster.pid behind.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
fresh=false
cpu=false
no_build=--no-build
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    --cpu) cpu=true; shift ;;
    --build) no_build=""; shift ;;
    *) echo "usage: $0 [-n RUNS] [--fresh] [--cpu] [--build]" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! build=$(dotnet build src/Estuary.AppHost -v q -nologo 2>&1); then
  echo "$build" >&2
  exit 1
fi

# CPU seconds (own and reaped children's) of every process of a run, summed by part: the descendants of
# `dotnet run` and of DCP's API server, which detaches from the AppHost.
cpu_by_part() {
  local root=$1 apphost pid stat rest
  declare -A parent cpu cmd
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    stat=$(cat "$dir/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    read -r -a fields <<<"$rest"
    parent[$pid]=${fields[1]}
    cpu[$pid]=$(( fields[11] + fields[12] + fields[13] + fields[14] ))
    cmd[$pid]=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)
  done
  apphost=$(pgrep -P "$root" -f Estuary.AppHost | head -1)
  local queue=("$root") seen=" " part
  for pid in "${!cmd[@]}"; do
    if [[ -n "$apphost" && "${cmd[$pid]}" == *"start-apiserver --monitor $apphost "* ]]; then queue+=("$pid"); fi
  done
  declare -A sums
  while [[ ${#queue[@]} -gt 0 ]]; do
    pid=${queue[0]}; queue=("${queue[@]:1}")
    [[ "$seen" == *" $pid "* || -z "${cmd[$pid]+x}" ]] && continue
    seen+="$pid "
    for child in "${!parent[@]}"; do [[ "${parent[$child]}" == "$pid" ]] && queue+=("$child"); done
    case "${cmd[$pid]}" in
      "dotnet run"*) part=dotnet-run ;;
      *Estuary.AppHost/bin*) part=apphost ;;
      *Aspire.Dashboard*) part=dashboard ;;
      *"/dcp "*) part=dcp ;;
      *postgres*) part=postgres ;;
      *Estuary.DevServer*) part=temporal ;;
      *Estuary.Worker.*) part=$(sed -E 's/.*Estuary\.Worker\.([A-Za-z]+).*/\1/' <<<"${cmd[$pid]}" | tr '[:upper:]' '[:lower:]')-worker ;;
      *) part=other ;;
    esac
    sums[$part]=$(( ${sums[$part]:-0} + cpu[$pid] ))
  done
  local total=0 line=""
  for part in $(printf '%s\n' "${!sums[@]}" | sort); do
    line+="$part $(echo "scale=1; ${sums[$part]} / $(getconf CLK_TCK)" | bc) s, "
    total=$(( total + sums[$part] ))
  done
  echo "CPU: ${line}total $(echo "scale=1; $total / $(getconf CLK_TCK)" | bc) s"
}

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
  began=$SECONDS
  if $fresh; then export Estuary__StateDirectory="$state"; fi
  dotnet run $no_build --project src/Estuary.AppHost >"$log" 2>&1 &
  pid=$!
  # Follow the log as it is written (tail -F waits on inotify and ends with dotnet run) and read it line by line in
  # this shell: polling it with grep, sleep and bc every 100 ms cost about 1.5 s of CPU per run, taken from the start-up
  # being measured on a two-core machine.
  ready=""
  exec 3< <(tail -n +1 -F --pid="$pid" "$log" 2>/dev/null)
  while true; do
    if ! IFS= read -r -t $(( 180 - SECONDS + began )) line <&3; then
      if kill -0 "$pid" 2>/dev/null; then ready="timed out after 180 s"; fi
      break
    fi
    if [[ "$line" == *"Estuary is ready"* || "$line" == *"Estuary is not ready"* ]]; then
      ready=$line
      break
    fi
  done
  exec 3<&-
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)
  usage=""
  if $cpu; then usage=$(cpu_by_part "$pid"); fi

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
  if [[ -n "$usage" ]]; then printf '      %s\n' "$usage"; fi
  if [[ "$ready" == *"resources healthy"* ]]; then figures+=("$elapsed"); fi
  if $fresh; then rm -rf "$state"; fi
done

if [[ ${#figures[@]} -gt 0 ]]; then
  printf '%s\n' "${figures[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.1f s, min %.1f s, max %.1f s over %d runs\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR], NR}'
fi
