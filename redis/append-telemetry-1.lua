--[[
  Append a batch of telemetry records to a node's stream in one round trip (one XADD each, capped). A
  daemon's batch costs one command on the client instead of one per record; Redis runs the XADDs back to back
  (the batch is bounded by TELEMETRY_APPEND_BATCH in service/bus/limits.ts, so the script stays short).

  KEYS[1]  spirit:{node:<id>}:telemetry   STREAM, field r = record JSON
  ARGV[1]  stream cap (XADD MAXLEN ~)
  ARGV[2..] the records

  Returns:
    the number of records appended
]]
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'r', ARGV[i])
end
return #ARGV - 1
