--[[
  compact-2.lua: move closed hot windows of one slot and resolution into their
  blocks, atomically and idempotently.

  KEYS[1]  closure hash of the slot (see close-1.lua)
  KEYS[2]  sorted set of the slot's hot windows of the resolution (member
           <seriesId>:<startMs>, score startMs)

  ARGV[1]  JSON {r: resolution, b: blocks, g: gone}. Each of `b` is an array
           (blockKey, expireAtMs, windowKeys, members): the window hashes the
           block now holds and their index members. Each of `g` is an array
           (member, windowKey): an index member whose window hash is gone
           (expired), to drop from the index
  ARGV[2i], ARGV[2i+1]  for block i (1-based): the block's bytes the caller
           read ("" = absent) and its new bytes (the old windows plus the listed ones)

  Every listed window must start before the stored closed-through (it is frozen:
  the flush script writes no window there), or nothing is written (-3). A block
  whose stored bytes differ from what the caller read (another owner compacted
  meanwhile) is skipped and counted: its windows stay hot and the caller
  re-reads. Otherwise: SET the block with its expiry, DEL the window hashes and
  remove their index members, all in this one script — a crash leaves either
  the hot windows or the block, never both, never neither; a re-run finds the
  windows gone from the index and does nothing.

  Returns  {blocks written, blocks skipped as moved, windows moved into blocks};
           -2 malformed ARGV; -3 a listed window is not closed
]]
local ok, job = pcall(cjson.decode, ARGV[1])
if not ok or type(job) ~= 'table' or type(job.r) ~= 'string' or type(job.b) ~= 'table' or type(job.g) ~= 'table' then
  return -2
end
local ct = tonumber(redis.call('HGET', KEYS[1], job.r) or '')
if ct == nil then return -3 end
for _, b in ipairs(job.b) do
  for _, m in ipairs(b[4]) do
    local start = tonumber(string.match(m, ':(%-?%d+)$'))
    if start == nil or start >= ct then return -3 end
  end
end

local written, moved, windows = 0, 0, 0
for i, b in ipairs(job.b) do
  local expected, bytes = ARGV[2 * i], ARGV[2 * i + 1]
  if expected == nil or bytes == nil then return -2 end
  local stored = redis.call('GET', b[1]) or ''
  if stored ~= expected then
    moved = moved + 1
  else
    redis.call('SET', b[1], bytes, 'PXAT', b[2])
    if #b[3] > 0 then redis.call('DEL', unpack(b[3])) end
    if #b[4] > 0 then redis.call('ZREM', KEYS[2], unpack(b[4])) end
    written = written + 1
    windows = windows + #b[3]
  end
end
for _, g in ipairs(job.g) do
  -- Only when the hash is really gone: a member listed by mistake keeps its window findable.
  if redis.call('EXISTS', g[2]) == 0 then redis.call('ZREM', KEYS[2], g[1]) end
end
return { written, moved, windows }
