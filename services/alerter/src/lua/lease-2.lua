--[[
  lease-2.lua: acquire or renew the alerter leader lease.

  KEYS[1]  lease string "<token> <instanceId>"
  KEYS[2]  fencing counter: the last token handed out

  ARGV[1]  instance id of the caller
  ARGV[2]  lease time to live, ms

  Returns  { token, holder }
     token > 0  the caller holds the lease (renewed, or acquired with a new
                token from INCR, higher than every token before it)
     token = 0  another instance holds it; holder is its lease value
]]
local current = redis.call('GET', KEYS[1])
if current then
  local token, holder = string.match(current, '^(%d+) (.+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return { tonumber(token), current }
  end
  return { 0, current }
end
local token = redis.call('INCR', KEYS[2])
local value = token .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return { token, value }
