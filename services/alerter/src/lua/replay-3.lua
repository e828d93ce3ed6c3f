--[[
  replay-3.lua: move one dead letter back into the outbox, due now. The
  notification keeps its webhook id, so receivers can still deduplicate.

  KEYS[1]  dead-letter stream
  KEYS[2]  outbox stream
  KEYS[3]  due sorted set

  ARGV[1]  dead-letter entry id
  ARGV[2]  now (epoch ms)
  ARGV[3]  approximate outbox length cap (XADD MAXLEN ~)

  Returns  the new outbox entry id, or 0 if the dead letter does not exist
]]
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local f = {}
local fields = found[1][2]
for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
  'id', f['id'], 'receiver', f['receiver'], 'group', f['group'], 'body', f['body'], 'created', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[2], entry)
redis.call('XDEL', KEYS[1], ARGV[1])
return entry
