--[[
  read-windows-1.lua: read many window hashes in one round trip (a rule's
  every series x every window in its range), only the fields it needs.

  KEYS[1]  the series index set of the rule's metric: names the namespace's
           hash tag so the script runs where the window keys live

  ARGV[1]  fields to read, comma-separated (HMGET), or '*' for every field
           (HGETALL: the exact-sum limbs have variable names)
  ARGV[2..] window hash keys; every one shares KEYS[1]'s hash tag

  Returns  one reply per window key, in order: the HMGET values (false when
           absent) or the flat HGETALL field/value list (empty when absent)
]]
local out = {}
local fields = ARGV[1]
local names = {}
if fields ~= '*' then
  for f in string.gmatch(fields, '[^,]+') do names[#names + 1] = f end
end
for i = 2, #ARGV do
  if fields == '*' then
    out[#out + 1] = redis.call('HGETALL', ARGV[i])
  else
    out[#out + 1] = redis.call('HMGET', ARGV[i], unpack(names))
  end
end
return out
