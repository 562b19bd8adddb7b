#!/usr/bin/env bash
# Start-up benchmark of the AppHost, as a ratio against a stock Aspire AppHost run alternately in the same session.
#
#   bench/apphost-startup.sh [-n ROUNDS] [--fresh]
#
# Each round runs both, in alternating order:
#   estuary   dotnet run --no-build --project src/Estuary.AppHost     (Temporal, PostgreSQL, 3 databases, 3 workers)
#   baseline  dotnet run --no-build --project bench/Baseline.AppHost  (3 web services with Estuary.ServiceDefaults only)
# and times each from `dotnet run` to the moment every one of its resources is Healthy, as Aspire itself reports it
# (its resource notifications, logged at Trace level for this run only). It prints each round's ratio, both medians,
# their ratio and the median of the rounds' ratios (the figure to quote: each ratio pairs runs taken back to back).
#
#   -n ROUNDS  how many rounds (default 5).
#   --fresh    every Estuary run gets a new state directory, so initdb is included (a fresh clone's first run);
#              without it runs reuse the checkout's cluster (obj/estuary), the everyday case.
#
# Each run is stopped with SIGTERM; the script checks that nothing it started is left running and that PostgreSQL
# left no postmaster.pid behind. Both AppHosts serve the dashboard on the ports of their `http` launch profile, so no
# other AppHost may run on this machine meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
fresh=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    *) echo "usage: $0 [-n ROUNDS] [--fresh]" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in src/Estuary.AppHost bench/Baseline.AppHost; do
  if ! build=$(dotnet build "$project" -v q -nologo 2>&1); then
    echo "$build" >&2
    exit 1
  fi
done

declare -A project=([estuary]=src/Estuary.AppHost [baseline]=bench/Baseline.AppHost)
declare -A resources=(
  [estuary]="temporal postgres example-db bookings-db payments-db example-worker bookings-worker payments-worker"
  [baseline]="web1 web2 web3"
)
declare -A figures=([estuary]="" [baseline]="")
ratios=""
last=
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs one AppHost until all its resources are healthy, stops it, prints one line; the time goes to figures[$1].
run() {
  local name=$1 state="" data line resource status pid elapsed ready=""
  declare -A healthy=()
  for resource in ${resources[$name]}; do healthy[$resource]=no; done
  data="$PWD/src/Estuary.AppHost/obj/estuary/postgres/data"
  if [[ $name == estuary ]] && $fresh; then
    state=$(mktemp -d /tmp/estuary-bench-XXXXXX)
    chmod 755 "$state"
    data="$state/postgres/data"
  fi

  local start began=$SECONDS
  start=$(date +%s.%N)
  env ${state:+Estuary__StateDirectory=$state} \
    'Logging__LogLevel__Aspire.Hosting.ApplicationModel.ResourceNotificationService=Trace' \
    dotnet run --no-build --project "${project[$name]}" >"$log" 2>&1 &
  pid=$!
  # Follow the log as it is written (tail -F ends with dotnet run) and read it line by line in this shell.
  exec 3< <(tail -n +1 -F --pid="$pid" "$log" 2>/dev/null)
  while IFS= read -r -t $(( 180 - SECONDS + began )) line <&3; do
    [[ "$line" =~ Resource\ ([a-z0-9-]+)/[^\ ]+\ update\ published:.*HeathStatus\ =\ ([A-Za-z]*) ]] || continue
    resource=${BASH_REMATCH[1]}
    status=${BASH_REMATCH[2]}
    [[ -n "${healthy[$resource]+x}" ]] || continue
    healthy[$resource]=$([[ $status == Healthy ]] && echo yes || echo no)
    if [[ " ${healthy[*]} " != *" no "* ]]; then
      ready=yes
      break
    fi
  done
  exec 3<&-
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)

  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local leftovers=0
  for _ in $(seq 1 60); do
    leftovers=$( { pgrep -f -- "-D $data|$PWD/src/Estuary\\.|$PWD/bench/Baseline\\." || true; } | wc -l)
    [[ "$leftovers" -eq 0 ]] && break
    sleep 0.5
  done
  local stale=""
  if [[ $name == estuary && -e "$data/postmaster.pid" ]]; then stale=", postmaster.pid left behind"; fi
  if [[ -n "$state" ]]; then rm -rf "$state"; fi

  last=""
  if [[ -n "$ready" ]]; then
    last=$elapsed
    figures[$name]+="$elapsed "
    printf '  %-8s %5.1f s to healthy (load %s), %d processes left%s\n' "$name" "$elapsed" "$(cut -d' ' -f1 /proc/loadavg)" "$leftovers" "$stale"
  else
    local waiting=""
    for resource in "${!healthy[@]}"; do [[ ${healthy[$resource]} == no ]] && waiting+=" $resource"; done
    printf '  %-8s not healthy after %.1f s (waiting for:%s), %d processes left%s\n' "$name" "$elapsed" "$waiting" "$leftovers" "$stale"
  fi
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v f="${1:-%.1f}" '{a[NR]=$1} END {if (NR) printf f, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
spread() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.1f-%.1f s over %d runs", a[1], a[NR], NR}'; }

echo "$(date -u +%Y-%m-%d) commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo ' (modified)'), $(nproc) cores"
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  declare -A this=()
  for name in $( (( round % 2 )) && echo baseline estuary || echo estuary baseline); do
    run "$name"
    this[$name]=$last
  done
  if [[ -n "${this[baseline]}" && -n "${this[estuary]}" ]]; then
    ratio=$(echo "scale=3; ${this[estuary]} / ${this[baseline]}" | bc)
    ratios+="$ratio "
    printf '  ratio    %.2f\n' "$ratio"
  fi
done

baseline=$(median <<<"${figures[baseline]}")
estuary=$(median <<<"${figures[estuary]}")
echo "baseline: median ${baseline:-none} s ($(spread <<<"${figures[baseline]}"))"
echo "estuary:  median ${estuary:-none} s ($(spread <<<"${figures[estuary]}"))"
if [[ -n "$baseline" && -n "$estuary" ]]; then
  echo "ratio of the medians: $(echo "scale=2; $estuary / $baseline" | bc)"
fi
if [[ -n "$ratios" ]]; then
  echo "ratio estuary / baseline: median $(median %.2f <<<"$ratios") of the rounds' ($(tr ' ' '\n' <<<"$ratios" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {printf "%.2f-%.2f", a[1], a[NR]}')) (target <= 2.0)"
fi
