--[[
  settle-5.lua: record the outcome of one delivery attempt, fenced by the
  leader lease, so a deposed leader cannot reschedule or drop a notification.

  KEYS[1]  lease string "<token> <instanceId>"
  KEYS[2]  due sorted set
  KEYS[3]  attempts hash: outbox entry id -> failed attempts
  KEYS[4]  dead-letter stream
  KEYS[5]  disabled receivers hash

  ARGV[1]  the caller's lease value
  ARGV[2]  outbox entry id
  ARGV[3]  action: 'ack' (delivered), 'retry', 'dead' or 'disable'
  ARGV[4]  retry: next attempt due (epoch ms); dead/disable: now (epoch ms)
  ARGV[5]  failed attempts so far
  ARGV[6]  dead/disable: reason
  ARGV[7]  dead/disable: webhook id
  ARGV[8]  dead/disable: receiver
  ARGV[9]  dead/disable: group key
  ARGV[10] dead/disable: body

  Returns
     1  recorded
     0  the entry was no longer due (already settled); nothing written
    -1  fenced: the caller does not hold the lease; nothing written
    -2  unknown action
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local entry, action = ARGV[2], ARGV[3]
if not redis.call('ZSCORE', KEYS[2], entry) then return 0 end
if action == 'ack' then
  redis.call('ZREM', KEYS[2], entry)
  redis.call('HDEL', KEYS[3], entry)
  return 1
end
if action == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[4], entry)
  redis.call('HSET', KEYS[3], entry, ARGV[5])
  return 1
end
if action == 'dead' or action == 'disable' then
  redis.call('ZREM', KEYS[2], entry)
  redis.call('HDEL', KEYS[3], entry)
  redis.call('XADD', KEYS[4], '*', 'entry', entry, 'id', ARGV[7], 'receiver', ARGV[8], 'group', ARGV[9],
    'body', ARGV[10], 'reason', ARGV[6], 'attempts', ARGV[5], 'at', ARGV[4])
  if action == 'disable' then
    redis.call('HSET', KEYS[5], ARGV[8], cjson.encode({ atMs = tonumber(ARGV[4]), reason = ARGV[6] }))
  end
  return 1
end
return -2
