#!/usr/bin/env bash
# compose/test.sh: the docker-compose stack, really built, started and checked with Docker.
#
# Usage: compose/test.sh            (as root; run by scripts/test when root with Docker, always in CI)
# Builds the image from compose/Dockerfile, checks `docker-compose config`, starts the stack with
# the dev profile (the local Stripe stand-in), waits until Docker reports every service healthy,
# runs a real order through the published loopback port, crashes each service in turn (Docker
# restarts it; an order paid during the outage is fulfilled after it returns), stops and starts
# the stack again (volumes keep the data), and checks that the image holds no secret and the
# containers run as the non-root user. Everything is torn down at the end, even on failure:
# containers, volumes, networks, the test image, and dockerd if this script started it.
# Environment:
#   SHOP_COMPOSE_BUILD   prebuilt (default): release binaries built on the host with the same
#                        command as the Dockerfile, image built with --target runtime-prebuilt;
#                        full: the Dockerfile's default multi-stage build (makes the ~3.5 GB Swift
#                        base image with compose/images.sh once, if missing)
#   SHOP_COMPOSE_SCRATCH scratch path of the host release build (default .build-compose)
#   SHOP_COMPOSE_KEEP=1  leave the stack running at the end (for debugging; no teardown)
#   CI=true              never skip: missing packages are installed, a missing engine is an error
# Exit status: 0 all passed (or skipped, with the reason printed), 1 a step failed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/.." && pwd -P)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

case "${1:-}" in
    -h | --help) sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac

T0=$SECONDS
IN_CI=""
[[ "${CI:-}" == true || "${CI:-}" == 1 ]] && IN_CI=1
MODE="${SHOP_COMPOSE_BUILD:-prebuilt}"
case "$MODE" in prebuilt | full) ;; *) die "SHOP_COMPOSE_BUILD must be prebuilt or full (got '$MODE')" ;; esac

# No "N passed" line when skipping: nothing ran, and a runner's closing line should not say otherwise.
skip_all() {
    say "SKIPPED the docker-compose test: $*"
    exit 0
}

# ---------------------------------------------------------------------------------------------
# Bookkeeping: every check is a named step with PASS, FAIL or SKIP and its duration.
# ---------------------------------------------------------------------------------------------
RESULTS=()
N_PASS=0 N_FAIL=0 N_SKIP=0
STEP_NAME="" STEP_T0=0
begin() { STEP_NAME="$1"; STEP_T0=$SECONDS; say "---- $1"; }
pass() {
    local d=$((SECONDS - STEP_T0))
    RESULTS+=("PASS  $(printf '%4ss' "$d")  $STEP_NAME${1:+  ($1)}"); N_PASS=$((N_PASS + 1))
    say "PASS: $STEP_NAME${1:+ ($1)} [${d}s]"
}
fail() {
    local d=$((SECONDS - STEP_T0))
    RESULTS+=("FAIL  $(printf '%4ss' "$d")  $STEP_NAME: $1"); N_FAIL=$((N_FAIL + 1))
    say "FAIL: $STEP_NAME: $1 [${d}s]"
}
skip() {
    RESULTS+=("SKIP      -  $1: $2"); N_SKIP=$((N_SKIP + 1))
    say "SKIP: $1: $2"
}

# ---------------------------------------------------------------------------------------------
# Preconditions: root, Docker engine, docker-compose.
# ---------------------------------------------------------------------------------------------
if [[ "$(id -u)" != 0 ]]; then
    [[ -n "$IN_CI" ]] && die "CI=true but not running as root: the compose test starts dockerd and cannot run"
    skip_all "not root (the test starts dockerd and makes base images with debootstrap; run it as root)"
fi

if [[ -n "$IN_CI" ]]; then
    ensure_debian_packages docker.io docker-compose debootstrap curl python3 ca-certificates
else
    for tool in dockerd docker-compose debootstrap curl python3; do
        command -v "$tool" >/dev/null 2>&1 \
            || skip_all "$tool not found (apt-get install docker.io docker-compose debootstrap curl python3; CI installs them itself)"
    done
fi

# The engine's own client: Debian's docker.io (20.10) builds with BuildKit without buildx; a
# newer client elsewhere on PATH without the buildx plugin would refuse DOCKER_BUILDKIT=1.
if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER="$(command -v docker)"; fi
export DOCKER
COMPOSE=(docker-compose)

WORK="$(mktemp -d /var/tmp/shop-compose-test.XXXXXX)"
PROJECT="shoptest$$"
IMAGE="shop:compose-test-$$"
STARTED_DOCKERD=""
DOCKERD_PID=""
STACK_STARTED=""

# Secrets of this run only: random, so that finding one in the image proves a leak.
rand() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
SECRET_KEY="sk_test_ct$(rand)"
PUBLISHABLE_KEY="pk_test_ct$(rand)"
WEBHOOK_SECRET="whsec_ct$(rand)"
MERCHANT_SECRET="mwhsec_ct$(rand)"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
GATEWAY_PORT_HOST="$(free_port)"
EMULATOR_PORT_HOST="$(free_port)"
ADMIN_PORT_HOST="$(free_port)"
GW="http://127.0.0.1:$GATEWAY_PORT_HOST"
EMU="http://127.0.0.1:$EMULATOR_PORT_HOST"

