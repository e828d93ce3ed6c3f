--[[
  flush-2.lua: apply one flush batch of one slot (shard-topic partition), atomically.

  KEYS[1]  watermark hash of the slot:
           field = raw partition, value = highest raw offset applied (decimal)
           in the finest resolution;
           field = `c` + raw partition: the same for the coarse resolutions
           (every one but the finest), which the worker flushes less often;
           absent, it equals the raw partition's field (written before the
           coarse ones had their own, with every resolution at once);
           field `k` = shard-topic offset after the last record whose samples
           both watermarks cover: where the slot's next owner resumes reading

  ARGV[1]  JSON batch. Doubles and timestamps are decimal strings, written
           verbatim so nothing is rounded; counts and limbs are JSON integers
           (exact: every one is below 2^53):
    ct    [[resolution, closedThrough], ...]      what the worker judged its samples by ("" = none
                                                  closed); each must equal KEYS[2]'s field, or -3
    t     "ms"                                    optional: the batch's highest raw record time;
                                                  KEYS[2] `t` keeps the max
    hk    {resolution: hotIndexKey}               sorted set of the slot's hot windows per resolution;
                                                  a new window is added (member <id>:<start>)
    ko    "offset"                                shard-topic offset after the batch's last
                                                  record (decimal string); `k` keeps the max
    wm    [[field, expected, next], ...]          strings: a raw partition, or `c` + one;
                                                  expected "-1" = field absent;
                                                  expected = next only checks a watermark
    w     [[key, expireAtMs, count, min, max, firstTs, first, lastTs, last,
            limbIndex, limbDelta, ...], ...]      one window delta each, merged here;
                                                  |limbDelta| < 2^52
    a     [[key, version, field, value, ...], ...]
                                                  windows the worker knows as stored (see
                                                  known-windows.ts): the version it knows
                                                  (field `v`) and the changed fields, `v`
                                                  among them, written as given (HSET), no merge
    b     [field, value, ...]                     with a non-empty `a`: KEYS[1] as the worker
                                                  last saw it, `k` left out; every field must
                                                  still hold that value and every `a` window
                                                  its `version`, or -4
    ch    "changesStreamKey"                      optional: the slot's change stream; an applied
                                                  batch with windows appends one entry, fields
                                                  s = cs, w = cw
    cs    "id,id,..."                             with ch: the series ids of `w`, each once
    cw    "res:startMs,..."                       with ch: the windows of `w` as
                                                  `<resolution>:<startMs>`, each once
    cm    maxLen                                  the stream's approximate cap (XADD MAXLEN ~)

  Every key named in ARGV shares KEYS[1]'s hash tag, the slot's (see
  redis-keys.ts), so the script stays within one Redis Cluster slot. The
  series index is written beside the script, not by it: it is shared by
  every slot.

  Window hashes (fields c, min, max, ft, f, lt, l, s<i>, v) are read once with
  HGETALL, merged here and written with one HSET; `v` counts the writes of the
  window (absent before it existed: 0), whichever slot's script made them; PEXPIREAT only when the
  window is new (the expiry is a pure function of the key). Sum limbs are
  kept carry-normalized: every limb but the highest in [0, 2^32), the highest
  signed with |limb| < 2^32 (or a fresh carry), so stored + delta + carry
  stays an exact integer in a Lua double (< 2^53). Windows whose limbs were
  summed by HINCRBY before limbs were normalized may hold limbs beyond that
  range; those keep getting HINCRBY (exact in Redis's int64).

  The change entry is written here, with the windows, so it exists if and
  only if the change does: a fenced or re-sent batch announces nothing.

  A window is known to the worker only from a reply of this script, and is
  written outright only while its `v` is still the version known (no write
  since, by any slot's script) and KEYS[1] still reads as `b`: every batch that
  writes windows moves some watermark forward, so an unchanged hash also rules
  out a writer of an older version of this script, which does not bump `v`.

  Returns
     {1, wm, states}  applied: every watermark held `expected`; deltas, known
        windows, new watermarks and the change entry written. wm: KEYS[1] after
        the write (HGETALL); states: per `w` row, in order, the window's fields
        as now stored (HGETALL), or 1 for a window the row created: it holds
        the row's fields alone (count, min, max, ft, f, lt, l, the limbs
        carry-normalized, v = 1), which the worker derives from its delta
     2  already applied: every watermark already holds `next` (a re-sent
        script, e.g. ioredis replaying it after a reconnect); only the
        watermarks are rewritten, unchanged
    -1  fenced: some watermark holds neither; nothing written
    -2  malformed ARGV[1]; nothing written
    -3  closed windows moved: some closed-through differs from `ct` (compaction
        by another owner, or one a failover lost); nothing written: the worker
        re-reads the slot's state and the partition from Kafka
    -4  not as known: KEYS[1] differs from `b`, or an `a` window's `v` is not
        the version known (written since, or gone);
        nothing written: the worker forgets what it knew of the slot and sends
        the same batch again as deltas
]]
local wmKey, closureKey = KEYS[1], KEYS[2]
local ok, batch = pcall(cjson.decode, ARGV[1])
if not ok or type(batch) ~= 'table' or type(batch.wm) ~= 'table' or type(batch.w) ~= 'table'
  or type(batch.ct) ~= 'table' or type(batch.hk) ~= 'table'
  or (batch.a ~= nil and type(batch.a) ~= 'table')
  or (batch.ch ~= nil and (type(batch.ch) ~= 'string' or type(batch.cm) ~= 'number'
    or type(batch.cs) ~= 'string' or type(batch.cw) ~= 'string')) then
  return -2
