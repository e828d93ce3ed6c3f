--[[
  commit-6.lua: apply one evaluation tick atomically: alert states, group
  states and the notifications they produce, fenced by the leader lease.
  Idempotent: ioredis re-sends a script left unanswered by a reconnect, and
  a second run must not enqueue the notifications twice.

  KEYS[1]  lease string "<token> <instanceId>"
  KEYS[2]  alerts hash: alert id -> AlertRecord JSON
  KEYS[3]  groups hash: group key -> GroupState JSON
  KEYS[4]  outbox stream
  KEYS[5]  due sorted set: outbox entry id scored by next attempt (epoch ms)
  KEYS[6]  string: id of the last applied commit

  ARGV[1]  the caller's lease value (the fencing token)
  ARGV[2]  JSON { a = [[id, json], ...], ad = [id, ...],
                  g = [[key, json], ...], gd = [key, ...],
                  n = [[webhookId, receiver, groupKey, body, createdAtMs, dueMs], ...] }
  ARGV[3]  approximate outbox length cap (XADD MAXLEN ~)
  ARGV[4]  commit id, unique per tick ("<lease value>/<tick time ms>")

  Returns
     n >= 0  applied; n notifications enqueued
    -1  fenced: the caller does not hold the lease; nothing written
    -2  malformed ARGV[2]; nothing written
    -3  already applied (a re-sent script); nothing written
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[6]) == ARGV[4] then return -3 end
local ok, c = pcall(cjson.decode, ARGV[2])
if not ok or type(c) ~= 'table' then return -2 end

for _, e in ipairs(c.a or {}) do redis.call('HSET', KEYS[2], e[1], e[2]) end
for _, id in ipairs(c.ad or {}) do redis.call('HDEL', KEYS[2], id) end
for _, e in ipairs(c.g or {}) do redis.call('HSET', KEYS[3], e[1], e[2]) end
for _, key in ipairs(c.gd or {}) do redis.call('HDEL', KEYS[3], key) end
for _, n in ipairs(c.n or {}) do
  local entry = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*',
    'id', n[1], 'receiver', n[2], 'group', n[3], 'body', n[4], 'created', n[5])
  redis.call('ZADD', KEYS[5], n[6], entry)
end
redis.call('SET', KEYS[6], ARGV[4])
return #(c.n or {})
