--[[
  due-3.lua: the outbox entries due at a time, with their failed attempts, in
  one round trip (read only).

  KEYS[1]  due sorted set: outbox entry id -> due time (epoch ms)
  KEYS[2]  outbox stream
  KEYS[3]  attempts hash: outbox entry id -> failed attempts

  ARGV[1]  now (epoch ms): entries due at or before it
  ARGV[2]  most entries to return

  Returns  a flat list, three items per due entry, earliest due first: its id,
           its stream fields as a flat field/value list (empty when the entry
           was trimmed from the stream), its failed attempts (false when none)
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local range = redis.call('XRANGE', KEYS[2], id, id)
  out[#out + 1] = id
  out[#out + 1] = range[1] and range[1][2] or {}
  out[#out + 1] = redis.call('HGET', KEYS[3], id)
end
return out
