#!/usr/bin/env bash
# Where monitoring's CPU goes, counted instead of timed: runs the built monitoring bench under `perf` with the modes
# given, in one process, and files every sample of a measured round under the mode of that round (the bench prints when
# each round ran). Rounds of the modes alternate, so the machine's drift is shared: samples per activity of two modes
# compare directly, which separate runs on a VM whose speed drifts from one minute to the next do not.
# Not a test: it prints figures.
#
#   bench/monitoring-perf-share.sh [MODES] [ROUNDS] [SCENARIO]
#
#   MODES     modes of Estuary.Monitoring.Bench separated by commas, the first the reference (default None,All):
#             None, All, Control, Tracing, LogsAndMetrics, SdkMetrics; for the example scenario AllWithSqlSpans
#             (one monitored mode a run), for the trivial scenario SdkMetricsDiscarded.
#   ROUNDS    measured rounds (default 20), after the bench's warm-up.
#   SCENARIO  trivial (default) or example (the Example domain on PostgreSQL).
#
# Needs perf and python3, and `dotnet build -c Release bench/Estuary.Monitoring.Bench` first. For each mode it prints
# samples per activity (one sample is about a millisecond of CPU: perf samples at 999 Hz), split four ways:
#   by part of monitoring: a sample is filed under the innermost frame, from the leaf up, whose method (its declaring
#   type and name, not its parameters) belongs to a part:
#     sdk-metrics  the SDK core's metric code (Rust), the SDK's CustomMetricMeter, Estuary's TemporalSdkMetrics
#     tracing      System.Diagnostics.Activity*, OpenTelemetry traces, Estuary's trace headers and span helpers
#     logging      Microsoft.Extensions.Logging, OpenTelemetry logs, the workflow log processor
#     metrics      System.Diagnostics.Metrics, OpenTelemetry metrics
#     sql-telemetry  Npgsql's own spans and metrics
#     otel-other   the rest of OpenTelemetry (the OTLP exporters, their threads, providers)
#   by where the leaf frame is: the kernel, the SDK core (Rust), JIT-compiled .NET code, the .NET runtime, libc, the JIT;
#   by whose .NET code a sample is spent for: the innermost frame from the leaf up in Estuary's monitoring and tracing
#     code, the rest of Estuary (the domains' activities and workflows, EF Core and Npgsql under them), OpenTelemetry,
#     System.Diagnostics (spans, meters), logging or the Temporal SDK's .NET part, with what it calls in the base class
#     library, the runtime and the kernel; other .NET code; no .NET frame (PostgreSQL, the SDK core's and GC's threads);
#   by thread: the SDK core's tokio threads, the threads running workflow tasks, the thread pool, sockets, GC.
# Temporal's server and the bench's OTLP receiver run in processes of their own: their samples are counted apart, not
# in the bench's.
# and then the leaf functions whose samples per activity grew most against the reference.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bench/monitoring-perf-share.sh [MODES] [ROUNDS] [SCENARIO]" >&2; exit 2; }
[[ $# -le 3 ]] || usage
modes="${1:-None,All}"
rounds="${2:-20}"
scenario="${3:-trivial}"
[[ "$scenario" == trivial || "$scenario" == example ]] || { echo "monitoring-perf-share: SCENARIO is trivial or example, not '$scenario'." >&2; exit 2; }
IFS=',' read -ra named <<<"$modes"
[[ ${#named[@]} -ge 1 ]] || usage
for mode in "${named[@]}"; do
  case "$mode" in
    None|All|AllWithSqlSpans|Tracing|LogsAndMetrics|SdkMetrics|SdkMetricsDiscarded|Control) ;;
    *) echo "monitoring-perf-share: '$mode' is not a mode (None, All, AllWithSqlSpans, Tracing, LogsAndMetrics, SdkMetrics, SdkMetricsDiscarded, Control)." >&2; exit 2 ;;
  esac
done
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
  "$bench" "$rounds" --scenario "$scenario" --modes "$modes" --timeline >"$work/bench.out" 2>&1 || { cat "$work/bench.out" >&2; exit 1; }
grep -E "^mode|^warm-up|^paired|^OTLP|^  |^($(IFS='|'; echo "${named[*]}")) " "$work/bench.out"
grep '^round ' "$work/bench.out" >"$work/rounds.txt" || { echo "monitoring-perf-share: the bench printed no rounds." >&2; exit 1; }
start=$(awk 'NR == 1 || $3 < min { min = $3 } END { print min }' "$work/rounds.txt")
receiver=$(awk '/^OTLP receiver: process / { print $4 }' "$work/bench.out")
server=$(awk '/^Temporal server: process / { print $4 }' "$work/bench.out")
perf script -i "$work/perf.data" --time "$start," -F comm,pid,tid,time,ip,sym,dso 2>/dev/null >"$work/samples.txt"

python3 - "$work/rounds.txt" "$work/samples.txt" "$modes" "$receiver" "$server" <<'PY'
import bisect, re, sys
from collections import Counter, defaultdict

PARTS = [
    ("sdk-metrics", r"::metric::|telemetry::metrics|client::metrics|AttachMetricLabels|GrpcMetricSvc"
                    r"|Temporalio\.Bridge\.CustomMetricMeter|TemporalSdkMetrics|DiscardingSdkMeter"),
    ("tracing", r"OpenTelemetry\.Trace|BatchActivityExportProcessor|System\.Diagnostics\.Activity"
                r"|Estuary\.Temporal\.Tracing\.TraceHeaders|Estuary\.Temporal\.Monitoring\.SqlCommandEvents"
                r"|TracingInterceptor[^:]*::(StartClientSpan|TrackWorkflowSpan|InWorkflowTags|WorkflowTags|ActivityTags|StartFromWorkflow|RecordFailure|AddIfSet)"),
    ("logging", r"Microsoft\.Extensions\.Logging|OpenTelemetry\.Logs|WorkflowTraceLogProcessor"),
    ("sql-telemetry", r"Npgsql\.MetricsReporter|Npgsql\.NpgsqlActivitySource"),
    ("metrics", r"System\.Diagnostics\.Metrics|OpenTelemetry\.Metrics|EstuaryTelemetry"),
    ("otel-other", r"OpenTelemetry"),
]
PARTS = [(name, re.compile(pattern)) for name, pattern in PARTS]
# Whose .NET code a sample is spent for: the innermost frame, from the leaf up, in one of these assemblies, so an owner
# also gets what it spends in the base class library, the runtime, libc and the kernel it calls, but not in another
# owner's code. Samples with no such frame: "other .NET" when a JIT-compiled frame is on the stack, else none (the SDK
# core's own threads, the GC's, the runtime's).
OWNERS = [("Estuary monitoring", r"\] Estuary\.Temporal\.(Monitoring|Tracing)\."), ("Estuary, the rest", r"\[Estuary\."),
          ("OpenTelemetry", r"\[OpenTelemetry"), ("System.Diagnostics", r"\[System\.Diagnostics\.DiagnosticSource\]"),
          ("MS.Extensions.Logging", r"\[Microsoft\.Extensions\.Logging"), ("Temporalio .NET", r"\[Temporalio\]")]
OWNERS = [(name, re.compile(pattern)) for name, pattern in OWNERS]
PLACES = [("kernel", "[kernel"), ("sdk-core", "libtemporalio"), ("jitted", "/tmp/perf-"), ("runtime", "libcoreclr"),
          ("libc", "libc.so"), ("jit", "libclrjit")]

modes = list(dict.fromkeys(sys.argv[3].split(",")))  # the bench runs a mode named twice once
windows, activities = [], Counter()
for line in open(sys.argv[1]):
    mode, begin, end, count = line.split()[1:5]
    windows.append((float(begin), float(end), mode))
    activities[mode] += int(count)
windows.sort()
starts = [w[0] for w in windows]

def mode_at(t):
    i = bisect.bisect_right(starts, t) - 1
    return windows[i][2] if i >= 0 and t <= windows[i][1] else None

samples, parts, places, threads, leaves, owners = Counter(), defaultdict(Counter), defaultdict(Counter), defaultdict(Counter), defaultdict(Counter), defaultdict(Counter)
receiver_pid, receiver = sys.argv[4], Counter()
server_pid, server = sys.argv[5], Counter()
header = re.compile(r"^(.*?)\s+(\d+)/\d+\s+(\d+\.\d+):\s*$")
THREADS = [("tokio (SDK core)", "tokio-rt-worker"), ("workflow tasks", ".NET Long Runni"), ("thread pool", ".NET TP Worker"),
           ("sockets", ".NET Sockets"), ("GC", ".NET Server GC"), ("SDK core other", "workflow-proces")]
mode, thread, pid, stack = None, None, None, []

def close():
    if mode is None or not stack:
        return
    if pid == receiver_pid:
        receiver[mode] += 1
        return
    if pid == server_pid:
        server[mode] += 1
        return
    samples[mode] += 1
    threads[mode][next((name for name, comm in THREADS if thread.startswith(comm)), "other")] += 1
    leaf = stack[0]
    places[mode][next((name for name, mark in PLACES if mark in leaf), "other")] += 1
    owner = next((name for frame in stack for name, pattern in OWNERS if pattern.search(frame)), None)
    owners[mode][owner or ("other .NET" if any("/tmp/perf-" in frame for frame in stack) else "no .NET frame")] += 1
    leaves[mode][re.sub(r"\+0x[0-9a-f]+", "", re.sub(r"\[(OptimizedTier1|Optimized|QuickJitted|Tier0|Tier1|InstrumentedTier1?|PreJIT)\]", "", leaf))[:150]] += 1
    for frame in stack:
        method = frame.split("(", 1)[0]
        part = next((name for name, pattern in PARTS if pattern.search(method)), None)
        if part:
            parts[mode][part] += 1
            break

with open(sys.argv[2], errors="replace") as lines:
    for line in lines:
        if not line.strip():
            continue
        if line[0] not in " \t":
            close()
            stack = []
            m = header.search(line.rstrip("\n"))
            mode, thread, pid = (mode_at(float(m.group(3))), m.group(1), m.group(2)) if m else (None, None, None)
        else:
            fields = line.strip().split(" ", 1)
            if len(fields) > 1:
                stack.append(fields[1])
close()

if not samples:
    sys.exit("monitoring-perf-share: no samples in the measured rounds.")
ref = modes[0]
per = lambda counter, m, key: 1000.0 * counter[m][key] / activities[m]
print(f"\nsamples per activity (a sample is ~1 ms of CPU; x1000 = ms per 1000 activities), against {ref}")
print(f"{'':18}" + "".join(f"{m:>22}" for m in modes))
print(f"{'all samples':18}" + "".join(f"{1000.0 * samples[m] / activities[m]:22.1f}" for m in modes))
print(f"{'receiver process':18}" + "".join(f"{1000.0 * receiver[m] / activities[m]:22.1f}" for m in modes) + "   (not in the others)")
print(f"{'server process':18}" + "".join(f"{1000.0 * server[m] / activities[m]:22.1f}" for m in modes) + "   (not in the others)")
for title, table, names in (("part", parts, [n for n, _ in PARTS]), ("place", places, [n for n, _ in PLACES] + ["other"]),
                            ("whose .NET code it is spent for", owners, [n for n, _ in OWNERS] + ["other .NET", "no .NET frame"]),
                            ("thread", threads, [n for n, _ in THREADS] + ["other"])):
    print(f"-- by {title}")
    for name in names:
        print(f"{name:18}" + "".join(f"{per(table, m, name):15.1f} ({per(table, m, name) - per(table, ref, name):+5.1f})" for m in modes))
for m in modes[1:]:
    print(f"-- leaf functions grown most, {m} against {ref} (per 1000 activities)")
    grown = sorted(set(leaves[m]) | set(leaves[ref]), key=lambda k: per(leaves, ref, k) - per(leaves, m, k))[:25]
    for k in grown:
        print(f"{per(leaves, m, k) - per(leaves, ref, k):+7.1f}  {k}")
PY
