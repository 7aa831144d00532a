#!/bin/sh
# Install redis-server and nginx for the scale-out example and its test
# (example/scaleout/, tests/test_scaleout.py): Debian's packages, with
# apt-get (run as root). Called by `make scaleout-deps` (mk/scaleout.mk).
#
# The example starts its own redis-server and nginx, with its own
# configuration, on 127.0.0.1 ports chosen at run time. The Debian packages
# start system daemons on the default ports (6379 and 80) when they're
# installed: this script stops and disables them, so that nothing listens on
# those ports behind the project's back.
#
# This script never fails: without redis-server or nginx, the scale-out test
# is skipped, loudly, and the rest of the build goes on. It prints why.
set -u

PACKAGES="redis-server nginx"

banner() {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! scaleout: REDIS-SERVER OR NGINX IS NOT INSTALLED: $1"
    echo "!!! tests/test_scaleout.py will be SKIPPED."
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
} >&2

have_servers() {
    command -v redis-server >/dev/null 2>&1 &&
        { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }
}

# Stop the daemons that the packages started (or that a previous install
# left running) and keep them from starting at boot. Without systemd (in a
# container), the init scripts or a plain kill of their pid files do it.
stop_system_daemons() {
    for service in redis-server nginx; do
        if command -v systemctl >/dev/null 2>&1 &&
            systemctl is-system-running >/dev/null 2>&1; then
            systemctl disable --now "$service" >/dev/null 2>&1 || true
        elif [ -x "/etc/init.d/$service" ]; then
            "/etc/init.d/$service" stop >/dev/null 2>&1 || true
        fi
    done
    for pidfile in /run/redis/redis-server.pid /run/nginx.pid; do
        if [ -s "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
}

if have_servers; then
    if [ "$(id -u)" = 0 ]; then
        stop_system_daemons
    fi
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    banner "apt-get is not available on this machine"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    banner "installing $PACKAGES with apt-get needs root"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTIONS="-o Acquire::Retries=3 -o DPkg::Lock::Timeout=600"
# policy-rc.d tells invoke-rc.d not to start the daemons at all while the
# packages are installed; stop_system_daemons covers what starts anyway.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" &&
        CREATED_POLICY=1
fi
install() {
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $APT_OPTIONS $PACKAGES
}

echo "scaleout: installing $PACKAGES with apt-get" >&2
# Update the package lists first only when they don't know the packages yet.
if ! apt-cache show redis-server nginx >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    apt-get update -q $APT_OPTIONS
fi
if ! install; then
    # Stale package lists point to versions the mirror no longer has.
    # shellcheck disable=SC2086
    apt-get update -q $APT_OPTIONS && install
fi
if [ -n "$CREATED_POLICY" ]; then
    rm -f "$POLICY"
fi
stop_system_daemons

if have_servers; then
    redis-server --version
    /usr/sbin/nginx -v
else
    banner "apt-get install $PACKAGES failed (see the output above)"
fi
exit 0
