#!/usr/bin/env bash
# Durable events benchmark (not a test): publish -> relay -> subscriber commit -> ack with fsync on, as
# real processes (the events harness), next to the ceiling measured in the same run: SQLite doing the same
# inserts with the same durability (WAL, synchronous=FULL, group commit) in a single process.
#
#   bench/events.sh [--events N] [--latency-samples K]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh
ensure_swift
ensure_debian_packages $BASE_PACKAGES

events=20000 samples=200
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --latency-samples) samples=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done

say "building release binaries"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p bench/out
out=bench/out/events.jsonl
: > "$out"
for round in 1 2; do
  "$bin/bench-events" ceiling "$events" | tee -a "$out"
  "$bin/bench-events" e2e "$bin" "$events" | tee -a "$out"
done
"$bin/bench-events" latency "$bin" "$samples" | tee -a "$out"

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ceiling = max(r["events_per_s"] for r in rows if r["label"] == "sqlite-ceiling")
e2e = max(r["events_per_s"] for r in rows if r["label"] == "end-to-end")
lat = [r for r in rows if r["label"] == "idle-latency"][0]
print()
print(f"ceiling (single-process SQLite, same rows, fsync): {ceiling:8.0f} events/s")
print(f"end to end (publisher -> relay -> subscriber):      {e2e:8.0f} events/s  (target >= 5000)")
print(f"ratio end-to-end / ceiling:                         {e2e/ceiling:8.2f}        (target >= 0.30)")
print(f"idle delivery latency p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms (target p99 < 20 ms)")
PY