end
local known = batch.a or {}
if #known > 0 and type(batch.b) ~= 'table' then return -2 end

-- A coarse resolutions' watermark field: `c` + raw partition.
local function isCoarse(field) return string.byte(field, 1) == 99 end

local matchesExpected, matchesNext = true, true
local storedOf = {}
for _, m in ipairs(batch.wm) do
  local field = m[1]
  local stored = redis.call('HGET', wmKey, field)
  if not stored and isCoarse(field) then stored = redis.call('HGET', wmKey, string.sub(field, 2)) end
  stored = stored or '-1'
  storedOf[field] = stored
  if stored ~= m[2] then matchesExpected = false end
  if stored ~= m[3] then matchesNext = false end
end
if not matchesExpected and not matchesNext then return -1 end
if matchesExpected then
  for _, c in ipairs(batch.ct) do
    if (redis.call('HGET', closureKey, c[1]) or '') ~= c[2] then return -3 end
  end
  if #known > 0 then
    local seen = {}
    for j = 1, #batch.b, 2 do seen[batch.b[j]] = batch.b[j + 1] end
    local stored, fields = redis.call('HGETALL', wmKey), 0
    for j = 1, #stored, 2 do
      if stored[j] ~= 'k' then
        if seen[stored[j]] ~= stored[j + 1] then return -4 end
        fields = fields + 1
      end
    end
    if fields * 2 ~= #batch.b then return -4 end
    for _, row in ipairs(known) do
      if redis.call('HGET', row[1], 'v') ~= row[2] then return -4 end
    end
  end
end

-- Also when already applied: the rewrite (same values) makes a following WAIT cover
-- them even if they reached this node by replication from a failed primary.
for _, m in ipairs(batch.wm) do
  local field = m[1]
  -- Before a raw partition's field moves, its coarse field gets the value it stood for until now.
  if matchesExpected and not isCoarse(field) then redis.call('HSETNX', wmKey, 'c' .. field, storedOf[field]) end
  redis.call('HSET', wmKey, field, m[3])
end
if type(batch.ko) == 'string' then
  local storedKo = tonumber(redis.call('HGET', wmKey, 'k') or '-1')
  if tonumber(batch.ko) > storedKo then redis.call('HSET', wmKey, 'k', batch.ko) end
end
if not matchesExpected then return 2 end
if type(batch.t) == 'string' then
  local storedT = tonumber(redis.call('HGET', closureKey, 't') or '-1')
  if tonumber(batch.t) > storedT then redis.call('HSET', closureKey, 't', batch.t) end
end

local TWO32 = 4294967296
-- A stored limb this large can only come from HINCRBY summing: adding a delta to it could pass 2^53.
local LEGACY_LIMB = 2251799813685248
-- Limb indices reach ~66 (2^2098 / 2^32). Field names are made once per script call and only for
-- the limbs it meets (a call is one slot's batch, often small: building all of them every time cost
-- more than the windows of a small batch).
local limbField = setmetatable({}, { __index = function(t, i)
  local name = 's' .. i
  t[i] = name
  return name
end })
-- Field name → limb index, or false for the other fields (c, min, max, ft, f, lt, l).
local fieldLimb = setmetatable({}, { __index = function(t, name)
  local i = false
  if string.byte(name, 1) == 115 then i = tonumber(string.sub(name, 2)) or false end
  t[name] = i
  return i
end })
local floor, fmt, tonumber = math.floor, string.format, tonumber

-- Integers below 2^53 in full: tostring would print only 14 significant digits.
local function int(x) return fmt('%.0f', x) end

