--[[
  read-windows-1.lua: read many window hashes in one call, for many queries at
  once (each a rule's every series x every window in its range), each query
  with only the fields it needs. One call per rule cost about as much in
  script overhead as its reads (see README.md).

  KEYS[1]  the series index set of the first query's metric: names the
           namespace's hash tag so the script runs where the window keys live

  ARGV     one group per query, back to back: the fields to read,
           comma-separated (HMGET), or '*' for every field (HGETALL: the
           exact-sum limbs have variable names); n, the number of window keys;
           then those n keys, every one with KEYS[1]'s hash tag

  Returns  one reply per window key, in order across the groups: the HMGET
           values (false when absent) or the flat HGETALL field/value list
           (empty when absent). An error, and nothing read, when ARGV is not
           such groups.
]]
local out = {}
local i, argc = 1, #ARGV
while i <= argc do
  local fields, n = ARGV[i], tonumber(ARGV[i + 1])
  if n == nil or n < 0 or i + 1 + n > argc then
    return redis.error_reply('read-windows: malformed group at ARGV[' .. i .. ']')
  end
  if fields == '*' then
    for k = i + 2, i + 1 + n do out[#out + 1] = redis.call('HGETALL', ARGV[k]) end
  else
    local names = {}
    for f in string.gmatch(fields, '[^,]+') do names[#names + 1] = f end
    for k = i + 2, i + 1 + n do out[#out + 1] = redis.call('HMGET', ARGV[k], unpack(names)) end
  end
  i = i + 2 + n
end
return out
