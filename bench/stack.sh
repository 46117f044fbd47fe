# shellcheck shell=bash
# Helpers of the end-to-end benchmarks (bench/gateway.sh, bench/orders.sh). Source after scripts/lib.sh.
#
#   bench_build                 release build; sets $bin. SHOP_BENCH_SCRATCH=DIR builds with --scratch-path DIR
#                               (so a benchmark does not contend with other builds in .build)
#   stack_start DIR PORT        notifier, fulfillment, payments, gateway (that order, like scripts/run) from $bin,
#                               sockets in DIR/s, databases in DIR/d, logs in DIR/logs, gateway on 127.0.0.1:PORT;
#                               each waited for until its `health` passes. The caller's exported environment
#                               (STRIPE_*, CATALOG_FILE, ...) is passed on. Stopped by stack_stop (also on EXIT).
#   free_port                   prints a free TCP port on loopback

bench_build() {
    local -a build=(swift build -c release)
    [[ -n "${SHOP_BENCH_SCRATCH:-}" ]] && build+=(--scratch-path "$SHOP_BENCH_SCRATCH")
    say "building release binaries (${build[*]})"
    "${build[@]}" >/dev/null || die "release build failed"
    bin=$("${build[@]}" --show-bin-path)
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stack_pids=()
stack_start() {
    local dir=$1 port=$2 svc i
    mkdir -p "$dir/logs"
    for svc in notifier fulfillment payments gateway; do
        SHOP_SOCKET_DIR="$dir/s" SHOP_DATA_DIR="$dir/d" SHOP_LOG_LEVEL="${SHOP_LOG_LEVEL:-warn}" \
            GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$port" "$bin/$svc" serve 2>"$dir/logs/$svc.log" &
        stack_pids+=($!)
        for i in $(seq 200); do
            SHOP_SOCKET_DIR="$dir/s" "$bin/$svc" health >/dev/null 2>&1 && break
            kill -0 "${stack_pids[-1]}" 2>/dev/null || die "$svc exited at start: $(tail -5 "$dir/logs/$svc.log")"
            sleep 0.05
        done
        SHOP_SOCKET_DIR="$dir/s" "$bin/$svc" health >/dev/null 2>&1 || die "$svc did not become healthy"
    done
    trap stack_stop EXIT
}

stack_stop() {
    local pid
    for pid in "${stack_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${stack_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    stack_pids=()
}

# stack_cpu LABEL: one JSON line with each running service's CPU seconds (user + system) so far.
stack_cpu() {
    local label=$1 svc i=0 tick line="" t
    tick=$(getconf CLK_TCK)
    for svc in notifier fulfillment payments gateway; do
        t=$(awk -v tk="$tick" '{printf "%.2f", ($14 + $15) / tk}' "/proc/${stack_pids[$i]}/stat" 2>/dev/null || echo null)
        line+="\"$svc\":$t,"
        i=$((i + 1))
    done
    echo "{\"label\":\"$label\",${line%,}}"
}
