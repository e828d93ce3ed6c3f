--[[
  forget-series-4.lua: remove the last traces of one expired series, once its
  label sets are done (unindex-series-2.lua).

  KEYS[1]  sorted set of series expiries (see unindex-series-2.lua)
  KEYS[2]  hash describing the series (name, labels)
  KEYS[3]  set of the series of its metric name
  KEYS[4]  set of every metric name

  ARGV[1]  series id
  ARGV[2]  its metric name ("" when its description is gone: KEYS[3] then names
           a set that never exists, and no metric name is touched)

  Only while the series' expiry is past by Redis' clock (see
  unindex-series-2.lua for why that cannot race a flush): removes the id from
  its metric's set, deletes the description and the expiry, and drops the
  metric name once no series of it is left. A flush adds the metric name after
  the metric's series set, so a name removed here while a flush indexes a new
  series of it is added again by that flush.

  Returns  1 forgotten; 0 the series is live or has no expiry (nothing written)
]]
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
if expiry == nil then return 0 end
local now = redis.call('TIME')
if expiry > tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) then return 0 end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' and redis.call('SCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return 1