local states = {}
for _, row in ipairs(known) do
  redis.call('HSET', row[1], unpack(row, 3))
end
for _, d in ipairs(batch.w) do
  local key = d[1]
  local cur = redis.call('HGETALL', key)
  local n = #d
  local set
  local old, limbs = {}, {}
  local lo, hi
  local legacy = false
  if #cur == 0 then
    set = { 'c', int(d[3]), 'min', d[4], 'max', d[5], 'ft', d[6], 'f', d[7], 'lt', d[8], 'l', d[9], 'v', '1' }
  else
    local h = {}
    for j = 1, #cur, 2 do
      local i = fieldLimb[cur[j]]
      if i then
        local v = tonumber(cur[j + 1])
        if v >= LEGACY_LIMB or v <= -LEGACY_LIMB then legacy = true end
        old[i] = v
        limbs[i] = v
        if lo == nil or i < lo then lo = i end
        if hi == nil or i > hi then hi = i end
      else
        h[cur[j]] = cur[j + 1]
      end
    end
    set = { 'c', int((tonumber(h.c) or 0) + d[3]), 'v', int((tonumber(h.v) or 0) + 1) }
    local k = 4
    local curMin, curMax = tonumber(h.min), tonumber(h.max)
    local curFt, curF, curLt, curL = tonumber(h.ft), tonumber(h.f), tonumber(h.lt), tonumber(h.l)
    local ft, lt = tonumber(d[6]), tonumber(d[8])
    if curMin == nil or tonumber(d[4]) < curMin then set[k + 1] = 'min'; set[k + 2] = d[4]; k = k + 2 end
    if curMax == nil or tonumber(d[5]) > curMax then set[k + 1] = 'max'; set[k + 2] = d[5]; k = k + 2 end
    if curFt == nil or ft < curFt or (ft == curFt and tonumber(d[7]) < curF) then
      set[k + 1] = 'ft'; set[k + 2] = d[6]; set[k + 3] = 'f'; set[k + 4] = d[7]; k = k + 4
    end
    if curLt == nil or lt > curLt or (lt == curLt and tonumber(d[9]) > curL) then
      set[k + 1] = 'lt'; set[k + 2] = d[8]; set[k + 3] = 'l'; set[k + 4] = d[9]
    end
  end

  if legacy then
    redis.call('HSET', key, unpack(set))
    for j = 10, n, 2 do
      redis.call('HINCRBY', key, limbField[d[j]], int(d[j + 1]))
    end
  else
    for j = 10, n, 2 do
      local i = d[j]
      limbs[i] = (limbs[i] or 0) + d[j + 1]
      if lo == nil or i < lo then lo = i end
      if hi == nil or i > hi then hi = i end
    end
    if lo ~= nil then
      -- Lower limbs go to [0, 2^32) carrying into the next; the highest absorbs the carry signed.
      local carry = 0
      for i = lo, hi - 1 do
        local v = (limbs[i] or 0) + carry
        carry = floor(v / TWO32)
        v = v - carry * TWO32
        limbs[i] = v
      end
      local top = (limbs[hi] or 0) + carry
      if top >= TWO32 or top <= -TWO32 then
        carry = floor(top / TWO32)
        top = top - carry * TWO32
        limbs[hi + 1] = carry
        set[#set + 1] = limbField[hi + 1]
        set[#set + 1] = int(carry)
      end
      limbs[hi] = top
      for i = lo, hi do
        local v = limbs[i]
        if v ~= nil and v ~= old[i] and (v ~= 0 or old[i] ~= nil) then
          set[#set + 1] = limbField[i]
          set[#set + 1] = int(v)
        end
      end
    end
    redis.call('HSET', key, unpack(set))
  end
  if #cur == 0 then
    redis.call('PEXPIREAT', key, d[2])
    local res, id, start = string.match(key, ':w:([^:]+):([^:]+):(%-?%d+)$')
    local hot = res and batch.hk[res]
    if hot then redis.call('ZADD', hot, start, id .. ':' .. start) end
  end
  -- A new window holds exactly the delta, which the worker has: 1 says so, instead of its fields.
  states[#states + 1] = #cur == 0 and 1 or redis.call('HGETALL', key)
end

-- Listed by the worker, which knows them: the script only decides whether the entry is written.
if batch.ch ~= nil and #batch.w + #known > 0 then
  redis.call('XADD', batch.ch, 'MAXLEN', '~', tostring(batch.cm), '*', 's', batch.cs, 'w', batch.cw)
end

return { 1, redis.call('HGETALL', wmKey), states }
