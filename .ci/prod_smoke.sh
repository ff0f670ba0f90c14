#!/usr/bin/env bash
# Production-shape smoke: a venv from requirements.txt ONLY (as the Dockerfile installs), `migrate` on PostgreSQL,
# gunicorn, a Celery worker on every queue and beat on Redis; a post scheduled through the API must be published.
# Expects PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (.ci/run starts them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# The venv is cached under var/, keyed on the requirements hash: reruns skip the install.
HASH=$(sha256sum requirements.txt | cut -c1-16)
VENV="$ROOT/var/ci-prod-venv-$HASH"
if [ ! -x "$VENV/.installed" ]; then
  rm -rf "$ROOT"/var/ci-prod-venv-*  # older requirements: stale venvs
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import django, celery, gunicorn" # fail here, not later, if the install failed
  printf '#!/bin/sh\n' >"$VENV/.installed" && chmod +x "$VENV/.installed"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$("$VENV/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub_smoke
export REDIS_URL=redis://127.0.0.1:6379/14
export REDIS_CACHE_URL=redis://127.0.0.1:6379/15
export HUBBUB_VAR_DIR="$WORK/var"
export SECRET_KEY=prod-smoke-secret-key-that-is-long-enough-for-hs256 FIELD_ENCRYPTION_KEYS=$("$VENV/bin/python" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")
export ALLOWED_HOSTS=127.0.0.1,localhost PUBLIC_BASE_URL="http://127.0.0.1:$PORT" LOG_LEVEL=WARNING
unset DEBUG CELERY_TASK_ALWAYS_EAGER

psql -q -o /dev/null -h 127.0.0.1 -U postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS hubbub_smoke WITH (FORCE)" -c "CREATE DATABASE hubbub_smoke"
redis-cli -h 127.0.0.1 -n 14 flushdb >/dev/null
redis-cli -h 127.0.0.1 -n 15 flushdb >/dev/null

"$VENV/bin/python" manage.py migrate --noinput -v 0
"$VENV/bin/python" manage.py collectstatic --noinput -v 0

"$VENV/bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  >"$WORK/web.log" 2>&1 &
PIDS+=($!)
"$VENV/bin/celery" -A config worker --queues dispatch,publish,sync,default,notify --concurrency 2 --loglevel WARNING \
  >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
"$VENV/bin/celery" -A config beat --loglevel WARNING --schedule "$WORK/celerybeat-schedule" >"$WORK/beat.log" 2>&1 &
PIDS+=($!)

if ! "$VENV/bin/python" .ci/prod_smoke.py "http://127.0.0.1:$PORT"; then
  for log in web worker beat; do echo "--- $log.log"; tail -n 40 "$WORK/$log.log"; done
  exit 1
fi
