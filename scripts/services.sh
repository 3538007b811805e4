#!/usr/bin/env bash
# Starts (when stopped) the local servers the backend tests talk to, and installs the tools the
# browser test needs. Idempotent; safe to run on a machine where everything is already up.
# Only loopback addresses are used.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then log "$name is up"; return 0; fi
    sleep 0.5
  done
  log "$name did not come up"; return 1
}

# Redis's server, its tools (the TLS cluster test creates its cluster with redis-cli) and
# Sentinel: the failover, TLS and Sentinel tests start their own processes from them.
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "installing redis-server and redis-tools"
  apt_install redis-server redis-tools
fi
if ! command -v redis-sentinel >/dev/null; then
  log "installing redis-sentinel"
  apt_install redis-sentinel
fi

# PostgreSQL
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432

# MariaDB
if ! mysqladmin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; then
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB mysqladmin -h 127.0.0.1 -P 3306 -u root ping

# Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
fi
wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping

# Headless Chromium and its WebDriver, for the real-browser test.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium and chromium-driver"
  apt_install chromium chromium-driver
fi

# PyJWT, the independent implementation the JWT interop test checks tokens against.
if ! python3 -c 'import jwt' >/dev/null 2>&1; then
  log "installing PyJWT"
  python3 -m pip install -q --disable-pip-version-check pyjwt
fi

# express, express-session, connect-redis, redis, connect-pg-simple and pg for the express
# interop tests (a node_modules from before a package was added is installed again).
if [ ! -d interop/express/node_modules/express-session ] \
  || [ ! -d interop/express/node_modules/connect-pg-simple ]; then
  log "installing the express interop app's npm packages"
  (cd interop/express && npm ci --silent --no-audit --no-fund)
fi
