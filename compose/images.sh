#!/usr/bin/env bash
# compose/images.sh: make the two base images that compose/Dockerfile starts from, locally, with
# no container registry: for machines (and CI) that reach a Debian mirror but no Docker Hub.
#
# Usage: compose/images.sh [--force]
#   debian:bookworm-slim   `debootstrap --variant=minbase bookworm` from the machine's own Debian
#                          mirror, imported with `docker import` (the RUNTIME_IMAGE default).
#   swift:6.3-bookworm     the same, plus what the official Swift image carries to build (libc,
#                          libstdc++ and libgcc headers, binutils, pkg-config, git, ...) and the
#                          project's -dev libraries, with the host's Swift toolchain
#                          (SWIFT_TOOLCHAIN_DIR, default /opt/swift: the usr/ folder of the
#                          swift.org tarball) copied into /usr (the SWIFT_IMAGE default). About
#                          3.5 GB; made only when the full multi-stage build is wanted.
# An image whose tag already exists is kept (--force remakes both). Environment:
#   SHOP_RUNTIME_BASE   tag of the runtime base (default debian:bookworm-slim)
#   SHOP_SWIFT_BASE     tag of the build base (default swift:6.3-bookworm)
#   SHOP_IMAGES         which to make: "runtime", "swift" or "runtime swift" (default both)
#   DEBIAN_MIRROR       Debian mirror (default: the first bookworm mirror in /etc/apt/sources*)
#   DOCKER              the docker client to use (default: /usr/bin/docker if present, else docker)
# Needs root (debootstrap), debootstrap and a running Docker engine.
set -euo pipefail

prog="${0##*/}"
say() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$prog" "$*" >&2; exit 1; }

force=""
case "${1:-}" in
    -h | --help) sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    --force) force=1 ;;
    "") ;;
    *) die "unknown argument '$1' (try --help)" ;;
esac

RUNTIME_TAG="${SHOP_RUNTIME_BASE:-debian:bookworm-slim}"
SWIFT_TAG="${SHOP_SWIFT_BASE:-swift:6.3-bookworm}"
WANT="${SHOP_IMAGES:-runtime swift}"
TOOLCHAIN="${SWIFT_TOOLCHAIN_DIR:-/opt/swift}"
if [[ -z "${DOCKER:-}" ]]; then
    if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi

[[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: apt-get install debootstrap"
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers ($DOCKER info failed)"

# The machine's own mirror: the first URI that serves Debian (deb822 .sources or one-line
# sources.list), so that the images are made from exactly where this machine's apt goes.
find_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r "$f" ]] || continue
        uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")"
        [[ -n "$uri" ]] && { printf '%s\n' "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r "$f" ]] || continue
        uri="$(awk '$1 == "deb" && $0 !~ /security/ && $0 ~ /bookworm/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' "$f")"
        [[ -n "$uri" ]] && { printf '%s\n' "$uri"; return; }
    done
    printf '%s\n' "http://deb.debian.org/debian"
}
MIRROR="${DEBIAN_MIRROR:-$(find_mirror)}"
# The security archive sits next to the main one on deb.debian.org-style mirrors.
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"

have_image() { [[ -z "$force" ]] && "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

work="$(mktemp -d /var/tmp/shop-images.XXXXXX)"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT

# bootstrap DIR [PACKAGES]: a minbase bookworm with apt sources like the official images have
# (bookworm, bookworm-updates, bookworm-security), apt caches and lists emptied.
bootstrap() {
    local dir="$1" include="${2:-}" started=$SECONDS
    say "debootstrap --variant=minbase bookworm from $MIRROR${include:+ (+ ${include//,/ })}"
    debootstrap --variant=minbase ${include:+--include="$include"} bookworm "$dir" "$MIRROR" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    }
    cat >"$dir/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
    say "debootstrap took $((SECONDS - started)) s"
}

# import TAG DIR [EXTRA_DIR]: EXTRA_DIR's usr/ (the toolchain) is merged into DIR's usr/ as hard
# links (same filesystem) or copies, since docker import refuses a tar with duplicate paths.
import() {
    local tag="$1" dir="$2" extra="${3:-}" started=$SECONDS
    if [[ -n "$extra" ]]; then
        say "merging $extra/usr into the image's /usr"
        cp -al --remove-destination "$extra/usr/." "$dir/usr/" 2>/dev/null \
            || cp -a --remove-destination "$extra/usr/." "$dir/usr/" \
            || die "could not copy $extra/usr into $dir/usr"
    fi
    say "docker import as $tag"
    tar --numeric-owner -cf - -C "$dir" . \
        | "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' - "$tag" >/dev/null \
        || die "docker import of $tag failed"
    say "imported $tag in $((SECONDS - started)) s ($("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}'))"
}

if [[ " $WANT " == *" runtime "* ]]; then
    if have_image "$RUNTIME_TAG"; then
        say "$RUNTIME_TAG exists: kept (--force remakes it)"
    else
        bootstrap "$work/runtime"
        import "$RUNTIME_TAG" "$work/runtime"
        rm -rf --one-file-system "$work/runtime"
    fi
fi

if [[ " $WANT " == *" swift "* ]]; then
    if have_image "$SWIFT_TAG"; then
        say "$SWIFT_TAG exists: kept (--force remakes it)"
    else
        [[ -x "$TOOLCHAIN/usr/bin/swift" ]] || die "no Swift toolchain at $TOOLCHAIN (set SWIFT_TOOLCHAIN_DIR to the folder holding usr/bin/swift)"
        # What swift.org's bookworm image installs to compile and link (binutils with gold, the C
        # library and libstdc++ headers, git for SwiftPM), plus the project's own -dev packages
        # and pkg-config, so that the Dockerfile's build stage needs no network here.
        bootstrap "$work/swift" "binutils,ca-certificates,git,gnupg2,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libncurses6,libpython3.11,libsqlite3-dev,libssl-dev,libstdc++-12-dev,libxml2,libz3-4,pkg-config,tzdata,unzip,zlib1g-dev"
        import "$SWIFT_TAG" "$work/swift" "$TOOLCHAIN"
        rm -rf --one-file-system "$work/swift"
    fi
fi

"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^(${RUNTIME_TAG}|${SWIFT_TAG}) " >&2 || true
