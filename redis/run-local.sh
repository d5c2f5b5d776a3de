#!/bin/sh
# Start a Redis for local Spirit runs with redis/redis.conf, data in ${SPIRIT_REDIS_DIR:-.tmp/redis}.
# Usage: redis/run-local.sh [port]      then: spirit serve --redis redis://127.0.0.1:<port>
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-6379}
dir=${SPIRIT_REDIS_DIR:-$here/../.tmp/redis}
mkdir -p "$dir"
exec redis-server "$here/redis.conf" --port "$port" --dir "$dir"
