--[[
  Extend a node lease, only if the caller still holds it (compare-and-extend).

  KEYS[1]  spirit:{node:<id>}:lease   STRING holder replica id (PX expiry)
  ARGV[1]  holder replica id
  ARGV[2]  time to live, ms

  Returns:
    1   renewed
    0   not held by ARGV[1] (expired, or taken by another replica): the caller must stop allocating the node
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
