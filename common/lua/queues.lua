-- Queues ------------------------------------------------------------------

local function stat(q, field)
    return tonumber(redis.call('HGET', key(CC_KEY_QUEUE_STATS, q), field)
                    or 0)
end

local function ewma(q, field, sample)
    local k = key(CC_KEY_QUEUE_STATS, q)
    local prev = tonumber(redis.call('HGET', k, field))
    local v = sample
    if prev then
        v = EWMA_ALPHA * sample + (1 - EWMA_ALPHA) * prev
    end
    redis.call('HSET', k, field, math.floor(v + 0.5))
end

local function agents_ready(q, now)
    local n = 0
    for _, a in ipairs(redis.call('SMEMBERS', key(CC_KEY_QUEUE_AGENTS, q))) do
        if present(a, now) and agent_status(a) == 'available' then
            n = n + 1
        end
    end
    return n
end

local function estimated_wait(q, position, ready)
    local aht = tonumber(redis.call('HGET', key(CC_KEY_QUEUE_STATS, q),
                                    'aht_ewma_ms')) or DEFAULT_AHT_MS
    return math.ceil(position * aht / 1000 / math.max(1, ready))
end

-- Positions shown to callers: exact up to EXACT_POSITIONS, beyond it
-- rounded up to the next step of 15, 20, 30, 50, 70, 100, 150, 200, ...
-- (1.5-2-3-5-7-10 per decade).  A shown position is never less than the
-- real one, and one arrival or departure changes the shown position of
-- O(log n) calls only: those before EXACT_POSITIONS and those crossing a
-- step.
local STEPS = {1.5, 2, 3, 5, 7, 10}

-- EXACT_POSITIONS and the steps after it, up to the first at or past n
local function boundaries(n)
    local b, decade = {EXACT_POSITIONS}, EXACT_POSITIONS
    while b[#b] < n do
        for _, m in ipairs(STEPS) do
            b[#b + 1] = math.floor(m * decade)
            if b[#b] >= n then
                return b
            end
        end
        decade = decade * 10
    end
    return b
end

local function shown(p)
    if p <= EXACT_POSITIONS then
        return p
    end
    local b = boundaries(p)
    return b[#b]
end

local leave_queue

-- Sends `queued` to the call at 0-based rank `rank` of q if its shown
-- position changed, with the agents available in q then (none: the caller
-- may leave a message).  ctx: {ready, gone}, shared by one update; a call
-- that vanished goes to ctx.gone.
local function show_position(q, rank, id, now, ctx)
    local ck = key(CC_KEY_CALL, id)
    local f = redis.call('HMGET', ck, 'state', 'position')
    if not f[1] then
        ctx.gone[#ctx.gone + 1] = id
        return
    end
    local position = shown(rank + 1)
    if f[2] ~= tostring(position) then
        ctx.ready = ctx.ready or agents_ready(q, now)
        redis.call('HSET', ck, 'position', position)
        emit_call(id, 'queued', jobj{
            'queue', js(q), 'position', jnum(position),
            'estimated_wait', jnum(estimated_wait(q, position, ctx.ready)),
            'agents_available', jnum(ctx.ready)})
    end
end

-- One call came or went at 0-based rank `from` of q: the calls behind
-- moved by one place.  Only those whose shown position changes can, each
-- found by one ZRANGE: O(log n).
local function update_positions(q, now, from, ctx)
    local wk = key(CC_KEY_QUEUE_WAITING, q)
    ctx = ctx or {gone = {}}
    local function range(lo, hi)
        lo = math.max(lo, from)
        if lo <= hi then
            for i, id in ipairs(redis.call('ZRANGE', wk, lo, hi)) do
                show_position(q, lo + i - 1, id, now, ctx)
            end
        end
    end
    range(0, EXACT_POSITIONS - 1)
    for _, b in ipairs(boundaries(redis.call('ZCARD', wk))) do
        range(b - 1, b)
    end
    for _, id in ipairs(ctx.gone) do
        leave_queue(q, id, now)
    end
    ctx.gone = {}
    return ctx
end

-- The zset that bounds the wait of a waiting call: by max_wait, or by
-- message_wait once its caller left a message (cc_expire_calls).
local function waits_in(call)
    return call.left_message and CC_KEY_CALLS_MESSAGES or CC_KEY_CALLS_WAITING
end

-- id (call: queue, created, left_message) waits in its queue from now on,
-- at its arrival time
local function enter_queue(id, call, now)
    local q = call.queue
    local wk = key(CC_KEY_QUEUE_WAITING, q)
    redis.call('ZADD', waits_in(call), call.created, id)
    if redis.call('ZADD', wk, call.created, id) == 1 then
        local rank = redis.call('ZRANK', wk, id)
        local ctx = update_positions(q, now, rank)
        show_position(q, rank, id, now, ctx)
    end
end

-- id waits in q no more
leave_queue = function(q, id, now)
    local wk = key(CC_KEY_QUEUE_WAITING, q)
    redis.call('ZREM', CC_KEY_CALLS_WAITING, id)
    redis.call('ZREM', CC_KEY_CALLS_MESSAGES, id)
    local rank = redis.call('ZRANK', wk, id)
    if rank then
        redis.call('ZREM', wk, id)
        update_positions(q, now, rank)
    end
end

