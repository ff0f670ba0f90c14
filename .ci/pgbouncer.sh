#!/usr/bin/env bash
# The PostgreSQL-only isolation and publishing tests once more, through PgBouncer in transaction pool mode
# (Debian's pgbouncer, .ci/pgbouncer.ini) with DATABASE_TRANSACTION_POOLING on, as docker-compose runs the app:
# row-level security must hold and no tenant setting may leak from one pooled transaction to the next
# (core/tests/test_pgbouncer.py). Expects PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pgbouncer >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi
# The packaged service is not wanted: this pass starts its own on port 6439.
if command -v systemctl >/dev/null 2>&1; then systemctl stop pgbouncer >/dev/null 2>&1 || true; fi

RUN_DIR=/tmp/hubbub-pgbouncer
TEST_DB=test_hubbub_pgbouncer
rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
cp .ci/pgbouncer.ini "$RUN_DIR/pgbouncer.ini"
echo '"postgres" ""' >"$RUN_DIR/users.txt"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $TEST_DB" 2>/dev/null

if [ "$(id -u)" = 0 ]; then  # pgbouncer refuses to run as root
  chown -R postgres "$RUN_DIR"
  pgbouncer -d -u postgres "$RUN_DIR/pgbouncer.ini"
else
  pgbouncer -d "$RUN_DIR/pgbouncer.ini"
fi
stop() {
  kill "$(cat "$RUN_DIR/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true
  sleep 1
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $TEST_DB" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 6439 && break; sleep 1; done

# --reuse-db: the test database is dropped here, directly, once the pooler has let go of it.
DATABASE_URL=postgres://postgres@127.0.0.1:6439/hubbub \
DATABASE_TEST_NAME=$TEST_DB \
DATABASE_TRANSACTION_POOLING=true \
REDIS_URL=redis://127.0.0.1:6379/0 \
REDIS_CACHE_URL=redis://127.0.0.1:6379/1 \
  make test PYTEST_WORKERS=0 PYTEST_ARGS="--reuse-db -rs core/tests/test_pgbouncer.py core/tests/test_rls_round_trips.py \
    core/tests/test_tenancy.py contentplanner/tests/test_publishing.py \
    contentplanner/tests/test_publishing_concurrency.py"
