--[[
  release-1.lua: give up the leader lease, only if the caller still holds it.

  KEYS[1]  lease string "<token> <instanceId>"

  ARGV[1]  the caller's lease value

  Returns
     1  released
     0  not held by the caller; nothing changed
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
