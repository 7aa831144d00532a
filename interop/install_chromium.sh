#!/bin/sh
# Install headless Chromium for tests/interop/test_chromium.py: the Debian
# packages chromium and chromium-driver, with apt-get (run as root).
#
# This script never fails: without Chromium, the Chromium interop test is
# skipped, loudly, and the rest of the build goes on. It prints why.
set -u

CHROMIUM=/usr/bin/chromium
PACKAGES="chromium chromium-driver"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

banner() {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! interop: CHROMIUM IS NOT INSTALLED: $1"
    echo "!!! tests/interop/test_chromium.py will be SKIPPED."
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
} >&2

if ! command -v apt-get >/dev/null 2>&1; then
    banner "apt-get is not available on this machine"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    banner "installing $PACKAGES with apt-get needs root"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTIONS="-o Acquire::Retries=3 -o DPkg::Lock::Timeout=300"
install() {
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $APT_OPTIONS $PACKAGES
}

echo "interop: installing $PACKAGES with apt-get" >&2
# Update the package lists first only when they don't know the package yet.
if ! apt-cache show chromium >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    apt-get update -q $APT_OPTIONS
fi
if ! install; then
    # Stale package lists point to versions the mirror no longer has.
    # shellcheck disable=SC2086
    apt-get update -q $APT_OPTIONS && install
fi

if [ -x "$CHROMIUM" ]; then
    "$CHROMIUM" --version 2>/dev/null || true
else
    banner "apt-get install $PACKAGES failed (see the output above)"
fi
exit 0
