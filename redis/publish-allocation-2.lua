--[[
  Store and announce a node's allocation, only if its epoch is newer and the writer holds the node's lease.
  Both keys carry the node's hash tag, so this is legal in Redis Cluster.

  KEYS[1]  spirit:{node:<id>}:alloc   HASH  epoch, doc
  KEYS[2]  spirit:{node:<id>}:lease   STRING holder replica id (PX expiry)
  ARGV[1]  epoch (integer > 0)
  ARGV[2]  doc: the AllocationDoc JSON (also the announcement message)
  ARGV[3]  holder replica id; '' skips the lease check (re-seeding after a Redis data loss)
  ARGV[4]  announcement channel: spirit:{node:<id>}:announce; '' announces nothing (in a Redis Cluster the
           caller announces with SPUBLISH once a replica has confirmed the write)

  Returns:
    epoch  stored and published
    -1     stale: the stored epoch is >= ARGV[1] (a daemon must never see an older allocation after a newer one)
    -2     not holder: the lease is held by another replica or expired
]]
local epoch = tonumber(ARGV[1])
if ARGV[3] ~= '' then
  local holder = redis.call('GET', KEYS[2])
  if holder ~= ARGV[3] then return -2 end
end
local current = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if epoch <= current then return -1 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'doc', ARGV[2])
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[2]) end
return epoch
