--[[
  flush-1.lua: apply one flush batch of one shard-topic partition, atomically.

  KEYS[1]  watermark hash of (shard topic, shard partition):
           field = raw partition, value = highest raw offset applied (decimal)

  ARGV[1]  JSON batch, every number as a decimal string so nothing is rounded:
    wm    [[rawPartition, expected, next], ...]   expected "-1" = field absent
    w     [[key, expireAtMs, count, min, max, firstTs, first, lastTs, last,
            limbField, limbDelta, ...], ...]      one window delta each
    sadd  [[key, member, ...], ...]               series index additions
    hset  [[key, field, value, ...], ...]         series descriptions

  Every key named in ARGV shares KEYS[1]'s hash tag (see redis-keys.ts), so
  the script stays within one Redis Cluster slot.

  Returns
     1  applied: every watermark held `expected`; deltas, index and new
        watermarks written
     2  already applied: every watermark already holds `next` (a re-sent
        script, e.g. ioredis replaying it after a reconnect); nothing written
    -1  fenced: some watermark holds neither; nothing written
    -2  malformed ARGV[1]; nothing written
]]
local wmKey = KEYS[1]
local ok, batch = pcall(cjson.decode, ARGV[1])
if not ok or type(batch) ~= 'table' or type(batch.wm) ~= 'table' or type(batch.w) ~= 'table' then
  return -2
end

local matchesExpected, matchesNext = true, true
for _, m in ipairs(batch.wm) do
  local stored = redis.call('HGET', wmKey, m[1]) or '-1'
  if stored ~= m[2] then matchesExpected = false end
  if stored ~= m[3] then matchesNext = false end
end
if not matchesExpected then
  if matchesNext then return 2 end
  return -1
end

for _, m in ipairs(batch.wm) do
  redis.call('HSET', wmKey, m[1], m[3])
end

for _, d in ipairs(batch.w) do
  local key = d[1]
  local cur = redis.call('HMGET', key, 'min', 'max', 'ft', 'f', 'lt', 'l')
  local set = {}
  local curMin, curMax = tonumber(cur[1]), tonumber(cur[2])
  local curFt, curF, curLt, curL = tonumber(cur[3]), tonumber(cur[4]), tonumber(cur[5]), tonumber(cur[6])
  local min, max = tonumber(d[4]), tonumber(d[5])
  local ft, f, lt, l = tonumber(d[6]), tonumber(d[7]), tonumber(d[8]), tonumber(d[9])
  if curMin == nil or min < curMin then set[#set + 1] = 'min'; set[#set + 1] = d[4] end
  if curMax == nil or max > curMax then set[#set + 1] = 'max'; set[#set + 1] = d[5] end
  if curFt == nil or ft < curFt or (ft == curFt and f < curF) then
    set[#set + 1] = 'ft'; set[#set + 1] = d[6]; set[#set + 1] = 'f'; set[#set + 1] = d[7]
  end
  if curLt == nil or lt > curLt or (lt == curLt and l > curL) then
    set[#set + 1] = 'lt'; set[#set + 1] = d[8]; set[#set + 1] = 'l'; set[#set + 1] = d[9]
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  redis.call('HINCRBY', key, 'c', d[3])
  for i = 10, #d, 2 do
    redis.call('HINCRBY', key, d[i], d[i + 1])
  end
  redis.call('PEXPIREAT', key, d[2])
end

for _, s in ipairs(batch.sadd or {}) do
  redis.call('SADD', unpack(s))
end
for _, h in ipairs(batch.hset or {}) do
  redis.call('HSET', unpack(h))
end

return 1
