--[[
  close-1.lua: close the windows of one slot that the slot clock has passed.

  KEYS[1]  closure hash of the slot: field `t` = slot clock (ms, the highest raw
           record time the slot's flushes applied); field <resolution> =
           closed-through (windows starting before it are closed)

  ARGV[1]  JSON [[resolution, stepMs, latenessMs, cap], ...]; cap (a decimal
           string, or "" for none) is the earliest window start the caller
           still holds unflushed samples for: closed-through never passes it

  Per resolution the new closed-through is the largest multiple of stepMs at or
  below t - latenessMs (every window before it ended latenessMs or more before
  t), capped, and never below the stored one: closed-through only moves forward.
  Nothing else is touched, so a re-run is harmless; the flush script refuses any
  batch judged by another closed-through, so no closed window is written again.

  Returns  flat list resolution, closed-through ("" when none), ... ;
           -2 when ARGV[1] is malformed (nothing written)
]]
local ok, rs = pcall(cjson.decode, ARGV[1])
if not ok or type(rs) ~= 'table' then return -2 end
local t = tonumber(redis.call('HGET', KEYS[1], 't') or '')
local out = {}
for _, r in ipairs(rs) do
  local name, step, lateness, cap = r[1], tonumber(r[2]), tonumber(r[3]), tonumber(r[4])
  if type(name) ~= 'string' or not step or step <= 0 or not lateness then return -2 end
  local stored = tonumber(redis.call('HGET', KEYS[1], name) or '')
  local ct = stored
  if t then
    local target = math.floor((t - lateness) / step) * step
    if cap and cap < target then target = cap end
    if stored == nil or target > stored then
      ct = target
      redis.call('HSET', KEYS[1], name, string.format('%.0f', ct))
    end
  end
  out[#out + 1] = name
  out[#out + 1] = ct and string.format('%.0f', ct) or ''
end
return out
