--[[
  Record that a service replica is alive and list the live ones (replicas divide the nodes among them).

  KEYS[1]  spirit:replicas   ZSET replica id -> expiry, ms since the Unix epoch
  ARGV[1]  replica id
  ARGV[2]  expiry of this heartbeat, ms
  ARGV[3]  now, ms (entries at or below it are dead and removed)
  ARGV[4]  most replicas allowed

  Returns:
    array of live replica ids, sorted
    -3     too many replicas (ARGV[1] was not added)
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return -3
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(ids)
return ids
