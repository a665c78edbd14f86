#!/usr/bin/env bash
# The second test pass: the whole suite on PostgreSQL with the Redis broker.
# Runs only when both servers are reachable on loopback; starts them first when they are
# installed but stopped. Prints clearly when the pass is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
# Named after this checkout, so two checkouts testing at once on one machine neither share a
# test database nor take each other's tasks from the shared Redis queue.
CHECKOUT_ID="$(pwd | cksum | cut -d' ' -f1)"
PG_DB="shapeshop_${CHECKOUT_ID}"
export Q_CLUSTER_NAME="${Q_CLUSTER_NAME:-shapeshop-test-${CHECKOUT_ID}}"
REDIS_PORT="${REDIS_PORT:-6379}"
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@${PG_HOST}:${PG_PORT}/${PG_DB}}"
export REDIS_URL="${TEST_REDIS_URL:-redis://${PG_HOST}:${REDIS_PORT}/0}"

postgres_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
redis_up() { [ "$(redis-cli -h "$PG_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

wait_for() {
    for _ in $(seq 1 30); do "$1" && return 0; sleep 0.5; done
    return 1
}

skip() {
    echo "=================================================================="
    echo "SKIPPED: the PostgreSQL + Redis test pass ($1)."
    echo "The suite ran on SQLite with the database broker only."
    echo "=================================================================="
    exit 0
}

if ! postgres_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL ..."
    for version in $(ls /etc/postgresql); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    wait_for postgres_up
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
    echo "Starting Redis ..."
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_for redis_up
fi
postgres_up || skip "PostgreSQL is not reachable on ${PG_HOST}:${PG_PORT}"
redis_up || skip "Redis is not reachable on ${PG_HOST}:${REDIS_PORT}"

# Django connects to the configured database before it creates the test database.
if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$PG_DB"; then
    createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres "$PG_DB" || skip "cannot create database $PG_DB"
fi

echo "=================================================================="
echo "Second pass: PostgreSQL ($DATABASE_URL) + Redis broker ($REDIS_URL)"
echo "=================================================================="
exec .venv/bin/pytest --create-db "$@"