# The run's own env file: compose/.env of the user (if any) is not read. It is the committed
# dev.env (the dev profile, through its COMPOSE_PROFILES, and the stand-in's settings) with this run's
# random secrets and free ports in place of dev.env's public values.
OVERRIDDEN='^(STRIPE_SECRET_KEY|STRIPE_PUBLISHABLE_KEY|STRIPE_WEBHOOK_SECRET|STRIPE_JS_URL|EMULATOR_PUBLISH_PORT)='
{
    grep -Ev "$OVERRIDDEN" "$HERE/dev.env"
    cat <<EOF
COMPOSE_PROJECT_NAME=$PROJECT
SHOP_IMAGE=$IMAGE
SHOP_PUBLISH_ADDRESS=127.0.0.1
SHOP_PUBLISH_PORT=$GATEWAY_PORT_HOST
EMULATOR_PUBLISH_PORT=$EMULATOR_PORT_HOST
SHOP_ADMIN_PUBLISH_PORT=$ADMIN_PORT_HOST
PUBLIC_BASE_URL=$GW
STRIPE_SECRET_KEY=$SECRET_KEY
STRIPE_PUBLISHABLE_KEY=$PUBLISHABLE_KEY
STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET
STRIPE_JS_URL=$EMU/js.stripe.com/v3/
MERCHANT_WEBHOOK_SECRET=$MERCHANT_SECRET
SHOP_LOG_LEVEL=info
SHOP_HEALTHCHECK_INTERVAL=1s
EOF
} >"$WORK/test.env"

dc() { "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/test.env" -f "$HERE/docker-compose.yml" "$@"; }
SERVICES=(notifier fulfillment payments gateway)
ALL_SERVICES=(notifier fulfillment payments gateway stripe-emulator)
cid() { dc ps -q "$1" 2>/dev/null | head -n1; }

show_stack_state() {
    say "docker-compose ps:"
    dc ps 2>&1 | sed 's/^/    | /' >&2
    local s
    for s in "${ALL_SERVICES[@]}"; do
        say "last 15 log lines of $s:"
        dc logs --no-color --tail 15 "$s" 2>&1 | sed 's/^/    | /' >&2
    done
}

