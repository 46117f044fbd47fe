#!/usr/bin/env bash
# Webhook intake benchmark (not a test): the real payments service verifying signatures and durably
# recording each event with its outbox event (WAL, synchronous=FULL, group commit), next to its ceiling
# measured in the same run: the same number of HMAC-SHA256 verifications alone, in one process.
#
#   bench/webhooks.sh [--webhooks N] [--concurrency C]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh
ensure_swift
ensure_debian_packages $BASE_PACKAGES

webhooks=20000 concurrency=64
while [ $# -gt 0 ]; do
  case "$1" in
    --webhooks) webhooks=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done

# shellcheck source=stack.sh
source bench/stack.sh
bench_build  # SHOP_BENCH_SCRATCH=DIR: swift build --scratch-path DIR
mkdir -p bench/out
out=bench/out/webhooks.jsonl
: > "$out"
for round in 1 2; do
  "$bin/bench-webhooks" hmac "$webhooks" | tee -a "$out"
  "$bin/bench-webhooks" intake "$bin" "$webhooks" "$concurrency" | tee -a "$out"
done

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ceiling = max(r["per_s"] for r in rows if r["label"] == "hmac-ceiling")
intake = max(r["per_s"] for r in rows if r["label"] == "intake")
bad = [r for r in rows if r["label"] == "intake" and r["accepted"] != r["webhooks"]]
print()
print(f"ceiling (HMAC-SHA256 verification alone, one thread): {ceiling:9.0f} webhooks/s")
print(f"intake (verify + durable record, payments process):   {intake:9.0f} webhooks/s")
print(f"ratio intake / ceiling:                               {intake/ceiling:9.3f}")
if bad: sys.exit(f"some deliveries were not accepted: {bad}")
PY
