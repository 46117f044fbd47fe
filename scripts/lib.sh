# shellcheck shell=bash
# Helpers shared by scripts/run, scripts/test and CI. Source it; don't execute it:
#
#   # shellcheck source=scripts/lib.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here either succeeds or stops the calling script with one clear message saying
# what is missing and how to get it, so that a fresh Debian machine (or CI's fresh clone)
# gets from `git clone` to a running stack without reading anything else first.

# Guard against double sourcing (scripts may source each other's helpers later on).
if [[ -n "${_SHOP_LIB_SOURCED:-}" ]]; then
    return 0
fi
_SHOP_LIB_SOURCED=1

# ---------------------------------------------------------------------------------------------
# Logging. Everything goes to stderr so that stdout stays clean for values a caller captures.
# ---------------------------------------------------------------------------------------------

# The prefix names the script that is talking (run, test, ...), which matters when CI output
# interleaves several of them.
_shop_prog="${0##*/}"

say() {
    printf '[%s] %s\n' "$_shop_prog" "$*" >&2
}

warn() {
    printf '[%s] warning: %s\n' "$_shop_prog" "$*" >&2
}

die() {
    printf '[%s] error: %s\n' "$_shop_prog" "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Locations.
# ---------------------------------------------------------------------------------------------

# The repository root, found from this file's own location (scripts/..), so the scripts work
# from any working directory and through symlinks to the scripts folder.
shop_root() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
}

SHOP_ROOT="$(shop_root)"
export SHOP_ROOT

# ---------------------------------------------------------------------------------------------
# System packages.
# ---------------------------------------------------------------------------------------------

# What building and running the shop needs from Debian:
#   pkg-config            SwiftPM finds the three system libraries through it (Package.swift).
#   libcurl4-openssl-dev  CCurl: outbound HTTPS to Stripe.
#   libsqlite3-dev        CSQLite: each service's own database.
#   libssl-dev            CCrypto: webhook signatures, hashing.
#   sqlite3               the CLI, for looking into run/data by hand and for tests.
#   ca-certificates       libcurl needs a CA bundle to verify api.stripe.com.
# Kept as a string (not an array) so callers can write `ensure_debian_packages $BASE_PACKAGES`.
BASE_PACKAGES="pkg-config libcurl4-openssl-dev libsqlite3-dev libssl-dev sqlite3 ca-certificates"
export BASE_PACKAGES

# Set once `apt-get update` has run in this process, so several ensure_debian_packages calls
# (base packages, then python3-venv, ...) refresh the package lists at most once.
_SHOP_APT_UPDATED=""

# True if dpkg reports PKG as fully installed. `dpkg-query -W` fails for a package it has never
# heard of, and reports e.g. "deinstall ok config-files" for a removed one, so match exactly.
_shop_dpkg_installed() {
    local status
    status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
    [[ "$status" == "install ok installed" ]]
}

