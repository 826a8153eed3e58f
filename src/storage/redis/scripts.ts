/**
 * The Lua scripts behind RedisCounterStore. Each call of `consume` or `adjust` is one script run:
 * Redis runs a script atomically, so reading every limit, deciding and writing happen as one step
 * even with many gateway instances on one Redis (issue 3: new-api's separate check-then-incr lets
 * concurrent requests overdraw; a script cannot).
 *
 * The sources live in a .ts file rather than .lua files so that `tsc` ships them in dist/ without a
 * copy step.
 *
 * Calling convention, shared by both scripts:
 *   KEYS  per limit, in order: moving-window gives two keys (previous bucket, current bucket), the
 *         other strategies one.
 *   ARGV  strategy, now (epoch ms, the caller's clock), amount (consume) or delta (adjust), then
 *         `limit, windowMs` per limit.
 */

/**
 * Keys outlive their window by this much. Expiry only collects garbage (windows are named by index
 * or carry their own end, read with the caller's `now`), so the margin absorbs clock skew between
 * instances and Redis: an instance a little behind still finds the window it is counting in.
 */
export const EXPIRY_MARGIN_MS = 5000

/**
 * Reads one limit's window into a table: `used` is what counts against the limit now, `current`
 * the stored count of the window or bucket that a write changes, `resetAt` when it next frees
 * capacity.
 *
 * moving-window is the sliding-window counter approximation (Cloudflare, "How we built rate
 * limiting capable of scaling to millions of domains", 2017): used = previous bucket × (share of the window still overlapping it) + current bucket.
 * It assumes the previous bucket's units were spread evenly over it. The error is bounded: `used`
 * lies between the exact sliding count of a window whose previous-bucket units all came at its
 * start and one where they all came at its end, so a burst at the end of one bucket is undercounted
 * by at most previous × elapsed share; the admitted total over any sliding window stays below
 * 2 × limit in the worst case and is exact for evenly spread traffic.
 */
const head = `
local strategy = ARGV[1]
local now = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local count = (#ARGV - 3) / 2
local margin = ${EXPIRY_MARGIN_MS}
`

const prelude = `
local stride = 1
if strategy == 'moving-window' then stride = 2 end

-- The arithmetic below is written exactly as in memory/windows.ts (same operations in the same
-- order on IEEE doubles), so both stores decide alike to the last bit.
local function weighted(previous, current, size, elapsed)
  return previous * (size - elapsed) / size + current
end

local function window(i)
  local w = { limit = tonumber(ARGV[2 + 2 * i]), size = tonumber(ARGV[3 + 2 * i]) }
  local first = (i - 1) * stride + 1
  if strategy == 'fixed-window-elastic-expiry' then
    w.key = KEYS[first]
    local stored = redis.call('HMGET', w.key, 'count', 'expiresAt')
    local expiresAt = tonumber(stored[2])
    w.live = expiresAt ~= nil and expiresAt > now
    if w.live then
      w.current = tonumber(stored[1]) or 0
      w.resetAt = expiresAt
    else
      w.current = 0
      w.resetAt = now + w.size
    end
    w.used = w.current
    return w
  end
  local start = math.floor(now / w.size) * w.size
  w.start = start
  w.resetAt = start + w.size
  if strategy == 'moving-window' then
    w.key = KEYS[first + 1]
    w.previous = tonumber(redis.call('GET', KEYS[first])) or 0
    w.current = tonumber(redis.call('GET', w.key)) or 0
    w.used = weighted(w.previous, w.current, w.size, now - start)
  else
    w.key = KEYS[first]
    w.current = tonumber(redis.call('GET', w.key)) or 0
    w.used = w.current
  end
  return w
end

-- Writes a new count for the current window. elastic-expiry pushes its end to now + window when
-- asked (units added), and otherwise keeps it.
local function store(w, value, push)
  if strategy == 'fixed-window-elastic-expiry' then
    local expiresAt = w.resetAt
    if push then expiresAt = now + w.size end
    redis.call('HSET', w.key, 'count', value, 'expiresAt', expiresAt)
    redis.call('PEXPIRE', w.key, math.ceil(expiresAt - now + margin))
    w.resetAt = expiresAt
    w.current = value
    w.used = value
    return
  end
  local ttl = w.resetAt - now + margin
  -- The current bucket is read again as the previous one during the next window.
  if strategy == 'moving-window' then ttl = ttl + w.size end
  redis.call('SET', w.key, value, 'PX', math.ceil(ttl))
  w.current = value
  if strategy == 'moving-window' then w.used = weighted(w.previous, value, w.size, now - w.start) else w.used = value end
end
`

/**
 * How long until `amount` fits under a refusing limit, at least 1 ms. Fixed windows wait for their
 * end (or elastic expiry). The moving window waits until the previous bucket's weight has faded
 * enough; when the current bucket alone is too full, into the next bucket while this one fades in
 * turn. The closed form can land a millisecond short by rounding, so a few steps settle it.
 */
