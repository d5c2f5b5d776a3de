--[[
  Give a node lease up, only if the caller holds it (compare-and-delete), so another replica can take the
  node at once (graceful shutdown, rebalancing).

  KEYS[1]  spirit:{node:<id>}:lease   STRING holder replica id
  ARGV[1]  holder replica id

  Returns:
    1   released
    0   not held by ARGV[1]
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
