#!/usr/bin/env bash
# Gateway benchmark (not a test): Stripe webhook intake over HTTP with wrk on loopback, end to end through
# the real stack (gateway -> payments: signature check + durable record of the event and its outbox event,
# fsync on; fulfillment and notifier running, so payments' relay delivers while intake runs), next to a
# peer run in the same script: Stripe's sample webhook endpoint (Flask + the official `stripe` library,
# `stripe.Webhook.construct_event`, answer 200, no persistence) under gunicorn with 2 workers. Also the
# gateway's `GET /healthz` as the HTTP server's own ceiling.
#
#   bench/gateway.sh [--connections C] [--duration SECONDS] [--rounds R] [--pool N]
#
# Every webhook is a distinct payment_intent.succeeded (distinct evt_ id: a new durable record, not a
# duplicate), signed at generation with that moment as timestamp (tolerance 300 s: runs stay short).
# `--pool` bodies are generated per run; wrk reports `pool_wrapped` if it had to reuse some.
# SHOP_BENCH_SCRATCH=DIR builds with `swift build --scratch-path DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh
# shellcheck source=stack.sh
source bench/stack.sh
ensure_swift
ensure_debian_packages $BASE_PACKAGES wrk
ensure_python_venv flask==3.1.3 gunicorn==27.0.1 stripe==16.1.0

connections=64 duration=10 rounds=2 pool=150000
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --pool) pool=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
((duration <= 60)) || die "--duration must be at most 60 s (signatures are valid for 300 s)"

bench_build
mkdir -p bench/out
out=bench/out/gateway.jsonl
: > "$out"
work=$(mktemp -d /tmp/bench-gw.XXXXXX)
cleanup() { stack_stop; [[ -n "${gunicorn_pid:-}" ]] && { kill -TERM "$gunicorn_pid" 2>/dev/null; wait "$gunicorn_pid" 2>/dev/null; }; rm -rf "$work"; }
trap cleanup EXIT

export STRIPE_WEBHOOK_SECRET=whsec_bench_gateway_secret
export STRIPE_SECRET_KEY=sk_test_bench STRIPE_API_BASE=http://127.0.0.1:9  # never called by webhook intake
shop_port=$(free_port)
say "starting the stack (release) on 127.0.0.1:$shop_port, data in $work/shop"
stack_start "$work/shop" "$shop_port"
trap cleanup EXIT

peer_port=$(free_port)
say "starting the peer: gunicorn -w 2 flask_app:app on 127.0.0.1:$peer_port"
"$SHOP_VENV/bin/gunicorn" -w 2 -b "127.0.0.1:$peer_port" --chdir bench/gateway --log-level warning \
    flask_app:app 2>"$work/gunicorn.log" &
gunicorn_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$peer_port/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$peer_port/healthz" >/dev/null || die "gunicorn did not start: $(tail -5 "$work/gunicorn.log")"

threads=2
export THREADS=$threads
run_wrk() {  # LABEL URL MODE [FILE]
  local label=$1 url=$2 line
  line=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s -s bench/gateway/webhooks.lua "$url" -- "${@:3}" \
         | grep '^{')
  echo "{\"label\":\"$label\",\"round\":$round,\"connections\":$connections,\"result\":$line}" | tee -a "$out"
}
for round in $(seq "$rounds"); do
  run_wrk healthz "http://127.0.0.1:$shop_port/healthz" get
  python3 bench/gateway/sign.py "$STRIPE_WEBHOOK_SECRET" "gw${round}" "$pool" "$work/shop.txt"
  run_wrk shop-webhook "http://127.0.0.1:$shop_port/webhooks/stripe" post "$work/shop.txt"
  python3 bench/gateway/sign.py "$STRIPE_WEBHOOK_SECRET" "py${round}" "$pool" "$work/peer.txt"
  run_wrk peer-webhook "http://127.0.0.1:$peer_port/webhooks/stripe" post "$work/peer.txt"
done
recorded=$(sqlite3 "$work/shop/d/payments.sqlite" "SELECT COUNT(*) FROM stripe_events WHERE source = 'webhook'")
echo "{\"label\":\"shop-recorded\",\"stripe_events\":$recorded}" | tee -a "$out"

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def best(label): return max((r for r in rows if r["label"] == label), key=lambda r: r["result"]["per_s"])
def spread(label):
    v = [r["result"]["per_s"] for r in rows if r["label"] == label]
    return f"{min(v):.0f}..{max(v):.0f}"
print()
print(f"{'run':<14} {'best req/s':>11} {'spread':>13} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7} {'wrapped':>8}")
for label in ("healthz", "shop-webhook", "peer-webhook"):
    r = best(label)["result"]
    errs = r["errors_connect"] + r["errors_read"] + r["errors_write"] + r["errors_timeout"]
    print(f"{label:<14} {r['per_s']:>11.0f} {spread(label):>13} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non_2xx']:>8} {errs:>7} {r['pool_wrapped']:>8}")
shop, peer, hz = best("shop-webhook")["result"], best("peer-webhook")["result"], best("healthz")["result"]
print()
print(f"shop / peer throughput:     {shop['per_s']/peer['per_s']:.2f}x   (target >= 3x, shop durable, peer not)")
print(f"shop webhook p99:           {shop['p99_ms']:.2f} ms (target < 20 ms at {best('shop-webhook')['connections']} connections)")
print(f"shop webhook / healthz:     {shop['per_s']/hz['per_s']:.2f}")
total = sum(r["result"]["requests"] for r in rows if r["label"] == "shop-webhook")
rec = [r for r in rows if r["label"] == "shop-recorded"][0]["stripe_events"]
print(f"webhooks answered by the shop: {total}, durably recorded in payments: {rec}")
PY