const waitFunction = `
local function firstElapsed(size, previous, current, limit, estimate)
  local elapsed = math.max(0, math.ceil(estimate))
  local step = 0
  while step < 4 and elapsed < size and weighted(previous, current, size, elapsed) + amount > limit do
    elapsed = elapsed + 1
    step = step + 1
  end
  return math.min(elapsed, size)
end

local function wait(w)
  local ms
  if strategy ~= 'moving-window' then
    ms = w.resetAt - now
  elseif amount > w.limit then
    -- Never fits: report when the counter is empty.
    ms = w.start + w.size - now
    if w.current > 0 then ms = ms + w.size end
  elseif w.current + amount <= w.limit then
    local estimate = w.size - ((w.limit - amount - w.current) * w.size) / w.previous
    ms = w.start + firstElapsed(w.size, w.previous, w.current, w.limit, estimate) - now
  else
    local estimate = w.size - ((w.limit - amount) * w.size) / w.current
    ms = w.start + w.size + firstElapsed(w.size, w.current, 0, w.limit, estimate) - now
  end
  return math.max(1, math.ceil(ms))
end
`

/**
 * consume for fixed windows with a whole amount, the default strategy: one INCRBY per limit (and a
 * PEXPIRE when it made the key), undone by DECRBY for a refused request. Measured with
 * redis-benchmark, this costs Redis about half of what reading, deciding and SET PX did, and Redis
 * shares the machine with the gateways. The decision is the same: admitted when count + amount <=
 * limit for every limit. It ends the script, so the general code below never runs for it.
 */
const fixedWindowConsume = `
if strategy == 'fixed-window' and amount > 0 and amount % 1 == 0 then
  local limits, values, resets = {}, {}, {}
  local admitted = true
  local retryAfter = 0
  for i = 1, count do
    local size = tonumber(ARGV[3 + 2 * i])
    limits[i] = tonumber(ARGV[2 + 2 * i])
    resets[i] = math.floor(now / size) * size + size
    values[i] = redis.call('INCRBY', KEYS[i], amount)
    if values[i] == amount then redis.call('PEXPIRE', KEYS[i], math.ceil(resets[i] - now + margin)) end
    if values[i] > limits[i] then
      admitted = false
      retryAfter = math.max(retryAfter, math.max(1, math.ceil(resets[i] - now)))
    end
  end
  local reply = { admitted and 1 or 0, retryAfter }
  for i = 1, count do
    local used = values[i]
    if not admitted then
      redis.call('DECRBY', KEYS[i], amount)
      used = used - amount
    end
    reply[1 + 2 * i] = math.max(0, math.floor(limits[i] - used))
    reply[2 + 2 * i] = resets[i]
  end
  return reply
end
`

/** Returns { admitted (1/0), retryAfterMs, then remaining, resetAt per limit }. */
export const consumeLua = `${head}${fixedWindowConsume}${prelude}${waitFunction}
local windows = {}
local admitted = true
local retryAfter = 0
for i = 1, count do
  local w = window(i)
  windows[i] = w
  if w.used + amount > w.limit then
    admitted = false
    retryAfter = math.max(retryAfter, wait(w))
  end
end
if not admitted then amount = 0 end
local reply = { admitted and 1 or 0, retryAfter }
for i = 1, count do
  local w = windows[i]
  if amount > 0 then store(w, w.current + amount, true) end
  reply[1 + 2 * i] = math.max(0, math.floor(w.limit - w.used))
  reply[2 + 2 * i] = w.resetAt
end
return reply
`

/**
 * Many consumes in one script run, decided one after the other exactly as separate runs of
 * consumeLua would be (each is still all or nothing over its own limits): the gateway sends the
 * consumes that wait together as one command, so Redis starts one script and the gateway encodes
 * and parses one command, instead of one per request. consumeLua runs as a function whose KEYS and
 * ARGV are the request's own slices.
 *
 *   ARGV  the number of consumes, then per consume: its key count, its argument count, its
 *         arguments (as consumeLua takes them)
 *   KEYS  every consume's keys, in order
 * Returns one consumeLua reply per consume, in order.
 */
export const consumeManyLua = `
local function consumeOne(KEYS, ARGV)
${consumeLua}
end
local replies = {}
local keyAt, argAt = 1, 2
for r = 1, tonumber(ARGV[1]) do
  local keyCount, argCount = tonumber(ARGV[argAt]), tonumber(ARGV[argAt + 1])
  local keys, args = {}, {}
  for i = 1, keyCount do keys[i] = KEYS[keyAt + i - 1] end
  for i = 1, argCount do args[i] = ARGV[argAt + 1 + i] end
  keyAt = keyAt + keyCount
  argAt = argAt + 2 + argCount
  replies[r] = consumeOne(keys, args)
end
return replies
`

/** Adds the delta to every current window, clamped at zero; returns nothing useful. */
export const adjustLua = `${head}${prelude}
for i = 1, count do
  local w = window(i)
  local value = math.max(0, w.current + amount)
  -- As a consume, adding pushes an elastic expiry; giving back (settling an overestimate) does not.
  if value ~= w.current then store(w, value, amount > 0) end
end
return 0
`
