--[[
  unindex-series-2.lua: drop one expired series from one index set.

  KEYS[1]  sorted set of series expiries (member series id, score epoch ms
           until which the series may still have a window or block)
  KEYS[2]  an index set holding the series id (a label pair's series)

  ARGV[1]  series id

  Only while the series' expiry is past by Redis' clock: a flush that indexes
  the series again raises its expiry before it adds to any set, so either this
  runs first and the flush re-adds, or it finds the raised expiry and does
  nothing. Nothing else is touched, so a re-run is harmless.

  Returns  1 removed (or was absent); 0 the series is live or has no expiry (nothing written)
]]
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
if expiry == nil then return 0 end
local now = redis.call('TIME')
if expiry > tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