# ---------------------------------------------------------------------------------------------
# Teardown, whatever happened.
# ---------------------------------------------------------------------------------------------
teardown() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "${SHOP_COMPOSE_KEEP:-}" ]]; then
        say "SHOP_COMPOSE_KEEP set: leaving project $PROJECT running (tear down: docker-compose -p $PROJECT --env-file $WORK/test.env -f $HERE/docker-compose.yml down -v)"
    else
        if [[ -n "$STACK_STARTED" ]]; then
            say "teardown: docker-compose down -v (containers, volumes, network)"
            timeout 120 "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/test.env" -f "$HERE/docker-compose.yml" \
                down -v --remove-orphans -t 10 >"$WORK/down.log" 2>&1 \
                || { warn "docker-compose down failed:"; sed 's/^/    | /' "$WORK/down.log" >&2; }
        fi
        if "$DOCKER" info >/dev/null 2>&1; then
            # Anything of this project left behind (a failed down), then the test image.
            "$DOCKER" ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
            "$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r "$DOCKER" volume rm -f >/dev/null 2>&1
            "$DOCKER" network ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r "$DOCKER" network rm >/dev/null 2>&1
            "$DOCKER" rmi -f "$IMAGE" >/dev/null 2>&1
            # Each run adds its binaries to BuildKit's cache: keep the cache bounded (least
            # recently used first), so repeated runs on one machine do not fill the disk.
            DOCKER_BUILDKIT=1 "$DOCKER" builder prune -f --keep-storage 4gb >/dev/null 2>&1
        fi
        if [[ -n "$STARTED_DOCKERD" && -n "$DOCKERD_PID" ]]; then
            say "teardown: stopping the dockerd this script started (pid $DOCKERD_PID)"
            kill -TERM "$DOCKERD_PID" 2>/dev/null
            local i
            for ((i = 0; i < 150; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
            if kill -0 "$DOCKERD_PID" 2>/dev/null; then
                warn "dockerd did not stop within 30 s: SIGKILL"
                kill -KILL "$DOCKERD_PID" 2>/dev/null
            fi
        fi
        rm -rf --one-file-system "$WORK"
    fi
    exit "$status"
}
trap teardown EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# HTTP helpers (loopback only) and JSON field extraction.
# ---------------------------------------------------------------------------------------------
HTTP_STATUS="" HTTP_BODY=""
# http METHOD URL [CURL_ARGS...]: sets HTTP_STATUS and HTTP_BODY; never fails the shell.
http() {
    local method="$1" url="$2"
    shift 2
    local out
    out="$(curl -sS --noproxy '*' -o "$WORK/body" -w '%{http_code}' --max-time 15 -X "$method" "$@" "$url" 2>"$WORK/curl.err")" || out="000"
    HTTP_STATUS="$out"
    HTTP_BODY="$(cat "$WORK/body" 2>/dev/null || true)"
    [[ "$HTTP_STATUS" == 000 ]] && HTTP_BODY="$(cat "$WORK/curl.err")"
    rm -f "$WORK/body"
}
# json_get KEY: first value of KEY anywhere in the JSON on stdin (depth first), as text.
json_get() {
    python3 -c '
import json, sys
key = sys.argv[1]
def find(v):
    if isinstance(v, dict):
        if key in v and not isinstance(v[key], (dict, list)):
            return v[key]
        for x in v.values():
            r = find(x)
            if r is not None:
                return r
    elif isinstance(v, list):
        for x in v:
            r = find(x)
            if r is not None:
                return r
    return None
try:
    r = find(json.load(sys.stdin))
except Exception:
    sys.exit(1)
if r is None:
    sys.exit(1)
print(r)
' "$1"
}
short() { printf '%s' "$1" | tr '\n' ' ' | cut -c1-300; }

# ---------------------------------------------------------------------------------------------
# Docker state helpers.
# ---------------------------------------------------------------------------------------------
health_of() { "$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo gone; }
restarts_of() { "$DOCKER" inspect -f '{{.RestartCount}}' "$1" 2>/dev/null || echo -1; }

# wait_all_healthy TIMEOUT [SERVICE...]: each reported healthy by Docker (default: the four).
UNHEALTHY=""
wait_all_healthy() {
    local deadline=$((SECONDS + $1)) s c h
    shift
    local -a which=("$@")
    ((${#which[@]} > 0)) || which=("${SERVICES[@]}")
    while :; do
        UNHEALTHY=""
        for s in "${which[@]}"; do
            c="$(cid "$s")"
            h="$([[ -n "$c" ]] && health_of "$c" || echo "no container")"
            [[ "$h" == healthy ]] || UNHEALTHY+=" $s=$h"
        done
        [[ -z "$UNHEALTHY" ]] && return 0
        ((SECONDS >= deadline)) && return 1
        sleep 1
    done
}

# ---------------------------------------------------------------------------------------------
# Orders through the gateway's published port, paid through the stand-in's test helper.
# ---------------------------------------------------------------------------------------------
SKU=""
ORDER_ID="" PI_ID=""
ORDER_ERR=""
# create_order EMAIL: sets ORDER_ID and PI_ID, or ORDER_ERR.
create_order() {
    ORDER_ID="" PI_ID="" ORDER_ERR=""
    if [[ -z "$SKU" ]]; then
        http GET "$GW/api/catalog"
        if [[ "$HTTP_STATUS" != 200 ]]; then ORDER_ERR="GET /api/catalog: HTTP $HTTP_STATUS $(short "$HTTP_BODY")"; return 1; fi
        SKU="$(printf '%s' "$HTTP_BODY" | json_get sku)" || { ORDER_ERR="GET /api/catalog: no sku in $(short "$HTTP_BODY")"; return 1; }
    fi
    http POST "$GW/api/orders" -H 'Content-Type: application/json' \
        --data "{\"items\":[{\"sku\":\"$SKU\",\"quantity\":1}],\"email\":\"$1\"}"
    if [[ "$HTTP_STATUS" != 201 ]]; then ORDER_ERR="POST /api/orders: HTTP $HTTP_STATUS $(short "$HTTP_BODY")"; return 1; fi
    ORDER_ID="$(printf '%s' "$HTTP_BODY" | json_get order_id)" || { ORDER_ERR="no order_id in $(short "$HTTP_BODY")"; return 1; }
    PI_ID="$(printf '%s' "$HTTP_BODY" | json_get payment_intent_id)" || { ORDER_ERR="no payment_intent_id in $(short "$HTTP_BODY")"; return 1; }
}
# pay PI_ID: confirms it with the 4242 test card, as the browser would through Stripe.js.
pay() {
    http POST "$EMU/_emulator/payment_intents/$1/confirm" --data-urlencode "card=4242424242424242"
    [[ "$HTTP_STATUS" == 2?? ]] || { ORDER_ERR="POST /_emulator/payment_intents/$1/confirm: HTTP $HTTP_STATUS $(short "$HTTP_BODY")"; return 1; }
}
# wait_status ORDER_ID STATUS TIMEOUT
LAST_STATUS=""
wait_status() {
    local deadline=$((SECONDS + $3))
    while :; do
        http GET "$GW/api/orders/$1"
        LAST_STATUS="HTTP $HTTP_STATUS"
        if [[ "$HTTP_STATUS" == 200 ]]; then
            LAST_STATUS="$(printf '%s' "$HTTP_BODY" | json_get status || echo "?")"
            [[ "$LAST_STATUS" == "$2" ]] && return 0
        fi
        ((SECONDS >= deadline)) && return 1
        sleep 0.5
    done
}
# eml_for EMAIL: the .eml files in the notifier's data volume that are addressed to EMAIL.
eml_for() {
    local c
    c="$(cid notifier)"
    [[ -n "$c" ]] || return 1
    # shellcheck disable=SC2016 # $1 is expanded by the container's shell
    "$DOCKER" exec "$c" sh -c 'find /var/lib/shop -name "*.eml" -type f -exec grep -l -F -- "$1" {} + 2>/dev/null' sh "$1"
}

# ---------------------------------------------------------------------------------------------
# 0. No Stripe secret has a default: without STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET the file
# does not even resolve, and the message names the variable (needs docker-compose, not the engine).
# ---------------------------------------------------------------------------------------------
config_without() {
    # $1: an env file; the shell's own STRIPE_* and profile settings must not fill the gap.
    env -u STRIPE_SECRET_KEY -u STRIPE_WEBHOOK_SECRET -u STRIPE_PUBLISHABLE_KEY -u STRIPE_API_BASE -u COMPOSE_PROFILES \
        "${COMPOSE[@]}" -p "$PROJECT" --env-file "$1" -f "$HERE/docker-compose.yml" config >"$WORK/config-refused.yml" 2>"$WORK/config-refused.err"
}
begin "docker-compose config refuses to resolve without the Stripe secrets, naming them"
printf 'COMPOSE_PROJECT_NAME=%s\n' "$PROJECT" >"$WORK/no-secrets.env"
printf 'COMPOSE_PROJECT_NAME=%s\nSTRIPE_SECRET_KEY=%s\n' "$PROJECT" "$SECRET_KEY" >"$WORK/no-webhook-secret.env"
printf 'COMPOSE_PROJECT_NAME=%s\nSTRIPE_WEBHOOK_SECRET=%s\n' "$PROJECT" "$WEBHOOK_SECRET" >"$WORK/no-key.env"
refusals=""
# The message itself, ": VAR is not set - ..." (v1 also dumps the unresolved templates, where the
# same words follow "?": they do not count).
for case in "no-secrets:(STRIPE_SECRET_KEY|STRIPE_WEBHOOK_SECRET)" "no-key:STRIPE_SECRET_KEY" "no-webhook-secret:STRIPE_WEBHOOK_SECRET"; do
    file="${case%%:*}" want=": ${case#*:} is not set"
    if config_without "$WORK/$file.env"; then
        refusals+=" $file(resolved)"
    elif ! grep -qE "$want" "$WORK/config-refused.err"; then
        refusals+=" $file(message: $(short "$(cat "$WORK/config-refused.err")"))"
    elif grep -qF -e "$SECRET_KEY" -e "$WEBHOOK_SECRET" "$WORK/config-refused.err"; then
        refusals+=" $file(secret in the message)"
    fi
done
# And the committed dev.env alone resolves, with the stand-in's Stripe.js for the gateway (that its
# COMPOSE_PROFILES starts the stand-in is shown by the up below, which uses no --profile flag).
if ! env -u STRIPE_SECRET_KEY -u STRIPE_WEBHOOK_SECRET -u COMPOSE_PROFILES "${COMPOSE[@]}" -p "$PROJECT" \
    --env-file "$HERE/dev.env" -f "$HERE/docker-compose.yml" config >"$WORK/config-dev.yml" 2>"$WORK/config-dev.err"; then
    refusals+=" dev.env(refused: $(short "$(cat "$WORK/config-dev.err")"))"
elif ! grep -q 'STRIPE_JS_URL: http://127.0.0.1:12111/js.stripe.com/v3/' "$WORK/config-dev.yml"; then
    refusals+=" dev.env(no STRIPE_JS_URL for the gateway in the resolved file)"
fi
if [[ -z "$refusals" ]]; then pass "each missing secret named; dev.env resolves"; else fail "$refusals"; fi

# ---------------------------------------------------------------------------------------------
# 1. Docker engine.
# ---------------------------------------------------------------------------------------------
begin "docker engine running"
if "$DOCKER" info >/dev/null 2>&1; then
    pass "already running: $("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null)"
else
    # These machines may not raise resource limits: the engine's default ulimits stay within
    # what the test's own process has.
    mkdir -p "$WORK/dockerd"
    setsid dockerd --default-ulimit nofile=4096:4096 --default-ulimit nproc=4096:4096 \
        >"$WORK/dockerd.log" 2>&1 </dev/null &
    DOCKERD_PID=$!
    STARTED_DOCKERD=1
    for ((i = 0; i < 60; i++)); do
        "$DOCKER" info >/dev/null 2>&1 && break
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    if "$DOCKER" info >/dev/null 2>&1; then
        pass "started dockerd (pid $DOCKERD_PID), $("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null)"
    else
        fail "dockerd did not come up; last lines of its log:"
        tail -n 20 "$WORK/dockerd.log" | sed 's/^/    | /' >&2
        STARTED_DOCKERD=""
        kill -TERM "$DOCKERD_PID" 2>/dev/null
    fi
fi

ENGINE_OK=""
((N_FAIL == 0)) && ENGINE_OK=1

# ---------------------------------------------------------------------------------------------
# 2. Base images (offline: debootstrap + docker import; kept once made).
# ---------------------------------------------------------------------------------------------
IMAGE_OK=""
if [[ -n "$ENGINE_OK" ]]; then
    begin "base images ($MODE build)"
    want="runtime"
    [[ "$MODE" == full ]] && want="runtime swift"
    if SHOP_IMAGES="$want" "$HERE/images.sh" >"$WORK/images.log" 2>&1; then
        pass "$(grep -E 'kept|imported' "$WORK/images.log" | sed 's/^\[images.sh\] //' | paste -sd';' -)"
        IMAGE_OK=1
    else
        fail "compose/images.sh failed"
        tail -n 30 "$WORK/images.log" | sed 's/^/    | /' >&2
    fi
fi

# ---------------------------------------------------------------------------------------------
# 3. The image, from the real Dockerfile.
# ---------------------------------------------------------------------------------------------
if [[ -n "$IMAGE_OK" ]]; then
    IMAGE_OK=""
    if [[ "$MODE" == prebuilt ]]; then
        begin "host release build (swift build -c release --static-swift-stdlib)"
        ensure_swift
        # shellcheck disable=SC2086 # BASE_PACKAGES is a space-separated list on purpose
        ensure_debian_packages $BASE_PACKAGES
        scratch="${SHOP_COMPOSE_SCRATCH:-$ROOT/.build-compose}"
        if (cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path "$scratch") >"$WORK/swift-build.log" 2>&1; then
            bin="$(cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)"
            mkdir -p "$WORK/context"
            for b in gateway payments fulfillment notifier stripe-emulator; do
                cp "$bin/$b" "$WORK/context/$b"
            done
            pass "$bin"
            IMAGE_OK=1
        else
            fail "the release build failed; last lines:"
            grep -E 'error:' "$WORK/swift-build.log" | head -n 20 | sed 's/^/    | /' >&2
            tail -n 10 "$WORK/swift-build.log" | sed 's/^/    | /' >&2
        fi
    else
        IMAGE_OK=1
    fi
fi
if [[ -n "$IMAGE_OK" ]]; then
    IMAGE_OK=""
    begin "docker build -f compose/Dockerfile ($([[ "$MODE" == prebuilt ]] && echo "--target runtime-prebuilt" || echo "default target runtime"))"
    if [[ "$MODE" == prebuilt ]]; then
        build_args=(--target runtime-prebuilt "$WORK/context")
    else
        build_args=("$ROOT")
    fi
    if DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -f "$HERE/Dockerfile" -t "$IMAGE" "${build_args[@]}" >"$WORK/build.log" 2>&1; then
        pass "$IMAGE, $("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
        IMAGE_OK=1
    else
        fail "docker build failed; last lines:"
        tail -n 30 "$WORK/build.log" | sed 's/^/    | /' >&2
    fi
fi

# ---------------------------------------------------------------------------------------------
# 4. docker-compose config, 5. up with the dev profile, 6. healthy per Docker.
# ---------------------------------------------------------------------------------------------
UP_OK="" EMU_OK=""
if [[ -n "$IMAGE_OK" ]]; then
    begin "docker-compose config"
    if dc config >"$WORK/config.yml" 2>"$WORK/config.err"; then
        absent=""
        for s in "${ALL_SERVICES[@]}"; do grep -q "^  $s:" "$WORK/config.yml" || absent+=" $s"; done
        if [[ -z "$absent" ]]; then pass "$("${COMPOSE[@]}" version --short 2>/dev/null || true), 5 services: COMPOSE_PROFILES=dev from dev.env"; else fail "services missing from the config:$absent"; fi
    else
        fail "$(short "$(cat "$WORK/config.err")")"
    fi

    begin "docker-compose up -d (the dev profile)"
    STACK_STARTED=1
    if timeout 300 "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/test.env" -f "$HERE/docker-compose.yml" \
        up -d --no-build >"$WORK/up.log" 2>&1; then
        pass
        UP_OK=1
    else
        fail "up failed: $(short "$(tail -n 5 "$WORK/up.log")")"
        show_stack_state
    fi

    if [[ -n "$UP_OK" ]]; then
        begin "every service healthy (Docker's healthcheck: <service> health)"
        if wait_all_healthy 120; then
            pass "${SERVICES[*]}"
        else
            fail "not healthy within 120 s:$UNHEALTHY"
            show_stack_state
            UP_OK=""
        fi
    fi
    if [[ -n "$UP_OK" ]]; then
        begin "the Stripe stand-in (dev profile) healthy"
        if wait_all_healthy 30 stripe-emulator; then
            pass
            EMU_OK=1
        else
            fail "not healthy within 30 s:$UNHEALTHY; last log lines:"
            dc logs --no-color --tail 10 stripe-emulator 2>&1 | sed 's/^/    | /' >&2
        fi
    fi
else
    skip "docker-compose config / up / healthy" "no image"
fi

# ---------------------------------------------------------------------------------------------
# 7. Non-root, 8. no secret in the image.
# ---------------------------------------------------------------------------------------------
if [[ -n "$UP_OK" ]]; then
    begin "each container runs as its own non-root user"
    declare -A OWN_UID=([gateway]=10001 [payments]=10002 [fulfillment]=10003 [notifier]=10004 [stripe-emulator]=10005)
    bad=""
    checked=()
    for s in "${ALL_SERVICES[@]}"; do
        c="$(cid "$s")"
        [[ "$("$DOCKER" inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" == true ]] || continue
        checked+=("$s=${OWN_UID[$s]}")
        # The processes as the host's kernel sees them, not what `exec` would run as.
        uids="$("$DOCKER" top "$c" -eo pid,uid 2>/dev/null | awk 'NR > 1 { print $2 }' | sort -u | paste -sd, -)"
        [[ "$uids" == "${OWN_UID[$s]}" ]] || bad+=" $s(uid=$uids, expected ${OWN_UID[$s]})"
    done
    if [[ -z "$bad" ]]; then pass "${checked[*]}"; else fail "processes not running as their service's user:$bad"; fi

    # Issue 16 item 5: a socket's group admits exactly the services that call it. Each service's
    # `health` command connects to its socket; run from another container it connects as that
    # container's user, so it shows who can reach whom.
    begin "each socket admits exactly its callers; services check senders by uid"
    allowed=" gateway>payments gateway>fulfillment gateway>notifier payments>fulfillment fulfillment>payments fulfillment>notifier "
    problems=""
    reachable=()
    for from in gateway payments fulfillment notifier; do
        for to in gateway payments fulfillment notifier; do
            [[ "$from" == "$to" ]] && continue
            out="$("$DOCKER" exec "$(cid "$from")" "$to" health 2>&1)" && code=0 || code=$?
            if [[ "$allowed" == *" $from>$to "* ]]; then
                if ((code == 0)); then reachable+=("$from>$to"); else problems+=" $from>$to(refused: $(short "$out"))"; fi
            elif ((code == 0)) || [[ "$out" != *"ermission denied"* ]]; then
                problems+=" $from>$to(expected permission denied, got exit $code: $(short "$out"))"
            fi
        done
    done
    for s in gateway payments fulfillment notifier; do
        # Read whole, not piped into grep -q: with pipefail, grep leaving early fails the pipeline
        # (SIGPIPE to docker-compose) whenever the service has logged more than a pipe holds.
        logs="$(dc logs --no-color "$s" 2>/dev/null || true)"
        [[ "$logs" == *"callers are checked by uid"* ]] || problems+=" $s(no 'callers are checked by uid' log line)"
    done
    # The gateway's /readyz asks payments, fulfillment and the notifier: a socket the gateway cannot
    # reach shows there as 503 (the healthchecks, each on its own socket, would not see it).
    http GET "$GW/readyz"
    [[ "$HTTP_STATUS" == 200 ]] || problems+=" /readyz(HTTP $HTTP_STATUS: $(short "$HTTP_BODY"))"
    if [[ -z "$problems" ]]; then pass "reachable: ${reachable[*]}; every other pair: permission denied; /readyz 200"; else fail "$problems"; fi
fi
if [[ -n "$IMAGE_OK" ]]; then
    begin "no secret in docker inspect/history of the image"
    "$DOCKER" image inspect "$IMAGE" >"$WORK/inspect.json" 2>&1
    "$DOCKER" history --no-trunc "$IMAGE" >>"$WORK/inspect.json" 2>&1
    leaks=""
    for secret in "$SECRET_KEY" "$PUBLISHABLE_KEY" "$WEBHOOK_SECRET" "$MERCHANT_SECRET"; do
        grep -qF -- "$secret" "$WORK/inspect.json" && leaks+=" ${secret:0:10}..."
    done
    # No key-shaped value of any kind, nor a Stripe/SMTP/merchant secret variable in Env.
    grep -qE '(sk|rk)_(test|live)_[A-Za-z0-9]|whsec_[A-Za-z0-9]' "$WORK/inspect.json" && leaks+=" key-shaped-value"
    grep -qE '"(STRIPE_[A-Z_]*|SMTP_URL|MERCHANT_WEBHOOK_SECRET)=' "$WORK/inspect.json" && leaks+=" secret-variable-in-Env"
    if [[ -z "$leaks" ]]; then pass "image Env: $("$DOCKER" image inspect -f '{{join .Config.Env " "}}' "$IMAGE" | tr ' ' '\n' | cut -d= -f1 | paste -sd, -)"; else fail "found:$leaks"; fi
fi

# ---------------------------------------------------------------------------------------------
# The browser's path in the dev profile: the pages load the stand-in's emulated Stripe.js from its
# published loopback port, and their policy allows exactly that origin.
# ---------------------------------------------------------------------------------------------
if [[ -n "$UP_OK" && -n "$EMU_OK" ]]; then
    begin "pages load the stand-in's Stripe.js from its published port (dev profile)"
    problems=""
    page_headers="$(curl -sS --noproxy '*' --max-time 15 -D - -o "$WORK/checkout.html" "$GW/checkout?order_id=ord_x" 2>&1)" || problems+=" page(unreachable)"
    grep -qF "<script src=\"$EMU/js.stripe.com/v3/\"></script>" "$WORK/checkout.html" 2>/dev/null || problems+=" page(no script tag for $EMU)"
    grep -qiE "^content-security-policy:.*script-src 'self' $EMU;" <<<"$page_headers" || problems+=" page(CSP does not allow $EMU)"
    http GET "$EMU/js.stripe.com/v3/"
    [[ "$HTTP_STATUS" == 200 && "$HTTP_BODY" == *confirmPayment* ]] || problems+=" stripe.js(HTTP $HTTP_STATUS)"
    http GET "$EMU/elements/payment-element.html"
    [[ "$HTTP_STATUS" == 200 && "$HTTP_BODY" == *'name="number"'* ]] || problems+=" payment-element(HTTP $HTTP_STATUS)"
    if [[ -z "$problems" ]]; then pass "$EMU/js.stripe.com/v3/"; else fail "$problems"; fi
fi

# ---------------------------------------------------------------------------------------------
# 9-12. A real order: create, pay through the stand-in, fulfilled, email written.
# ---------------------------------------------------------------------------------------------
ORDERS=()          # "order_id email" of every order that reached fulfilled
if [[ -n "$UP_OK" ]]; then
    begin "order: POST /api/orders through the published port"
    [[ -n "$EMU_OK" ]] || say "(the stand-in is not healthy: the payment step will fail)"
    email="first-$PROJECT@example.com"
    if create_order "$email"; then
        pass "$ORDER_ID, $PI_ID"
        begin "order: paid through the stand-in (4242 4242 4242 4242)"
        if pay "$PI_ID"; then
            pass
            begin "order: fulfilled (GET /api/orders/{id})"
            if wait_status "$ORDER_ID" fulfilled 30; then
                pass
                ORDERS+=("$ORDER_ID $email")
                begin "order: email written (.eml in the notifier's data volume)"
                found=""
                for ((i = 0; i < 20; i++)); do
                    found="$(eml_for "$email")" && [[ -n "$found" ]] && break
                    sleep 0.5
                done
                if [[ -n "$found" ]]; then pass "$(printf '%s' "$found" | head -n1)"; else fail "no .eml addressed to $email under /var/lib/shop of notifier"; fi
            else
                fail "status $LAST_STATUS after 30 s"
                skip "order: email written" "order not fulfilled"
            fi
        else
            fail "$ORDER_ERR"
            skip "order: fulfilled / email" "payment failed"
        fi
    else
        fail "$ORDER_ERR"
        skip "order: paid / fulfilled / email" "no order"
    fi
fi

# ---------------------------------------------------------------------------------------------
# 13-20. Each service crashes in turn: restarted by Docker, healthy again, and an order paid
# while it was down fulfilled after it returns.
#
# The crash is a SIGKILL of the container's main process from the host, which is what Docker sees
# when a process dies (segfault, abort, OOM kill). `docker kill` itself cannot be used: the engine
# records it as a manual stop (HasBeenManuallyStopped in moby's daemon/kill.go), and no restart
# policy restarts a manually stopped container.
# ---------------------------------------------------------------------------------------------
if [[ -n "$UP_OK" ]]; then
    for s in "${SERVICES[@]}"; do
        begin "crash of $s (SIGKILL to its process): restarted by Docker and healthy again"
        c="$(cid "$s")"
        before="$(restarts_of "$c")"
        # An order waiting for payment first (needs the whole stack), then the outage.
        outage_email="outage-$s-$PROJECT@example.com"
        outage_order=""
        create_order "$outage_email" && outage_order="$ORDER_ID $PI_ID"
        outage_err="$ORDER_ERR"
        t_kill=$SECONDS
        pid="$("$DOCKER" inspect -f '{{.State.Pid}}' "$c" 2>/dev/null)"
        [[ "$pid" =~ ^[1-9][0-9]*$ ]] && kill -KILL "$pid" 2>/dev/null
        # The outage has begun once the killed process is gone (SIGKILL is delivered asynchronously).
        for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        paid_during=""
        if [[ -n "$outage_order" ]]; then
            # Paid at once: the stand-in is up, the killed service is not (yet) back.
            if pay "${outage_order#* }"; then
                now="$(restarts_of "$c")"
                if ((now == before)); then
                    paid_during="after its process died, before Docker restarted it"
                else
                    paid_during="after its process died, while its restart was starting up"
                fi
            else
                outage_err="$ORDER_ERR"
            fi
        fi
        ok=""
        deadline=$((SECONDS + 90))
        while ((SECONDS < deadline)); do
            now="$(restarts_of "$c")"
            if ((now > before)) && [[ "$(health_of "$c")" == healthy ]]; then ok=1; break; fi
            sleep 0.5
        done
        if [[ -n "$ok" ]]; then
            pass "restart count $before -> $now, healthy $((SECONDS - t_kill)) s after the kill"
        else
            fail "restart count $before -> $(restarts_of "$c"), health $(health_of "$c") 90 s after the kill of pid ${pid:-?}"
            show_stack_state
        fi
        begin "order paid during the $s outage fulfilled after it returns"
        if [[ -z "$outage_order" ]]; then
            fail "could not create the order: $outage_err"
        elif [[ -z "$paid_during" ]]; then
            fail "could not pay it: $outage_err"
        elif wait_status "${outage_order%% *}" fulfilled 60; then
            pass "${outage_order%% *} paid $paid_during"
            ORDERS+=("${outage_order%% *} $outage_email")
        else
            fail "${outage_order%% *}: status $LAST_STATUS 60 s after the restart"
        fi
    done
fi

# ---------------------------------------------------------------------------------------------
# 21-22. down, then up again: the volumes keep the data.
# ---------------------------------------------------------------------------------------------
if [[ -n "$UP_OK" ]]; then
    begin "down, then up again: data volumes kept"
    marker="compose-test-$(rand)"
    # A marker file in each data volume, written as the services' own user.
    marked=(notifier fulfillment payments)
    [[ -n "$EMU_OK" ]] && marked+=(stripe-emulator)
    for s in "${marked[@]}"; do
        # shellcheck disable=SC2016 # $1 is expanded by the container's shell
        "$DOCKER" exec "$(cid "$s")" sh -c 'printf %s "$1" > /var/lib/shop/.compose-test-marker' sh "$marker" >/dev/null 2>&1
    done
    dbs_before="$(for s in notifier fulfillment payments; do "$DOCKER" exec "$(cid "$s")" ls /var/lib/shop 2>/dev/null; done | grep -c '\.sqlite$')"
    histories_before=()
    for o in "${ORDERS[@]}"; do
        http GET "$GW/api/orders/${o%% *}"
        histories_before+=("$(printf '%s' "$HTTP_BODY" | python3 -c 'import json,sys; d=json.load(sys.stdin); h=d.get("history") or d.get("order",{}).get("history") or []; print(len(h))' 2>/dev/null || echo "?")")
    done
    emls_before="$("$DOCKER" exec "$(cid notifier)" sh -c 'find /var/lib/shop -name "*.eml" -type f | wc -l' 2>/dev/null || echo "?")"
    t_down=$SECONDS
    if ! timeout 120 "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/test.env" -f "$HERE/docker-compose.yml" \
        down -t 10 >"$WORK/down1.log" 2>&1; then
        fail "docker-compose down failed: $(short "$(tail -n 5 "$WORK/down1.log")")"
    elif [[ -n "$(dc ps -q 2>/dev/null)" ]]; then
        fail "containers still there after down"
    elif t_up=$SECONDS && d_down=$((SECONDS - t_down)) && ! timeout 300 "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/test.env" -f "$HERE/docker-compose.yml" \
        up -d --no-build >"$WORK/up2.log" 2>&1; then
        fail "second up failed: $(short "$(tail -n 5 "$WORK/up2.log")")"
        show_stack_state
    elif ! wait_all_healthy 120; then
        fail "not healthy again within 120 s:$UNHEALTHY"
        show_stack_state
    else
        lost=""
        for s in "${marked[@]}"; do
            got="$("$DOCKER" exec "$(cid "$s")" cat /var/lib/shop/.compose-test-marker 2>/dev/null)"
            [[ "$got" == "$marker" ]] || lost+=" $s"
        done
        dbs_after="$(for s in notifier fulfillment payments; do "$DOCKER" exec "$(cid "$s")" ls /var/lib/shop 2>/dev/null; done | grep -c '\.sqlite$')"
        if [[ -n "$lost" ]]; then
            fail "data volume content lost for:$lost"
        elif ((dbs_after < 3 || dbs_after != dbs_before)); then
            fail "databases in the data volumes: $dbs_before before, $dbs_after after (expected 3)"
        else
            pass "down ${d_down} s, up and healthy $((SECONDS - t_up)) s; same volumes: markers (${marked[*]}) and the 3 databases still there"
        fi
    fi

    begin "down, then up again: orders, their history and emails still there"
    if ((${#ORDERS[@]} == 0)); then
        fail "no fulfilled order to look for (see the order steps above)"
    else
        gone=""
        for idx in "${!ORDERS[@]}"; do
            o="${ORDERS[$idx]}"
            if wait_status "${o%% *}" fulfilled 10; then
                n="$(printf '%s' "$HTTP_BODY" | python3 -c 'import json,sys; d=json.load(sys.stdin); h=d.get("history") or d.get("order",{}).get("history") or []; print(len(h))' 2>/dev/null || echo "?")"
                [[ "$n" == "${histories_before[$idx]}" ]] || gone+=" ${o%% *}(history ${histories_before[$idx]} -> $n)"
            else
                gone+=" ${o%% *}($LAST_STATUS)"
            fi
        done
        emls_after="$("$DOCKER" exec "$(cid notifier)" sh -c 'find /var/lib/shop -name "*.eml" -type f | wc -l' 2>/dev/null || echo "?")"
        [[ "$emls_after" == "$emls_before" ]] || gone+=" emails($emls_before -> $emls_after)"
        if [[ -z "$gone" ]]; then pass "${#ORDERS[@]} orders fulfilled with the same history, $emls_after .eml files"; else fail "changed or lost:$gone"; fi
    fi
fi

# ---------------------------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------------------------
echo
echo "compose/test.sh summary ($MODE build, project $PROJECT, $((SECONDS - T0)) s before teardown):"
for r in "${RESULTS[@]}"; do echo "  $r"; done
echo "compose: $N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
((N_FAIL == 0))