# ensure_debian_packages PKG...
# Installs whatever is missing when running as root (CI and the project's machines run as
# root); otherwise stops with the exact command to run, because silently calling sudo from a
# build script is a surprise nobody wants. On a system without dpkg it only says what it
# expects, since package names differ between distributions and macOS has Homebrew instead.
ensure_debian_packages() {
    (($# > 0)) || return 0

    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "not a Debian-based system (no dpkg-query): make sure the equivalents of these are installed: $*"
        return 0
    fi

    local pkg
    local -a missing=()
    for pkg in "$@"; do
        _shop_dpkg_installed "$pkg" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0

    if [[ "$(id -u)" != 0 ]]; then
        die "missing Debian packages: ${missing[*]}
Install them with:
    sudo apt-get install -y ${missing[*]}"
    fi

    say "installing missing Debian packages: ${missing[*]}"
    if [[ -z "$_SHOP_APT_UPDATED" ]]; then
        # A fresh machine (or a container) may have empty or stale lists: install would then
        # fail with "unable to locate package". Only done when something is actually missing.
        apt-get update -qq || die "apt-get update failed"
        _SHOP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"

    # Double-check: apt can "succeed" while leaving a package half-configured.
    for pkg in "${missing[@]}"; do
        _shop_dpkg_installed "$pkg" || die "package $pkg is still not installed after apt-get install"
    done
}

# ---------------------------------------------------------------------------------------------
# Swift toolchain.
# ---------------------------------------------------------------------------------------------

# ensure_swift
# The toolchain is not a Debian package, so this can only find it, never install it. The
# swift.org tarball is commonly unpacked to /opt/swift, and non-login shells (CI, cron, IDE
# tasks) often lack the PATH entry that an interactive profile adds, hence the fallback.
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        if [[ -x /opt/swift/usr/bin/swift ]]; then
            export PATH="/opt/swift/usr/bin:$PATH"
            say "using the Swift toolchain in /opt/swift/usr/bin (it was not on PATH)"
        else
            die "the Swift 6.x toolchain is required but 'swift' was not found on PATH (nor in /opt/swift/usr/bin).
Debian does not package Swift: download the toolchain for your distribution from
https://www.swift.org/install/linux/ , unpack it (for example to /opt/swift), and put its
usr/bin folder on PATH, e.g.  export PATH=/opt/swift/usr/bin:\$PATH"
        fi
    fi

    # Package.swift needs tools-version 6.0 and the Swift 6 language mode: an older toolchain
    # fails with a confusing manifest error, so say it plainly here instead.
    local version major
    version="$(swift --version 2>/dev/null | grep -Eo 'Swift version [0-9]+(\.[0-9]+)*' | head -n1 || true)"
    major="${version#Swift version }"
    major="${major%%.*}"
    if [[ -z "$major" ]]; then
        warn "could not read the Swift version from 'swift --version'; Swift 6.x is required"
    elif ((major < 6)); then
        die "Swift 6.x is required, but 'swift' on PATH ($(command -v swift)) is ${version}. Install a 6.x toolchain from https://www.swift.org/install/ and put its usr/bin first on PATH."
    fi
}

# ---------------------------------------------------------------------------------------------
# Python tools (local Stripe stand-in, Stripe SDK, SMTP sink, API fuzzing).
# ---------------------------------------------------------------------------------------------

# ensure_python_venv [PIP_SPEC...]
# Creates (once) a private virtualenv at $SHOP_ROOT/.venv-tools and installs the given pip
# requirement specs into it, e.g.  ensure_python_venv localstripe==1.15.6 aiosmtpd==1.4.6
# A private venv keeps test tools away from the system Python (Debian's is "externally
# managed" and refuses plain pip installs). On a rerun where every spec is already satisfied it
# costs one short Python start-up and never touches the network, so tests stay fast offline.
# Afterwards: SHOP_VENV and SHOP_VENV_PYTHON are exported and the venv's bin/ is first on PATH
# (so console scripts such as `localstripe` resolve).
ensure_python_venv() {
    local venv="$SHOP_ROOT/.venv-tools"
    local py="$venv/bin/python"

    # A venv whose interpreter no longer runs (the base Python was upgraded or removed, or the
    # checkout moved: venvs hard-code absolute paths) is rebuilt rather than half-used.
    if [[ -e "$venv" ]] && ! "$py" -c '' >/dev/null 2>&1; then
        warn "the Python venv at $venv is broken; recreating it"
        rm -rf "$venv"
    fi

    if [[ ! -x "$py" ]]; then
        command -v python3 >/dev/null 2>&1 || ensure_debian_packages python3
        command -v python3 >/dev/null 2>&1 || die "python3 is required for the test tools but was not found"
        # On Debian the venv module exists without ensurepip unless python3-venv is installed,
        # and `python3 -m venv` then fails halfway; check for both up front.
        if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
            ensure_debian_packages python3-venv
            python3 -c 'import venv, ensurepip' >/dev/null 2>&1 \
                || die "python3 cannot create virtual environments (the venv/ensurepip modules are missing); on Debian install python3-venv"
        fi
        say "creating the Python tools venv at $venv"
        python3 -m venv "$venv" || { rm -rf "$venv"; die "python3 -m venv $venv failed"; }
    fi

    export SHOP_VENV="$venv"
    export SHOP_VENV_PYTHON="$py"
    case ":$PATH:" in
        *":$venv/bin:"*) ;;
        *) export PATH="$venv/bin:$PATH" ;;
    esac

    (($# > 0)) || return 0

    # Which specs are not yet satisfied? One Python start-up checks them all, using the
    # `packaging` copy that pip vendors (always present in a venv) so that ==, >=, ~= and
    # extras all behave exactly as pip would judge them.
    local checked
    local -a unsatisfied=()
    checked="$("$py" - "$@" <<'PY'
import sys
from importlib import metadata
try:
    from pip._vendor.packaging.requirements import Requirement
except Exception:  # no usable pip internals: let pip itself decide
    print("\n".join(sys.argv[1:]))
    sys.exit(0)
for spec in sys.argv[1:]:
    try:
        req = Requirement(spec)
        ok = req.specifier.contains(metadata.version(req.name), prereleases=True)
    except Exception:  # not installed, or a spec we can't parse: pip will say
        ok = False
    if not ok:
        print(spec)
PY
    )" || checked="$(printf '%s\n' "$@")" # the check itself failed: install everything
    local line
    while IFS= read -r line; do
        [[ -n "$line" ]] && unsatisfied+=("$line")
    done <<<"$checked"

    ((${#unsatisfied[@]} == 0)) && return 0
    say "installing Python tools into $venv: ${unsatisfied[*]}"
    "$py" -m pip install -q --disable-pip-version-check "${unsatisfied[@]}" \
        || die "pip install failed for: ${unsatisfied[*]}"
}
