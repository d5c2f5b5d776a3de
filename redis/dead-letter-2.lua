--[[
  Move a telemetry record that cannot be used to the node's dead-letter stream and acknowledge it, atomically
  (a crash in between can neither lose it nor deliver it again).

  KEYS[1]  spirit:{node:<id>}:telemetry   STREAM (consumer group ARGV[1])
  KEYS[2]  spirit:{node:<id>}:dead        STREAM dead letters, fields r, reason, from
  ARGV[1]  consumer group
  ARGV[2]  id of the record in KEYS[1]
  ARGV[3]  the record as received (field r)
  ARGV[4]  reason
  ARGV[5]  dead-letter stream cap (XADD MAXLEN ~)

  Returns:
    the dead-letter entry id
]]
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[3], 'reason', ARGV[4], 'from', ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return id
