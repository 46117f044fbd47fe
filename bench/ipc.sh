#!/usr/bin/env bash
# IPC benchmark (not a test): the project's transport (Swift, JSON envelopes) next to a raw C baseline
# doing the same length-prefixed framing over a Unix socket without JSON, run side by side in this one
# invocation, plus each service's start-to-healthy time and idle memory.
#
#   bench/ipc.sh [--rounds N] [--rtt-count N] [--pipeline-count N]
#
# Each round runs both programs twice: pinned to one core (taskset -c 0), where cross-core wake-ups do
# not dominate, and unpinned. Rounds alternate C and Swift so machine noise hits both; the best p50 and
# throughput of each are compared as ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh
ensure_swift
ensure_debian_packages $BASE_PACKAGES gcc util-linux

rounds=3 rtt=20000 pipeline=200000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --rtt-count) rtt=$2; shift 2 ;;
    --pipeline-count) pipeline=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done

out=bench/out
mkdir -p "$out"
say "building release binaries"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
cc -O2 -Wall -Wextra -pthread -o "$out/ipc-baseline" bench/ipc/baseline.c

results="$out/ipc-results.jsonl"
: > "$results"
for round in $(seq "$rounds"); do
  for pin in pinned unpinned; do
    prefix=""
    [ "$pin" = pinned ] && prefix="taskset -c 0"
    for prog in c swift; do
      if [ "$prog" = c ]; then
        line=$($prefix "$out/ipc-baseline" both --rtt-count "$rtt" --pipeline-count "$pipeline")
      else
        line=$($prefix "$bin/bench-ipc" both --rtt-count "$rtt" --pipeline-count "$pipeline")
      fi
      echo "{\"round\":$round,\"placement\":\"$pin\",\"program\":\"$prog\",\"result\":$line}" >> "$results"
      say "round $round $pin $prog: $line"
    done
  done
done

say "start-up and idle memory of each service (release build)"
"$bin/bench-ipc" startup "$bin" | tee "$out/startup.jsonl"

python3 - "$results" "$out/startup.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print(f"{'placement':<10} {'program':<8} {'best p50 us':>12} {'best p99 us':>12} {'best msgs/s':>12}")
best = {}
for pin in ("pinned", "unpinned"):
    for prog in ("c", "swift"):
        rs = [r["result"] for r in rows if r["placement"] == pin and r["program"] == prog]
        b = (min(r["p50_us"] for r in rs), min(r["p99_us"] for r in rs), max(r["pipelined_msgs_per_s"] for r in rs))
        best[(pin, prog)] = b
        print(f"{pin:<10} {prog:<8} {b[0]:>12.1f} {b[1]:>12.1f} {b[2]:>12.0f}")
print()
for pin in ("pinned", "unpinned"):
    c, s = best[(pin, "c")], best[(pin, "swift")]
    print(f"{pin}: p50 ratio swift/c = {s[0]/c[0]:.2f} (target <= 2.00); "
          f"throughput swift = {s[2]:.0f}/s = {s[2]/c[2]:.2f} of c (target >= 100000/s or >= 0.50)")
print()
for l in open(sys.argv[2]):
    r = json.loads(l)
    ok = "ok" if r["start_to_healthy_ms"] < 200 and 0 < r["idle_rss_kb"] <= 20480 else "OVER TARGET"
    print(f"{r['service']:<12} start-to-healthy {r['start_to_healthy_ms']:6.1f} ms (target < 200)  "
          f"idle RSS {r['idle_rss_kb']/1024:5.1f} MiB (target <= 20)  {ok}")
PY
