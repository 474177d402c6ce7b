#!/usr/bin/env bash
# Install (when missing) and start a local PostgreSQL for the tests, create the database
# matcher_test with a password user, and print its SQLAlchemy URL on stdout (nothing else).
# Idempotent: safe to run again on a machine where it already ran. Needs root (Debian/Ubuntu).
#
#   export MATCHER_TEST_PG_URL="$(scripts/postgres.sh)"
set -euo pipefail

PG_USER="${MATCHER_PG_USER:-matcher}"
PG_PASSWORD="${MATCHER_PG_PASSWORD:-matcher}"
PG_DB="${MATCHER_PG_DB:-matcher_test}"
PG_PORT="${MATCHER_PG_PORT:-5432}"

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

# The newest installed major version, and its cluster (created when the package did not).
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER="main"
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "${VERSION}/${CLUSTER}"; then
    log "creating cluster ${VERSION}/${CLUSTER} on port ${PG_PORT}"
    pg_createcluster --port "${PG_PORT}" "${VERSION}" "${CLUSTER}" >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="${VERSION}" -v c="${CLUSTER}" '$1==v && $2==c {print $3}')"

if ! pg_lsclusters -h | awk -v v="${VERSION}" -v c="${CLUSTER}" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting cluster ${VERSION}/${CLUSTER}"
    pg_ctlcluster "${VERSION}" "${CLUSTER}" start >&2
fi

# Wait until it accepts connections (a fresh start takes a moment).
for _ in $(seq 1 30); do
    if su postgres -c "psql -p ${PORT} -qtAc 'select 1'" >/dev/null 2>&1; then break; fi
    sleep 1
done

psql_admin() { su postgres -c "psql -p ${PORT} -v ON_ERROR_STOP=1 -qtAc \"$1\""; }

if [ "$(psql_admin "select 1 from pg_roles where rolname='${PG_USER}'")" != "1" ]; then
    log "creating role ${PG_USER}"
    psql_admin "create role ${PG_USER} login password '${PG_PASSWORD}'" >&2
else
    psql_admin "alter role ${PG_USER} login password '${PG_PASSWORD}'" >&2
fi
if [ "$(psql_admin "select 1 from pg_database where datname='${PG_DB}'")" != "1" ]; then
    log "creating database ${PG_DB}"
    psql_admin "create database ${PG_DB} owner ${PG_USER}" >&2
fi

echo "postgresql+psycopg2://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${PORT}/${PG_DB}"
