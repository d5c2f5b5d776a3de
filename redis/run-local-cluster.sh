#!/bin/sh
# Start a local Redis Cluster for Spirit: 3 primaries + 3 replicas of redis-server on ports BASE..BASE+5
# (default 7000), data in ${SPIRIT_REDIS_DIR:-.tmp/redis-cluster}, joined with redis-cli --cluster create.
# Usage: redis/run-local-cluster.sh [BASE]     then: spirit serve --redis redis+cluster://127.0.0.1:7000,127.0.0.1:7001
# Stop: redis/run-local-cluster.sh stop [BASE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${SPIRIT_REDIS_DIR:-$here/../.tmp/redis-cluster}
if [ "${1:-}" = stop ]; then
  base=${2:-7000}
  for i in 0 1 2 3 4 5; do redis-cli -p $((base + i)) shutdown nosave 2>/dev/null || true; done
  exit 0
fi
base=${1:-7000}
mkdir -p "$dir"
nodes=""
for i in 0 1 2 3 4 5; do
  port=$((base + i))
  redis-server "$here/redis.conf" --port "$port" --dir "$dir" --dbfilename "dump-$port.rdb" --appendfilename "appendonly-$port.aof" \
    --appenddirname "aof-$port" --cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 5000 \
    --daemonize yes --logfile "$dir/redis-$port.log"
  nodes="$nodes 127.0.0.1:$port"
done
# wait for every node to answer, then join them (a node already in a cluster is left as it is)
for i in 0 1 2 3 4 5; do
  until redis-cli -p $((base + i)) ping >/dev/null 2>&1; do sleep 0.1; done
done
if ! redis-cli -p "$base" cluster info | grep -q 'cluster_state:ok'; then
  # shellcheck disable=SC2086
  redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes
fi
echo "redis+cluster://127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
