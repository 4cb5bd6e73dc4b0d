-- Queues ------------------------------------------------------------------

-- A queue's stats hash is kept a hash table, never a listpack: each of its
-- status records reads 18 of its 25 or so fields in one HMGET, which a
-- listpack finds each by a walk (2.7 us an HMGET, 0.8 from a hash table),
-- and every message counts in it.  A value longer than Redis's
-- hash-max-listpack-value (64 unless set higher) converts the hash, for
-- good; a hash made again without it is a listpack again, only slower.
local STATS_TABLE = 'one value over hash-max-listpack-value: a hash table, '
    .. 'where HMGET of many fields is cheap'

local function queue_stats_table(q)
    redis.call('HSETNX', key(CC_KEY.QUEUE_STATS, q), '~table', STATS_TABLE)
end

local function ewma(q, field, sample)
    local k = key(CC_KEY.QUEUE_STATS, q)
    local prev = tonumber(redis.call('HGET', k, field))
    local v = sample
    if prev then
        v = EWMA_ALPHA * sample + (1 - EWMA_ALPHA) * prev
    end
    redis.call('HSET', k, field, math.floor(v + 0.5))
end

-- Who staffs q now: agents (available ones), staffed capacity (present
-- and not away), free slots (of agents that may take a call), by
-- agent_state's rules.  O(agents), so each costs few reads and no write:
-- its hash's three fields, its presence for an agent not away, its load
-- by set sizes (an estimate may count an id whose call's keys expired,
-- which the agent's own functions drop: live_ids).  enough: free slots
-- past which reading on would change no estimate for the call at that
-- position (it waits 0); the counts stop there.  Kept by the status
-- figures once they are built: three fields of q's stats, whatever its
-- agents (status_staffing).
local function staffing(q, now, enough)
    local st = status_staffing(q, now)
    if st then
        return st
    end
    st = {ready = 0, staffed = 0, free = 0}
    local after = '(' .. now
    for _, a in ipairs(redis.call('SMEMBERS', key(CC_KEY.QUEUE_AGENTS, q))) do
        if enough and st.free >= enough then
            break
        end
        local f = redis.call('HMGET', key(CC_KEY.AGENT, a), 'capacity',
                             'status', 'wrapup_until')
        local capacity = tonumber(f[1]) or 0
        if f[2] == 'available' and redis.call('ZCOUNT',
                key(CC_KEY.AGENT_CONNS, a), after, '+inf') > 0 then
            st.staffed = st.staffed + capacity
            local n = not in_wrapup({wrapup_until = f[3] or nil}, now)
                and redis.call('SCARD', key(CC_KEY.AGENT_OFFERS, a))
                    + redis.call('SCARD', key(CC_KEY.AGENT_CALLS, a))
            if n and n < capacity then
                st.ready = st.ready + 1
                st.free = st.free + capacity - n
            end
        end
    end
    return st
end

-- Seconds until the call at `position` is answered: the calls before it
-- that no free slot takes at once, each taking the queue's handle time
-- (an EWMA of its calls' durations) plus its wrap-up, shared among the
-- staffed capacity (docs/DESIGN.md, "Estimated wait").
local function estimated_wait(q, position, st, s)
    if position <= st.free then
        return 0                -- a free slot takes it at once
    end
    local aht = st.aht
    if aht == nil then
        aht = tonumber(redis.call('HGET', key(CC_KEY.QUEUE_STATS, q),
                                  'aht_ewma_ms'))
    end
    aht = aht or DEFAULT_AHT_MS
    return math.ceil(math.max(0, position - st.free) * (aht + s.wrapup)
                     / 1000 / math.max(1, st.staffed))
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

-- What a caller of q is told: status queued or closed (and opens_at, ms
-- or null), for the 201 of cc_call_create and each `queued`.
local function queue_state(s, now)
    local open, opens_at = opening(s, now)
    if open then
        return 'queued'
    end
    return 'closed', opens_at
end

-- Sends `queued` to the call at 0-based rank `rank` of q if its shown
-- position changed, with the agents available in q then (none: the caller
-- may leave a message) and whether the queue is open.  ctx: {gone, and
-- what one update reads once: s, st}; a call that vanished goes to
-- ctx.gone.  call: the call's fields as its caller read them (state and
-- position among them), else read here.  The data is one concatenation,
-- the text jobj made (its names encoded, a table: a fifth of an update).
local function show_position(q, rank, id, now, ctx, call)
    local ck = key(CC_KEY.CALL, id)
    local state, was
    if call then
        state, was = call.state, call.position
    else
        local f = redis.call('HMGET', ck, 'state', 'position')
        state, was = f[1], f[2]
    end
    if not state then
        ctx.gone[#ctx.gone + 1] = id
        return
    end
    local position = shown(rank + 1)
    local text = count_text(position)
    if was ~= text then
        ctx.s = ctx.s or settings(q)
        ctx.st = ctx.st or staffing(q, now)
        local status, opens_at = queue_state(ctx.s, now)
        local data = '{"queue":' .. js(q) .. ',"position":' .. text
            .. ',"estimated_wait":'
            .. count_text(estimated_wait(q, position, ctx.st, ctx.s))
            .. ',"agents_available":' .. count_text(ctx.st.ready)
            .. ',"status":"' .. status .. '"'
        if status == 'closed' then
            data = data .. ',"opens_at":'
                .. (opens_at and jnum(opens_at) or 'null')
        end
        redis.call('HSET', ck, 'position', text)
        emit_call(id, 'queued', data .. '}')
    end
end

-- One call came (arrived) or went at 0-based rank `from` of q: the calls
-- behind moved by one place.  Only those whose shown position changes
-- can, each found by one ZRANGE: O(log n).  n: the calls waiting in q,
-- when known.
local function update_positions(q, now, from, ctx, n, arrived)
    local wk = key(CC_KEY.QUEUE_WAITING, q)
    ctx = ctx or {gone = {}}
    n = n or redis.call('ZCARD', wk)
    -- no read past the last (a call entering at the end has none behind:
    -- not even the ranges made)
    if from < n then
        local function range(lo, hi)
            lo, hi = math.max(lo, from), math.min(hi, n - 1)
            if lo <= hi then
                for i, id in ipairs(redis.call('ZRANGE', wk, lo, hi)) do
                    show_position(q, lo + i - 1, id, now, ctx)
                end
            end
        end
        range(0, EXACT_POSITIONS - 1)
        -- past those, one call a step b moved across it: the call now at
        -- rank b - 1 (position b, the step's) after a departure, at rank
        -- b (position b + 1, the next step's) after an arrival; its
        -- neighbour's shown position stayed (steps are 5 or more apart)
        local past = arrived and 0 or -1
        for _, b in ipairs(boundaries(n)) do
            if b + past >= EXACT_POSITIONS then
                range(b + past, b + past)
            end
        end
    end
    for _, id in ipairs(ctx.gone) do
        leave_queue(q, id, now)
    end
    ctx.gone = {}
    return ctx
end

-- Ready indexes ------------------------------------------------------
--
-- A call ready to ring (queued, not offered, its caller there) is in one
-- zset per skill set of its queue's agents that covers its skills (the
-- queue's profiles), by rank: the best call a free agent can take, over
-- all its queues, is at the head of one of its sets' indexes, however many
-- calls nobody free can take wait before it (docs/DESIGN.md, "Finding the
-- next call").

local function set_of(list)
    local s = {}
    for _, v in ipairs(list) do
        s[v] = true
    end
    return s
end

-- true when an agent with skills `has` (a set) may take a call needing
-- `needs` (a list)
local function covers(has, needs)
    for _, s in ipairs(needs) do
        if not has[s] then
            return false
        end
    end
    return true
end

-- the key of a skill set (a sorted list): the same in every queue
local function skills_key(skills)
    table.sort(skills)
    return redis.sha1hex(jstrings(skills)):sub(1, 12)
end

local function ready_key(q, pk)
    return string.format(CC_KEY.QUEUE_READY, q, pk)
end

-- q's profiles: {{key, skills set}, ...}, made once for the same reply
-- (remembered): read them only
local profiles
do
    local function profiles_of(flat)
        local list = {}
        for i = 1, #flat, 2 do
            list[#list + 1] = {flat[i], set_of(cjson.decode(flat[i + 1]))}
        end
        return list
    end

    profiles = function(q)
        local pk = key(CC_KEY.QUEUE_PROFILES, q)
        return remembered(pk, profiles_of, redis.call('HGETALL', pk))
    end
end

-- call: skills (JSON), created, priority; score: its rank_score as
-- int_arg made it, when known
local function enter_ready(id, call, q, s, score)
    local needs = cjson.decode(call.skills or '[]')
    score = score or int_arg(rank_score(s, call.created, call.priority))
    for _, p in ipairs(profiles(q)) do
        if covers(p[2], needs) then
            redis.call('ZADD', ready_key(q, p[1]), score, id)
        end
    end
end

local function leave_ready(id, q)
    for _, p in ipairs(profiles(q)) do
        redis.call('ZREM', ready_key(q, p[1]), id)
    end
end

-- ready to ring once queued: its caller came (not pending) and is there
-- or left no message (parked: gone, with a message left)
local function rings(call)
    return call.state == 'queued' and not call.pending and not call.parked
end

-- The zset that bounds the wait of a waiting call of q: by its queue's
-- max_wait, or by message_wait once its caller left a message
-- (cc_expire_calls).
local function waits_in(q, call)
    return key(call.left_message and CC_KEY.QUEUE_MESSAGES
               or CC_KEY.QUEUE_ARRIVALS, q)
end

-- The calls of q's waiting zset wk ranked at or before score.  A zset of
-- up to 128 calls is a listpack, which ZCOUNT and ZRANK walk from its
-- head (30k instructions at 100 calls); a call ranked after all the
-- others (the usual: no priority) is counted by the zset's size and its
-- last score, read at its tail.
local function waiting_upto(wk, score)
    local n = redis.call('ZCARD', wk)
    if n == 0 then
        return 0
    end
    local last = redis.call('ZRANGE', wk, -1, -1, 'WITHSCORES')
    if last[2] and tonumber(last[2]) <= score then
        return n
    end
    return redis.call('ZCOUNT', wk, '-inf', int_arg(score))
end

-- id (call: queue, created, priority, skills, state, left_message) waits
-- in its queue from now on, at the rank of its arrival and priority.
-- read: call holds the call's position field too (nil when it has none),
-- so that its own isn't read again.  Its rank: at the tail, where a call
-- without priority enters, without ZRANK's walk (waiting_upto).
local function enter_queue(id, call, now, read)
    local q = call.queue
    status_queue_touch(q)
    local s = settings(q)
    local wk = key(CC_KEY.QUEUE_WAITING, q)
    local score = int_arg(rank_score(s, call.created, call.priority))
    redis.call('ZADD', waits_in(q, call), call.created, id)
    if redis.call('ZADD', wk, score, id) == 1 then
        local n = redis.call('ZCARD', wk)
        local rank = n - 1
        if redis.call('ZRANGE', wk, -1, -1)[1] ~= id then
            rank = redis.call('ZRANK', wk, id)
        end
        local ctx = {gone = {}, s = s}
        show_position(q, rank, id, now, ctx, read and call)
        -- those behind it moved by one place
        update_positions(q, now, rank + 1, ctx, n, true)
    end
    if rings(call) then
        enter_ready(id, call, q, s, score)
    end
end

-- id waits in q no more
leave_queue = function(q, id, now)
    status_queue_touch(q)
    local wk = key(CC_KEY.QUEUE_WAITING, q)
    redis.call('ZREM', key(CC_KEY.QUEUE_ARRIVALS, q), id)
    redis.call('ZREM', key(CC_KEY.QUEUE_MESSAGES, q), id)
    leave_ready(id, q)
    local rank = redis.call('ZRANK', wk, id)
    if rank then
        redis.call('ZREM', wk, id)
        update_positions(q, now, rank)
    end
end
