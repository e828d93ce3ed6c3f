--[[
  find-series-1.lua: the candidate series of many selectors and their
  expiries, in one call (see series-finder.ts).

  KEYS[1]  sorted set of series expiries (member series id, score epoch ms)

  ARGV     one group per selector, back to back: n, the number of index sets
           whose intersection holds its candidates (n >= 1), then those n set
           keys, every one with KEYS[1]'s hash tag

  Returns  one reply per group, in order: {ids, expiries}, the members of the
           intersection (SINTER) and each one's score in KEYS[1] (false when
           it has none), or the error its SINTER met (a key of the wrong type,
           say), which fails that group only. An error, and nothing read, when
           ARGV is not such groups.
]]
local UNPACK_SLICE = 1000
local out = {}
local i, argc = 1, #ARGV
while i <= argc do
  local n = tonumber(ARGV[i])
  if n == nil or n < 1 or i + n > argc then
    return redis.error_reply('find-series: malformed group at ARGV[' .. i .. ']')
  end
  local ids = redis.pcall('SINTER', unpack(ARGV, i + 1, i + n))
  if ids.err then
    out[#out + 1] = ids
  else
    -- ZMSCORE in slices: unpack has a limit (a few thousand values in Redis' Lua).
    local expiries = {}
    for from = 1, #ids, UNPACK_SLICE do
      local scores = redis.call('ZMSCORE', KEYS[1], unpack(ids, from, math.min(from + UNPACK_SLICE - 1, #ids)))
      for k = 1, #scores do expiries[#expiries + 1] = scores[k] end
    end
    out[#out + 1] = { ids, expiries }
  end
  i = i + 1 + n
end
return out
