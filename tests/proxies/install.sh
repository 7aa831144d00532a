#!/bin/sh
# Install the real proxy servers that the tests in tests/proxies/ start on
# 127.0.0.1, from Debian's packages:
#   tinyproxy      HTTP proxy (CONNECT, Basic proxy authentication)
#   dante-server   SOCKS4/SOCKS5 proxy (danted)
#   stunnel4       TLS terminator in front of tinyproxy: an https:// proxy
# The SOCKS5 server with username/password authentication (pproxy) and the
# SOCKS client (python-socks) are Python packages: requirements/test.txt.
#
# The tests write their own configurations, listen on free ports and never
# use the packages' system services. If a package can't be installed, this
# script says so and succeeds: the tests that need it are skipped, loudly.

set -u

missing=""
command -v tinyproxy >/dev/null 2>&1 || missing="$missing tinyproxy"
command -v danted >/dev/null 2>&1 || missing="$missing dante-server"
command -v stunnel4 >/dev/null 2>&1 || missing="$missing stunnel4"
[ -z "$missing" ] && exit 0

warn() {
    echo "WARNING: proxy servers not installed:$missing ($1);" \
        "the tests that need them will be skipped" >&2
    exit 0
}

[ "$(id -u)" = 0 ] || warn "installing Debian packages needs root"
command -v apt-get >/dev/null 2>&1 || warn "apt-get isn't available"

echo "installing proxy servers for the tests:$missing"
export DEBIAN_FRONTEND=noninteractive
apt_get() {
    apt-get -o DPkg::Lock::Timeout=600 "$@"
}
# shellcheck disable=SC2086 # $missing is a list of package names
apt_get install -y -q --no-install-recommends $missing >/dev/null ||
    { apt_get update -q >/dev/null &&
        apt_get install -y -q --no-install-recommends $missing >/dev/null; } ||
    warn "apt-get install failed"
