#!/usr/bin/env bash
# Where monitoring's CPU goes, counted instead of timed: runs the built monitoring bench with one mode under `perf`,
# keeps the samples of the measured rounds only (start-up and warm-up are mostly the JIT), and prints the share of
# samples whose stack holds a frame of each part of monitoring. Not a test: it prints figures. Run it for None and
# for All back to back; the difference between the two is monitoring's own code.
#
#   bench/monitoring-perf-share.sh MODE [ROUNDS]
#
#   MODE     a mode of Estuary.Monitoring.Bench (None, All, Tracing, LogsAndMetrics, SdkMetrics, SdkMetricsDiscarded).
#   ROUNDS   measured rounds (default 20), after the bench's 6 warm-up rounds.
#
# Needs perf and python3, and `dotnet build -c Release bench/Estuary.Monitoring.Bench` first. A sample is filed under
# the innermost frame, from the leaf up, whose method (its declaring type and name, not its parameters) belongs to a
# part:
#   sdk-metrics  the SDK core's metric code (Rust), the SDK's CustomMetricMeter, Estuary's TemporalSdkMetrics
#   tracing      System.Diagnostics.Activity*, OpenTelemetry traces, Estuary's trace headers and span helpers
#   logging      Microsoft.Extensions.Logging, OpenTelemetry logs
#   metrics      System.Diagnostics.Metrics, OpenTelemetry metrics
#   otel-other   the rest of OpenTelemetry (exporting threads, providers)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: bench/monitoring-perf-share.sh MODE [ROUNDS]" >&2
  exit 2
fi
mode="$1"
rounds="${2:-20}"
case "$mode" in
  None|All|Tracing|LogsAndMetrics|SdkMetrics|SdkMetricsDiscarded) ;;
  *) echo "monitoring-perf-share: '$mode' is not a mode (None, All, Tracing, LogsAndMetrics, SdkMetrics, SdkMetricsDiscarded)." >&2; exit 2 ;;
esac
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "monitoring-perf-share: ROUNDS must be a positive count, not '$rounds'." >&2
  exit 2
fi
bench=bench/Estuary.Monitoring.Bench/bin/Release/net10.0/Estuary.Monitoring.Bench
for tool in perf python3; do
  command -v "$tool" >/dev/null || { echo "monitoring-perf-share: $tool is not installed." >&2; exit 2; }
done
[[ -x "$bench" ]] || { echo "monitoring-perf-share: build first: dotnet build -c Release bench/Estuary.Monitoring.Bench" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# JIT-compiled frames get names from /tmp/perf-<pid>.map, which perf reads only without W^X double mapping.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  perf record -q -k CLOCK_MONOTONIC -F 999 -g -o "$work/perf.data" \
  "$bench" "$rounds" --modes "$mode" >"$work/bench.out" 2>&1 || { cat "$work/bench.out" >&2; exit 1; }
grep -E "^mode|^$mode " "$work/bench.out"
start=$(sed -n 's/^measured rounds start at \([0-9.]*\) s.*/\1/p' "$work/bench.out")
[[ -n "$start" ]] || { echo "monitoring-perf-share: the bench printed no start of its measured rounds." >&2; exit 1; }
perf script -i "$work/perf.data" --time "$start," 2>/dev/null >"$work/samples.txt"

python3 - "$work/samples.txt" <<'EOF'
import re, sys
from collections import Counter

PARTS = [
    ("sdk-metrics", r"::metric::|telemetry::metrics|client::metrics|AttachMetricLabels|GrpcMetricSvc"
                    r"|Temporalio\.Bridge\.CustomMetricMeter|TemporalSdkMetrics|DiscardingSdkMeter"),
    ("tracing", r"OpenTelemetry\.Trace|BatchActivityExportProcessor|System\.Diagnostics\.Activity"
                r"|Estuary\.Temporal\.Tracing\.TraceHeaders"
                r"|TracingInterceptor[^:]*::(StartClientSpan|TrackWorkflowSpan|InWorkflowTags|WorkflowTags|ActivityTags|StartFromWorkflow|RecordFailure|AddIfSet)"),
    ("logging", r"Microsoft\.Extensions\.Logging|OpenTelemetry\.Logs"),
    ("metrics", r"System\.Diagnostics\.Metrics|OpenTelemetry\.Metrics|EstuaryTelemetry"),
    ("otel-other", r"OpenTelemetry"),
]
PARTS = [(name, re.compile(pattern)) for name, pattern in PARTS]

samples, filed, stack = 0, Counter(), []

def close_sample():
    global samples
    if not stack:
        return
    samples += 1
    for frame in stack:  # leaf first
        method = frame.split("(", 1)[0]  # the declaring type and name, not the parameter types
        part = next((name for name, pattern in PARTS if pattern.search(method)), None)
        if part:
            filed[part] += 1
            break
    stack.clear()

with open(sys.argv[1], errors="replace") as lines:
    for line in lines:
        if not line.strip():
            close_sample()
        elif line[0] in " \t":
            fields = line.strip().split(" ", 1)
            if len(fields) > 1:
                stack.append(fields[1])
close_sample()

if samples == 0:
    sys.exit("monitoring-perf-share: no samples in the measured rounds.")
print(f"samples in the measured rounds: {samples}")
for name, _ in PARTS:
    print(f"{name:12} {100 * filed[name] / samples:6.2f} %")
print(f"{'all':12} {100 * sum(filed.values()) / samples:6.2f} %")
EOF
