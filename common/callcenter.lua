#!lua name=callcenter
-- The Redis function library of callcenter (docs/DESIGN.md, "The function
-- library"). embed.sh defines the CC_* key names of cc_keys.h above.
-- Each function checks every precondition before its first write: a
-- failure (an error reply "CODE message", CODE one of BADREQ, FORBIDDEN,
-- NOTFOUND, CONFLICT, TOOMANY) writes nothing. Times are ms of Redis's
-- clock.  No function costs more than O(log n) in the calls waiting: no
-- walk of a waiting set, every sweep bounded by its `max`.  An id whose
-- call hash vanished (its keys expired) may linger in a set: it is
-- skipped and dropped there, never an error.

local AGENT_MAXLEN = 10000
local CALL_MAXLEN = 100000
local WORK_MAXLEN = 10000
local CALL_TTL = 86400            -- s an ended call's keys are kept
local CALL_LIFE_MS = 8 * 86400000 -- a live call's keys expire this long
                                  -- after it was created (> any wait)
local DEFAULT_GRACE_MS = 60000    -- to open a stream, when not given
local DEFAULT_MESSAGE_WAIT_MS = 86400000
local EXACT_POSITIONS = 10        -- shown exactly; beyond, rounded up
local CANDIDATE_WINDOW = 256      -- waiting calls cc_route_candidates reads
local TRANSFER_OFFER_MS = 20000
local DEFAULT_AHT_MS = 120000     -- handle time assumed until a call ended
local EWMA_ALPHA = 0.2
local SERVICE_LEVEL_MS = 20000    -- answered within this: in service level

-- Errors ------------------------------------------------------------------

local function fail(code, message)
    error({cc = code .. ' ' .. message}, 0)
end

-- NAME_VERSION: each version of the library has its own functions, so a
-- rolling upgrade runs old and new side by side (embed.sh, CC_VERSION)
local function register(name, body)
    redis.register_function(name .. '_' .. CC_VERSION, function(_, args)
        local ok, res = pcall(body, unpack(args))
        if ok then
            return res
        end
        if type(res) == 'table' and res.cc then
            return redis.error_reply(res.cc)
        end
        error(res, 0)
    end)
end

-- Keys, clock, JSON -------------------------------------------------------

local function key(fmt, name)
    return string.format(fmt, name)
end

local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function js(s)
    return cjson.encode(s)
end

local function jnum(n)
    return string.format('%d', n)
end

local function jlist(items)        -- items: already encoded JSON values
    return '[' .. table.concat(items, ',') .. ']'
end

local function jstrings(list)
    local items = {}
    for i, s in ipairs(list) do
        items[i] = js(s)
    end
    return jlist(items)
end

local function jobj(pairs_)        -- {name, encoded value, name, ...}
    local members = {}
    for i = 1, #pairs_, 2 do
        members[#members + 1] = js(pairs_[i]) .. ':' .. pairs_[i + 1]
    end
    return '{' .. table.concat(members, ',') .. '}'
end

local function jnullable(s)
    if s then
        return js(s)
    end
    return 'null'
end

local function hash(k)
    local flat = redis.call('HGETALL', k)
    if #flat == 0 then
        return nil
    end
    local h = {}
    for i = 1, #flat, 2 do
        h[flat[i]] = flat[i + 1]
    end
    return h
end

local function sorted_members(k)
    local m = redis.call('SMEMBERS', k)
    table.sort(m)
    return m
end

-- Events ------------------------------------------------------------------

local function emit(k, event, data, maxlen)
    local id = redis.call('XADD', k, 'MAXLEN', '~', maxlen, '*',
                          'event', event, 'data', data)
    redis.call('PUBLISH', k, id .. ' ' .. event .. ' ' .. data)
    return id
end

-- a live-only event: published, never stored ("-" where the id goes)
local function publish_live(k, event, data)
    redis.call('PUBLISH', k, '- ' .. event .. ' ' .. data)
end

local function tip(k)
    local last = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)
    return last[1] and last[1][1] or '0-0'
end

local function emit_call(id, event, data)
    return emit(key(CC_KEY_CALL_EVENTS, id), event, data, CALL_MAXLEN)
end

local function emit_agent(a, event, data)
    return emit(key(CC_KEY_AGENT_EVENTS, a), event, data, AGENT_MAXLEN)
end

local function work(q)
    redis.call('XADD', CC_KEY_WORK, 'MAXLEN', '~', WORK_MAXLEN, '*',
               'queue', q)
end

-- Every call event's data starts with this ({"call":ID, ...).
local function call_head(id)
    return '{"call":' .. js(id)
end

local function call_data(id, pairs_)
    local rest = jobj(pairs_)
    if rest == '{}' then
        return call_head(id) .. '}'
    end
    return call_head(id) .. ',' .. rest:sub(2)
end

-- Agents ------------------------------------------------------------------

local function agent_check(a)
    if redis.call('SISMEMBER', CC_KEY_AGENTS, a) == 0 then
        fail('FORBIDDEN', 'agent not configured')
    end
end

-- an open stream of the connections zset k (an agent's or a caller's)
local function connected(k, now)
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
    return redis.call('ZCARD', k) > 0
end

local function present(a, now)
    return connected(key(CC_KEY_AGENT_CONNS, a), now)
end

-- A caller is present while a stream of the call is open or closed less
-- than the grace ago (cc_caller_close scores it now+grace): read only.
local function caller_present(id, now)
    return redis.call('ZCOUNT', key(CC_KEY_CALL_CONNS, id), '(' .. now,
                      '+inf') > 0
end

-- The ids of the set k (an agent's offers or calls) whose call still
-- exists; the others (keys expired) leave the set.  O(capacity).
local function live_ids(k)
    local ids = {}
    for _, id in ipairs(redis.call('SMEMBERS', k)) do
        if redis.call('EXISTS', key(CC_KEY_CALL, id)) == 1 then
            ids[#ids + 1] = id
        else
            redis.call('SREM', k, id)
        end
    end
    return ids
end

local function held(a)
    return #live_ids(key(CC_KEY_AGENT_CALLS, a))
end

local function load(a)
    return #live_ids(key(CC_KEY_AGENT_OFFERS, a)) + held(a)
end

local function agent_queues(a)
    local q = redis.call('HGET', key(CC_KEY_AGENT, a), 'queues')
    if q then
        return cjson.decode(q)
    end
    return {}
end

local function agent_status(a)
    return redis.call('HGET', key(CC_KEY_AGENT, a), 'status')
end

-- present, available and below capacity: may take one more call
local function can_take(a, now)
    return present(a, now) and agent_status(a) == 'available'
        and load(a) < tonumber(redis.call('HGET', key(CC_KEY_AGENT, a),
                                          'capacity') or 0)
end

local function agent_json(a)
    return jobj{'id', js(a),
                'name', js(redis.call('HGET', key(CC_KEY_AGENT, a), 'name')
                           or a)}
end

-- a status event: the status, and who the agent is (the dashboard learns
-- its own profile from the first one)
local function status_data(a, status)
    local h = hash(key(CC_KEY_AGENT, a))
    return jobj{'status', js(status),
                'agent', jobj{'id', js(a), 'name', js(h.name or a),
                              'queues', h.queues or '[]',
                              'capacity', jnum(tonumber(h.capacity) or 0)}}
end

local function work_for_agent(a)
    for _, q in ipairs(agent_queues(a)) do
        work(q)
    end
end

-- A gave up a call it held: idle again when it holds none, and its freed
-- capacity may serve its queues.
local function release_agent(a, now)
    if held(a) == 0 then
        redis.call('HSET', key(CC_KEY_AGENT, a), 'idle_since', now)
    end
    work_for_agent(a)
end

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

-- Calls -------------------------------------------------------------------

local function call_get(id)
    return hash(key(CC_KEY_CALL, id))
end

-- Every key of a live call expires CALL_LIFE_MS after the call was
-- created (end_call brings it down to CALL_TTL): set on each key as it
-- comes to exist.
local function call_key_life(id, fmt, created)
    redis.call('PEXPIREAT', key(fmt, id), tonumber(created) + CALL_LIFE_MS)
end

local function offered_now(call, a, now)
    return call.state == 'offered' and call.offer_agent == a
        and tonumber(call.offer_expires) > now
end

local function ever_offered(id, a)
    return redis.call('SISMEMBER', key(CC_KEY_CALL_OFFERED, id), a) == 1
end

-- The call held (assigned, or ended while assigned) by a, else NOTFOUND.
local function held_call(a, id)
    local call = call_get(id)
    if not call or call.agent ~= a then
        live_ids(key(CC_KEY_AGENT_CALLS, a))
        fail('NOTFOUND', 'call not found')
    end
    if call.state == 'ended' then
        fail('CONFLICT', 'call has ended')
    end
    return call
end

local function offer_data(id, call, now)
    return call_data(id, {
        'queue', js(call.queue), 'caller', call.caller,
        'expires_in', jnum(math.ceil((tonumber(call.offer_expires) - now)
                                     / 1000))})
end

local function make_offer(id, call, a, timeout, now)
    call.state = 'offered'
    call.offer_agent = a
    call.offer_expires = tostring(now + timeout)
    redis.call('HSET', key(CC_KEY_CALL, id), 'state', 'offered',
               'offer_agent', a, 'offer_expires', call.offer_expires)
    redis.call('ZADD', CC_KEY_OFFERS, call.offer_expires, id)
    redis.call('SADD', key(CC_KEY_AGENT_OFFERS, a), id)
    redis.call('SADD', key(CC_KEY_CALL_OFFERED, id), a)
    call_key_life(id, CC_KEY_CALL_OFFERED, call.created)
    emit_agent(a, 'offer', offer_data(id, call, now))
end

-- Takes the offer away from its agent, telling it why; returns the agent.
local function revoke_offer(id, call, reason)
    local a = call.offer_agent
    redis.call('HDEL', key(CC_KEY_CALL, id), 'offer_agent', 'offer_expires')
    redis.call('ZREM', CC_KEY_OFFERS, id)
    redis.call('SREM', key(CC_KEY_AGENT_OFFERS, a), id)
    emit_agent(a, 'revoked', call_data(id, {'reason', js(reason)}))
    return a
end

-- The offer is gone: the call waits again in its queue (at its arrival
-- place) and the agent is declined for it.
local function requeue(id, call, reason, now)
    local a = revoke_offer(id, call, reason)
    -- offers lost, by reason: rejected, timeout, away, absent
    redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, call.queue),
               'offers_' .. reason, 1)
    redis.call('HSET', key(CC_KEY_CALL, id), 'state', 'queued')
    redis.call('SADD', key(CC_KEY_CALL_DECLINED, id), a)
    call_key_life(id, CC_KEY_CALL_DECLINED, call.created)
    enter_queue(id, call, now)
    work(call.queue)
end

local function assign(id, call, a, now)
    local q = call.queue
    redis.call('HSET', key(CC_KEY_CALL, id), 'state', 'assigned',
               'agent', a, 'assigned_at', now)
    redis.call('HDEL', key(CC_KEY_CALL, id), 'offer_agent', 'offer_expires')
    redis.call('ZREM', CC_KEY_OFFERS, id)
    redis.call('SREM', key(CC_KEY_AGENT_OFFERS, a), id)
    redis.call('SADD', key(CC_KEY_AGENT_CALLS, a), id)
    leave_queue(q, id, now)
    redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, q), 'assigned', 1)
    if now - tonumber(call.created) <= SERVICE_LEVEL_MS then
        redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, q), 'answered_in_sl', 1)
    end
    ewma(q, 'wait_ewma_ms', now - tonumber(call.created))
    local data = call_data(id, {'agent', agent_json(a)})
    emit_call(id, 'assigned', data)
    emit_agent(a, 'assigned', data)
end

local function end_call(id, call, reason, now)
    local q = call.queue
    redis.call('HSET', key(CC_KEY_CALL, id), 'state', 'ended',
               'reason', reason, 'ended_at', now)
    leave_queue(q, id, now)
    local data = call_data(id, {'reason', js(reason)})
    if call.state == 'offered' then
        work_for_agent(revoke_offer(id, call,
                                    reason == 'timeout' and 'timeout'
                                    or 'hangup'))
    elseif call.state == 'assigned' then
        redis.call('SREM', key(CC_KEY_AGENT_CALLS, call.agent), id)
        emit_agent(call.agent, 'ended', data)
        ewma(q, 'aht_ewma_ms', now - tonumber(call.assigned_at))
        release_agent(call.agent, now)
    end
    -- a call whose caller never came (pending) was never in the queue: it
    -- counts in no figure, so a link fetched by a machine moves none
    if not call.pending then
        if reason == 'abandoned' or reason == 'timeout' then
            redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, q), reason, 1)
        end
        redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, q), 'ended', 1)
    end
    emit_call(id, 'ended', data)
    redis.call('ZREM', CC_KEY_CALLERS_LEAVING, id)
    redis.call('ZREM', CC_KEY_CALLERS_STREAMS, id)
    for _, fmt in ipairs{CC_KEY_CALL, CC_KEY_CALL_EVENTS, CC_KEY_CALL_OFFERED,
                         CC_KEY_CALL_DECLINED, CC_KEY_CALL_CONNS} do
        redis.call('EXPIRE', key(fmt, id), CALL_TTL)
    end
end

-- a message event's data; an agent's names the agent (a call may have had
-- several, through transfers)
local function message_data(id, from, message, a)
    if a then
        return call_data(id, {'from', js(from), 'agent', agent_json(a),
                              'message', message})
    end
    return call_data(id, {'from', js(from), 'message', message})
end

-- A message goes to the call's stream (id ev: the id the 202 answers and
-- the transcript holds) and to the agent's stream, whose copy names ev as
-- event_id so a dashboard merging both knows it for the same message.
local function emit_message(id, a, data)
    local ev = emit_call(id, 'message', data)
    if a then
        emit_agent(a, 'message',
                   data:sub(1, -2) .. ',"event_id":' .. js(ev) .. '}')
    end
    return ev
end

-- kind `keep` (stored, published) or `live` (typing: published only, no
-- part of any history); default keep
local function message_kind(kind)
    kind = kind or 'keep'
    if kind ~= 'keep' and kind ~= 'live' then
        fail('BADREQ', 'message kind must be keep or live')
    end
    return kind
end

-- Delivers a message of the kind to the call and, when a holds it, to a:
-- the event id, for `live` the tip of the call's stream (where a resume
-- stands).
local function deliver(id, a, data, kind, q, from)
    redis.call('HINCRBY', key(CC_KEY_QUEUE_STATS, q),
               'messages_' .. from .. '_' .. kind, 1)
    if kind == 'keep' then
        return emit_message(id, a, data)
    end
    local ck = key(CC_KEY_CALL_EVENTS, id)
    publish_live(ck, 'message', data)
    if a then
        publish_live(key(CC_KEY_AGENT_EVENTS, a), 'message', data)
    end
    return tip(ck)
end

-- Caller side -------------------------------------------------------------

-- The call if token is its token; an unknown call and a wrong token fail
-- alike, after the same constant-time comparison of the SHA-1 digests.
local function caller_call(id, token)
    local call = call_get(id)
    local stored = call and call.token or string.rep('0', 40)
    local given = redis.sha1hex(token)
    local diff = #stored == #given and 0 or 1
    for i = 1, #given do
        diff = bit.bor(diff, bit.bxor(given:byte(i), stored:byte(i) or 0))
    end
    if not call or diff ~= 0 then
        fail('FORBIDDEN', 'forbidden')
    end
    return call
end

-- Only the agents file names queues (cc_agents_load): nothing a caller
-- sends grows cc:queues.  The caller must open a stream within grace_ms,
-- else cc_expire_calls ends the call abandoned: it never rang.
register('cc_call_create', function(id, token, q, caller, skills, grace)
    local now = now_ms()
    local ck = key(CC_KEY_CALL, id)
    if redis.call('SISMEMBER', CC_KEY_QUEUES, q) == 0 then
        fail('BADREQ', 'unknown queue')
    end
    if redis.call('EXISTS', ck) == 1 then
        fail('CONFLICT', 'call exists')
    end
    redis.call('HSET', ck, 'id', id, 'token', redis.sha1hex(token),
               'queue', q, 'state', 'queued', 'created', now,
               'caller', caller, 'skills', skills)
    call_key_life(id, CC_KEY_CALL, now)
    -- the call waits in its queue once its caller's first stream opens
    -- (cc_caller_open): a link nobody follows never takes a place there
    redis.call('HSET', ck, 'pending', '1')
    redis.call('ZADD', CC_KEY_CALLERS_LEAVING,
               now + (tonumber(grace) or DEFAULT_GRACE_MS), id)
    local position = redis.call('ZCARD', key(CC_KEY_QUEUE_WAITING, q)) + 1
    return {position, estimated_wait(q, position, agents_ready(q, now))}
end)

-- A stream may end without its close reaching Redis (its worker killed,
-- Redis away then): its refresh stops.  cc:callers:streams holds each
-- call by when the last refresh runs out, so that cc_expire_calls looks
-- at the call then, as it does at cc:callers:leaving.
local function streams_run_out(id, until_)
    redis.call('ZADD', CC_KEY_CALLERS_STREAMS, 'GT', until_, id)
end

-- A closed stream leaves this one member in the call's connections,
-- scored when the last grace is over: the caller stays present that long,
-- yet only open streams count against the call's limit.
local CLOSED_CONN = '~closed'

local function open_streams(ck, now)
    local n = redis.call('ZCOUNT', ck, '(' .. now, '+inf')
    local closed = tonumber(redis.call('ZSCORE', ck, CLOSED_CONN))
    if closed and closed > now then
        n = n - 1
    end
    return n
end

-- With a connection (conn, ttl ms), the caller counts as present on the
-- call until its stream is gone for the grace: a waiting call whose caller
-- left is then abandoned (cc_expire_calls).  At most max_streams (0: no
-- limit) live connections a call: so the zset stays that small.
register('cc_caller_open', function(id, token, conn, ttl, max_streams)
    local call = caller_call(id, token)
    if conn and call.state ~= 'ended' then
        local ck = key(CC_KEY_CALL_CONNS, id)
        local now = now_ms()
        local max = tonumber(max_streams) or 0
        if max > 0 and open_streams(ck, now) >= max then
            fail('TOOMANY', 'too many streams')
        end
        redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
        redis.call('ZADD', ck, now + tonumber(ttl), conn)
        call_key_life(id, CC_KEY_CALL_CONNS, call.created)
        redis.call('ZREM', CC_KEY_CALLERS_LEAVING, id)
        streams_run_out(id, now + tonumber(ttl))
        if call.pending then
            redis.call('HDEL', key(CC_KEY_CALL, id), 'pending')
            enter_queue(id, call, now)
            call_key_life(id, CC_KEY_CALL_EVENTS, call.created)
            work(call.queue)
        end
    end
    return key(CC_KEY_CALL_EVENTS, id)
end)

-- state and created of a call that is not over, else nil (ended or
-- vanished: nothing to refresh)
local function live_call(id)
    local f = redis.call('HMGET', key(CC_KEY_CALL, id), 'state', 'created')
    if f[1] and f[1] ~= 'ended' then
        return f[2]
    end
end

register('cc_caller_presence', function(ttl, id, conn)
    local created = live_call(id)
    if created then
        local until_ = now_ms() + tonumber(ttl)
        redis.call('ZADD', key(CC_KEY_CALL_CONNS, id), until_, conn)
        call_key_life(id, CC_KEY_CALL_CONNS, created)
        redis.call('ZREM', CC_KEY_CALLERS_LEAVING, id)
        streams_run_out(id, until_)
    end
    return redis.status_reply('OK')
end)

register('cc_caller_close', function(id, conn, grace)
    local until_ = now_ms() + tonumber(grace)
    local created = live_call(id)
    local ck = key(CC_KEY_CALL_CONNS, id)
    if created and redis.call('ZREM', ck, conn) == 1 then
        redis.call('ZADD', ck, 'GT', until_, CLOSED_CONN)
        call_key_life(id, CC_KEY_CALL_CONNS, created)
        redis.call('ZADD', CC_KEY_CALLERS_LEAVING, until_, id)
    end
    return redis.status_reply('OK')
end)

-- bytes a kept message costs beyond its own JSON: the call's stream entry
-- (id, field names, the {"call":...,"from":...} around it), about 100 bytes
-- a message by MEMORY USAGE of a stream of small ones
local KEPT_OVERHEAD = 96

-- A caller's message may go now: the call's token bucket (fields bucket,
-- in thousandths of a message, and bucket_at) refills at rate (messages
-- per second x 1000) up to burst messages; both kinds count.  budget:
-- bytes of kept messages a call may store (field kept_bytes).  rate or
-- budget 0: no such limit.  Returns the fields to write, or fails.
local function message_quota(call, message, kind, rate, burst, budget, now)
    local fields = {}
    rate, burst, budget = tonumber(rate) or 0, tonumber(burst) or 0,
        tonumber(budget) or 0
    if rate > 0 then
        local full = burst * 1000
        local level = math.min(full, (tonumber(call.bucket) or full)
            + math.floor((now - (tonumber(call.bucket_at) or now)) * rate
                         / 1000))
        if level < 1000 then
            fail('TOOMANY', 'too many messages')
        end
        fields = {'bucket', level - 1000, 'bucket_at', now}
    end
    if kind == 'keep' then
        -- what Redis keeps: the message, the event around it, the entry
        local kept = (tonumber(call.kept_bytes) or 0) + #message
            + KEPT_OVERHEAD
        if budget > 0 and kept > budget then
            fail('TOOMANY', 'too many messages')
        end
        fields[#fields + 1] = 'kept_bytes'
        fields[#fields + 1] = kept
    end
    return fields
end

register('cc_caller_message', function(id, token, message, kind, rate,
                                       burst, budget)
    local call = caller_call(id, token)
    kind = message_kind(kind)
    if call.state == 'ended' then
        fail('CONFLICT', 'call has ended')
    end
    local now = now_ms()
    local ck = key(CC_KEY_CALL, id)
    local fields = message_quota(call, message, kind, rate, burst, budget,
                                 now)
    if #fields > 0 then
        redis.call('HSET', ck, unpack(fields))
    end
    local ev = deliver(id, call.state == 'assigned' and call.agent,
                       message_data(id, 'caller', message), kind,
                       call.queue, 'caller')
    if kind == 'keep' and call.state ~= 'assigned' and not call.left_message
    then
        -- a message left while waiting: the call waits message_wait, even
        -- with its caller gone
        -- (a pending call too: its caller never came, yet left a word)
        redis.call('HSET', ck, 'left_message', ev)
        -- a pending call's stream begins here, not in cc_caller_open
        call_key_life(id, CC_KEY_CALL_EVENTS, call.created)
        redis.call('ZREM', CC_KEY_CALLS_WAITING, id)
        redis.call('ZADD', CC_KEY_CALLS_MESSAGES, call.created, id)
    end
    return ev
end)

register('cc_caller_hangup', function(id, token)
    local call = caller_call(id, token)
    if call.state == 'ended' then
        return call.reason
    end
    local reason = call.state == 'assigned' and 'hangup' or 'abandoned'
    end_call(id, call, reason, now_ms())
    return reason
end)

-- Agent side --------------------------------------------------------------

local function by_field(calls, field)
    table.sort(calls, function(x, y)
        return (tonumber(x[field]) or 0) < (tonumber(y[field]) or 0)
    end)
    return calls
end

local function agent_calls(a, set_fmt)
    local calls = {}
    for _, id in ipairs(live_ids(key(set_fmt, a))) do
        calls[#calls + 1] = call_get(id)
    end
    return calls
end

-- Stream ids "MS-SEQ" of any size (a client's may be past 2^53): <0, 0, >0.
local function id_cmp(x, y)
    local xm, xs = x:match('^0*(%d-)%-0*(%d-)$')
    local ym, ys = y:match('^0*(%d-)%-0*(%d-)$')
    for _, p in ipairs{{xm, ym}, {xs, ys}} do
        if #p[1] ~= #p[2] then
            return #p[1] < #p[2] and -1 or 1
        end
        if p[1] ~= p[2] then
            return p[1] < p[2] and -1 or 1
        end
    end
    return 0
end

-- the ms part of a stream id, as XRANGE reads it (no leading zeros)
local function id_ms(id)
    local ms = id:match('^0*(%d-)%-')
    return ms == '' and '0' or ms
end

-- The tip of stream k ('0-0' when it has none) and whether entries after
-- `after` may be gone from it: trimmed (its first entry is after `after`:
-- XTRIM and MAXLEN leave max-deleted-entry-id alone), deleted
-- (max-deleted-entry-id), or a resume point the stream never had (lost).
local function stream_tip(k, after)
    if redis.call('EXISTS', k) == 0 then
        return '0-0', after ~= nil and after:match('^0*%-0*$') == nil
    end
    local info = redis.call('XINFO', 'STREAM', k)
    local f = {}
    for i = 1, #info, 2 do
        f[info[i]] = info[i + 1]
    end
    local tip = f['last-generated-id']
    if after == nil then
        return tip, false
    end
    local first = f['first-entry'] and f['first-entry'][1] or tip
    return tip, id_cmp(after, tip) > 0
                or (id_cmp(after, tip) < 0 and id_cmp(first, after) > 0)
                or id_cmp(f['max-deleted-entry-id'], after) > 0
end

-- A resume over a gap: at most this many entries of each held call's
-- stream (its messages since the resume point's time) are sent again; the
-- transcript (cc_agent_call) holds the rest.
local RESUME_ENTRIES = 1000

-- last_id empty: a fresh stream, from the tip with the snapshot (status,
-- offers, held calls).  Else a resume: from last_id with no events, or,
-- when the agent stream lost entries after it, from the tip with the
-- snapshot and every message of each held call since last_id's time (from
-- the call's own stream, with its event_id), so that nothing is lost.
register('cc_agent_open', function(a, conn, ttl, last_id)
    agent_check(a)
    local resume = last_id ~= nil and last_id ~= ''
    if resume and not last_id:match('^%d+%-%d+$') then
        fail('BADREQ', 'malformed last event id')
    end
    local now = now_ms()
    local was = present(a, now)
    redis.call('ZADD', key(CC_KEY_AGENT_CONNS, a), now + tonumber(ttl), conn)
    local status = agent_status(a)
    if not was and status == 'available' then
        work_for_agent(a)
    end
    local ek = key(CC_KEY_AGENT_EVENTS, a)
    local tip, gap = stream_tip(ek, resume and last_id or nil)
    if resume and not gap then
        return {ek, last_id}
    end
    local out = {ek, tip}
    local function add(event, data)
        out[#out + 1] = event
        out[#out + 1] = data
    end
    add('status', status_data(a, status))
    for _, call in ipairs(by_field(agent_calls(a, CC_KEY_AGENT_OFFERS),
                                   'offer_expires')) do
        if offered_now(call, a, now) then
            add('offer', offer_data(call.id, call, now))
        end
    end
    for _, call in ipairs(by_field(agent_calls(a, CC_KEY_AGENT_CALLS),
                                   'assigned_at')) do
        add('assigned', call_data(call.id, {'agent', agent_json(a)}))
        if resume then
            for _, e in ipairs(redis.call('XRANGE',
                                          key(CC_KEY_CALL_EVENTS, call.id),
                                          id_ms(last_id), '+',
                                          'COUNT', RESUME_ENTRIES)) do
                local f = e[2]
                if f[2] == 'message' then
                    add('message', f[4]:sub(1, -2) .. ',"event_id":'
                                   .. js(e[1]) .. '}')
                end
            end
        end
    end
    return out
end)

-- Adds as well as refreshes: a Redis that restarted empty learns again
-- which agents are connected.  Only open streams are refreshed, and a
-- worker's refresh and close travel in order on one link.
register('cc_agent_presence', function(ttl, ...)
    local until_ = now_ms() + tonumber(ttl)
    local conns = {...}
    for i = 1, #conns, 2 do
        redis.call('ZADD', key(CC_KEY_AGENT_CONNS, conns[i]), until_,
                   conns[i + 1])
    end
    return redis.status_reply('OK')
end)

register('cc_agent_close', function(a, conn, grace)
    redis.call('ZADD', key(CC_KEY_AGENT_CONNS, a), 'XX',
               now_ms() + tonumber(grace), conn)
    return redis.status_reply('OK')
end)

register('cc_agent_status', function(a, status)
    if status ~= 'available' and status ~= 'away' then
        fail('BADREQ', 'status must be available or away')
    end
    agent_check(a)
    local now = now_ms()
    local ak = key(CC_KEY_AGENT, a)
    local before = redis.call('HGET', ak, 'status')
    redis.call('HSET', ak, 'status', status)
    emit_agent(a, 'status', status_data(a, status))
    if status == 'available' then
        if before ~= 'available'
            and redis.call('SCARD', key(CC_KEY_AGENT_CALLS, a)) == 0 then
            redis.call('HSET', ak, 'idle_since', now)
        end
        work_for_agent(a)
    else
        for _, call in ipairs(agent_calls(a, CC_KEY_AGENT_OFFERS)) do
            if call.state == 'offered' and call.offer_agent == a then
                requeue(call.id, call, 'away', now)
            end
        end
    end
    return redis.status_reply('OK')
end)

-- The call offered to a now; NOTFOUND if it never was, CONFLICT if no more.
local function offered_call(a, id, now)
    local call = call_get(id)
    if not call or not ever_offered(id, a) then
        fail('NOTFOUND', 'call not found')
    end
    if offered_now(call, a, now) then
        return call, true
    end
    return call, false
end

register('cc_agent_accept', function(a, id)
    agent_check(a)
    local now = now_ms()
    local call, offered = offered_call(a, id, now)
    if offered then
        assign(id, call, a, now)
    elseif call.state ~= 'assigned' or call.agent ~= a then
        fail('CONFLICT', 'offer expired or taken')
    end
    return redis.status_reply('OK')
end)

register('cc_agent_reject', function(a, id)
    agent_check(a)
    local now = now_ms()
    local call, offered = offered_call(a, id, now)
    if not offered then
        fail('CONFLICT', 'offer expired or taken')
    end
    requeue(id, call, 'rejected', now)
    return redis.status_reply('OK')
end)

register('cc_agent_message', function(a, id, message, kind)
    agent_check(a)
    kind = message_kind(kind)
    local call = call_get(id)
    if call and call.agent ~= a and offered_now(call, a, now_ms()) then
        fail('CONFLICT', 'call is not yours yet')
    end
    call = held_call(a, id)
    return deliver(id, a, message_data(id, 'agent', message, a), kind,
                   call.queue, 'agent')
end)

register('cc_agent_transfer', function(a, id, kind, target)
    agent_check(a)
    if kind ~= 'queue' and kind ~= 'agent' then
        fail('BADREQ', 'transfer to a queue or an agent')
    end
    local call = held_call(a, id)
    local now = now_ms()
    local to
    if kind == 'agent' then
        if target == a then
            fail('BADREQ', 'cannot transfer to yourself')
        end
        if redis.call('SISMEMBER', CC_KEY_AGENTS, target) == 0 then
            fail('BADREQ', 'unknown agent')
        end
        if not can_take(target, now) then
            fail('CONFLICT', 'agent not available')
        end
        to = jobj{'agent', agent_json(target)}
    else
        if redis.call('SISMEMBER', CC_KEY_QUEUES, target) == 0 then
            fail('BADREQ', 'unknown queue')
        end
        to = jobj{'queue', js(target)}
    end
    local ck = key(CC_KEY_CALL, id)
    redis.call('HDEL', ck, 'agent', 'assigned_at', 'position')
    redis.call('SREM', key(CC_KEY_AGENT_CALLS, a), id)
    local data = call_data(id, {'to', to})
    emit_call(id, 'transferred', data)
    emit_agent(a, 'transferred', data)
    if kind == 'agent' then
        make_offer(id, call, target, TRANSFER_OFFER_MS, now)
    else
        redis.call('HSET', ck, 'state', 'queued', 'queue', target)
        redis.call('DEL', key(CC_KEY_CALL_DECLINED, id))
        call.queue = target
        enter_queue(id, call, now)
        work(target)
    end
    release_agent(a, now)
    return redis.status_reply('OK')
end)

register('cc_agent_end', function(a, id)
    agent_check(a)
    end_call(id, held_call(a, id), 'agent_end', now_ms())
    return redis.status_reply('OK')
end)

-- Only for the agent it is offered to now or held by (or ended with):
-- an offer gone elsewhere, or a call transferred away, is not theirs.
register('cc_agent_call', function(a, id)
    agent_check(a)
    local call = call_get(id)
    if not call or (call.agent ~= a and not offered_now(call, a, now_ms()))
    then
        fail('NOTFOUND', 'call not found')
    end
    -- a message's data is {"call":ID,"from":...}: its transcript entry
    -- swaps the head for the event id, keeping the message as it came
    local head = #call_head(id)
    local transcript = {}
    for _, e in ipairs(redis.call('XRANGE', key(CC_KEY_CALL_EVENTS, id),
                                  '-', '+')) do
        local f = e[2]
        if f[2] == 'message' then
            transcript[#transcript + 1] = '{"id":' .. js(e[1])
                .. f[4]:sub(head + 1)
        end
    end
    return jobj{'call', js(id), 'queue', js(call.queue),
                'state', js(call.state), 'created', call.created,
                'caller', call.caller, 'agent', jnullable(call.agent),
                'assigned_at', call.assigned_at or 'null',
                'ended_at', call.ended_at or 'null',
                'reason', jnullable(call.reason),
                'transcript', jlist(transcript)}
end)

-- Status ------------------------------------------------------------------

local OUTCOMES = {'assigned', 'abandoned', 'ended'}
local AGENT_STATES = {'available', 'busy', 'away', 'offline'}
local AGENT_UP = {'available', 'away', 'offline'}
local OFFERS_LOST = {'rejected', 'timeout', 'away', 'absent'}
local MESSAGES = {{'caller', 'keep'}, {'caller', 'live'}, {'agent', 'keep'},
                  {'agent', 'live'}}

local function agent_figures(a, now)
    local h = hash(key(CC_KEY_AGENT, a)) or {}
    local f = {
        name = h.name or a, capacity = tonumber(h.capacity or 0),
        status = h.status or 'away', present = present(a, now),
        calls = held(a),
        offers = #live_ids(key(CC_KEY_AGENT_OFFERS, a)),
        queues = h.queues and cjson.decode(h.queues) or {},
    }
    if not f.present then
        f.status = 'offline'
    end
    f.states = {
        available = f.status == 'available'
            and f.calls + f.offers < f.capacity,
        busy = f.present and f.calls > 0,
        away = f.status == 'away',
        offline = not f.present,
    }
    return f
end

local function queue_figures(q, agents, now)
    local wk = key(CC_KEY_QUEUE_WAITING, q)
    local oldest = redis.call('ZRANGE', wk, 0, 0, 'WITHSCORES')
    local f = {
        waiting = redis.call('ZCARD', wk),
        longest_wait = oldest[2]
            and math.floor((now - tonumber(oldest[2])) / 1000) or 0,
        agents = {available = 0, busy = 0, away = 0, offline = 0},
    }
    for _, o in ipairs(OUTCOMES) do
        f[o] = stat(q, o)
    end
    f.answered_in_sl = stat(q, 'answered_in_sl')
    f.timed_out = stat(q, 'timeout')
    f.offers_lost = {}
    for _, r in ipairs(OFFERS_LOST) do
        f.offers_lost[r] = stat(q, 'offers_' .. r)
    end
    f.messages = {}
    for _, m in ipairs(MESSAGES) do
        local field = 'messages_' .. m[1] .. '_' .. m[2]
        f.messages[field] = stat(q, field)
    end
    -- percent of the calls that left the queue answered in time
    if f.assigned + f.abandoned > 0 then
        f.service_level = math.floor(100 * f.answered_in_sl
                                     / (f.assigned + f.abandoned) + 0.5)
    end
    for _, a in ipairs(redis.call('SMEMBERS', key(CC_KEY_QUEUE_AGENTS, q))) do
        for state, yes in pairs(agents[a].states) do
            if yes then
                f.agents[state] = f.agents[state] + 1
            end
        end
    end
    return f
end

local function status_json(now, queues, qf, agents, af)
    local qs, as = {}, {}
    for _, q in ipairs(queues) do
        local f = qf[q]
        qs[#qs + 1] = q
        qs[#qs + 1] = jobj{
            'waiting', jnum(f.waiting), 'longest_wait', jnum(f.longest_wait),
            'agents_available', jnum(f.agents.available),
            'agents_busy', jnum(f.agents.busy),
            'agents_away', jnum(f.agents.away),
            'agents_offline', jnum(f.agents.offline),
            'assigned', jnum(f.assigned), 'abandoned', jnum(f.abandoned),
            'ended', jnum(f.ended),
            'service_level', f.service_level and jnum(f.service_level)
                or 'null',
            'service_level_seconds', jnum(SERVICE_LEVEL_MS / 1000),
            'timed_out', jnum(f.timed_out),
            'offers_rejected', jnum(f.offers_lost.rejected),
            'offers_timed_out', jnum(f.offers_lost.timeout),
            'offers_away', jnum(f.offers_lost.away),
            'offers_absent', jnum(f.offers_lost.absent),
            'messages_caller_keep', jnum(f.messages.messages_caller_keep),
            'messages_caller_live', jnum(f.messages.messages_caller_live),
            'messages_agent_keep', jnum(f.messages.messages_agent_keep),
            'messages_agent_live', jnum(f.messages.messages_agent_live)}
    end
    for _, a in ipairs(agents) do
        local f = af[a]
        as[#as + 1] = a
        as[#as + 1] = jobj{
            'name', js(f.name), 'status', js(f.status),
            'calls', jnum(f.calls), 'offers', jnum(f.offers),
            'queues', jstrings(f.queues), 'capacity', jnum(f.capacity)}
    end
    return jobj{'time', jnum(now), 'queues', jobj(qs), 'agents', jobj(as)}
end

local function status_prometheus(queues, qf, agents, af)
    local out = {}
    local function metric(name, kind, help)
        out[#out + 1] = '# HELP ' .. name .. ' ' .. help
        out[#out + 1] = '# TYPE ' .. name .. ' ' .. kind
    end
    -- value: a count, or a string already formatted (a ratio)
    local function sample(name, labels, value)
        out[#out + 1] = name .. '{' .. labels .. '} '
            .. (type(value) == 'string' and value or jnum(value))
    end
    -- one sample per subject: label="subject"
    local function each(name, label, subjects, value_of)
        for _, s in ipairs(subjects) do
            sample(name, label .. '="' .. s .. '"', value_of(s))
        end
    end
    -- one sample per subject and value: label="subject",label2="value"
    local function grid(name, label, subjects, label2, values, value_of)
        for _, s in ipairs(subjects) do
            for _, v in ipairs(values) do
                sample(name, label .. '="' .. s .. '",' .. label2 .. '="'
                       .. v .. '"', value_of(s, v))
            end
        end
    end
    metric('callcenter_queue_waiting', 'gauge', 'Calls waiting in the queue.')
    each('callcenter_queue_waiting', 'queue', queues,
         function(q) return qf[q].waiting end)
    metric('callcenter_queue_longest_wait_seconds', 'gauge',
           'Wait of the oldest call waiting in the queue.')
    each('callcenter_queue_longest_wait_seconds', 'queue', queues,
         function(q) return qf[q].longest_wait end)
    metric('callcenter_queue_agents', 'gauge',
           'Agents of the queue by state.')
    grid('callcenter_queue_agents', 'queue', queues, 'state', AGENT_STATES,
         function(q, s) return qf[q].agents[s] end)
    metric('callcenter_queue_calls_total', 'counter',
           'Calls of the queue by outcome.')
    grid('callcenter_queue_calls_total', 'queue', queues, 'outcome',
         OUTCOMES, function(q, o) return qf[q][o] end)
    metric('callcenter_queue_answered_in_service_level_total', 'counter',
           'Calls of the queue answered within the service level time.')
    each('callcenter_queue_answered_in_service_level_total', 'queue', queues,
         function(q) return qf[q].answered_in_sl end)
    metric('callcenter_queue_calls_timed_out_total', 'counter',
           'Calls of the queue ended for waiting too long.')
    each('callcenter_queue_calls_timed_out_total', 'queue', queues,
         function(q) return qf[q].timed_out end)
    metric('callcenter_queue_service_level_ratio', 'gauge',
           'Share of the calls that left the queue answered within the '
           .. 'service level time (none before the first).')
    for _, q in ipairs(queues) do
        if qf[q].service_level then
            sample('callcenter_queue_service_level_ratio',
                   'queue="' .. q .. '"', string.format('%.4f',
                   qf[q].answered_in_sl
                   / (qf[q].assigned + qf[q].abandoned)))
        end
    end
    metric('callcenter_queue_offers_lost_total', 'counter',
           'Offers of the queue that went back to the queue, by reason.')
    grid('callcenter_queue_offers_lost_total', 'queue', queues, 'reason',
         OFFERS_LOST, function(q, r) return qf[q].offers_lost[r] end)
    metric('callcenter_queue_messages_total', 'counter',
           'Messages accepted in calls of the queue, by sender and kind.')
    for _, q in ipairs(queues) do
        for _, m in ipairs(MESSAGES) do
            sample('callcenter_queue_messages_total', 'queue="' .. q
                   .. '",from="' .. m[1] .. '",kind="' .. m[2] .. '"',
                   qf[q].messages['messages_' .. m[1] .. '_' .. m[2]])
        end
    end
    metric('callcenter_agent_calls', 'gauge', 'Calls the agent holds.')
    each('callcenter_agent_calls', 'agent', agents,
         function(a) return af[a].calls end)
    metric('callcenter_agent_up', 'gauge',
           '1 for the status the agent is in, 0 for the others.')
    grid('callcenter_agent_up', 'agent', agents, 'status', AGENT_UP,
         function(a, s) return af[a].status == s and 1 or 0 end)
    return table.concat(out, '\n') .. '\n'
end

register('cc_status', function(fmt)
    if fmt ~= 'json' and fmt ~= 'prometheus' then
        fail('BADREQ', 'format must be json or prometheus')
    end
    local now = now_ms()
    local agents, af = sorted_members(CC_KEY_AGENTS), {}
    local queues, qf = sorted_members(CC_KEY_QUEUES), {}
    for _, a in ipairs(agents) do
        af[a] = agent_figures(a, now)
    end
    for _, q in ipairs(queues) do
        qf[q] = queue_figures(q, af, now)
    end
    if fmt == 'json' then
        return status_json(now, queues, qf, agents, af)
    end
    return status_prometheus(queues, qf, agents, af)
end)

-- Routers -----------------------------------------------------------------

local function set_of(list)
    local s = {}
    for _, v in ipairs(list) do
        s[v] = true
    end
    return s
end

-- cc:queues becomes exactly the queues the agents name: the only way a
-- queue is known (a call to any other one is refused).
register('cc_agents_load', function(json)
    local now = now_ms()
    local listed, named = {}, {}
    for _, p in ipairs(cjson.decode(json)) do
        local ak = key(CC_KEY_AGENT, p.id)
        local keep = set_of(p.queues)
        for _, q in ipairs(agent_queues(p.id)) do
            if not keep[q] then
                redis.call('SREM', key(CC_KEY_QUEUE_AGENTS, q), p.id)
            end
        end
        redis.call('HSET', ak, 'id', p.id, 'name', p.name,
                   'capacity', p.capacity, 'queues', jstrings(p.queues),
                   'skills', jstrings(p.skills))
        redis.call('HSETNX', ak, 'status', 'away')
        redis.call('HSETNX', ak, 'idle_since', now)
        for _, q in ipairs(p.queues) do
            redis.call('SADD', key(CC_KEY_QUEUE_AGENTS, q), p.id)
            redis.call('SADD', CC_KEY_QUEUES, q)
            named[q] = true
        end
        redis.call('SADD', CC_KEY_AGENTS, p.id)
        listed[p.id] = true
    end
    local count = 0
    for _, a in ipairs(redis.call('SMEMBERS', CC_KEY_AGENTS)) do
        if listed[a] then
            count = count + 1
        else
            redis.call('SREM', CC_KEY_AGENTS, a)
            for _, q in ipairs(agent_queues(a)) do
                redis.call('SREM', key(CC_KEY_QUEUE_AGENTS, q), a)
            end
        end
    end
    for _, q in ipairs(redis.call('SMEMBERS', CC_KEY_QUEUES)) do
        if not named[q] then
            redis.call('SREM', CC_KEY_QUEUES, q)
        end
    end
    return count
end)

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

-- Waiting calls that one of the free agents can take, oldest first, among
-- the first CANDIDATE_WINDOW of the queue (a call nobody has the skills
-- for, or whose caller is not present, does not hold up the calls behind
-- it), and the free agents.
register('cc_route_candidates', function(q, max)
    local now = now_ms()
    max = tonumber(max)
    local agents, skills = {}, {}
    for _, a in ipairs(sorted_members(key(CC_KEY_QUEUE_AGENTS, q))) do
        if can_take(a, now) then
            local h = hash(key(CC_KEY_AGENT, a))
            agents[#agents + 1] = jobj{
                'id', js(a), 'load', jnum(load(a)),
                'capacity', jnum(h.capacity), 'idle_since', h.idle_since,
                'skills', h.skills}
            skills[#skills + 1] = set_of(cjson.decode(h.skills))
        end
    end
    local calls, gone = {}, {}
    if #agents > 0 then
        for _, id in ipairs(redis.call('ZRANGE',
                                       key(CC_KEY_QUEUE_WAITING, q), 0,
                                       CANDIDATE_WINDOW - 1)) do
            if #calls >= max then
                break
            end
            -- the fields routing needs, not the caller's details (up to
            -- callcenter_body_max each): a window of them costs little
            local f = redis.call('HMGET', key(CC_KEY_CALL, id), 'state',
                                 'skills', 'created')
            local call = {state = f[1], skills = f[2], created = f[3]}
            if not call.state then
                gone[#gone + 1] = id
            elseif call.state == 'queued' and caller_present(id, now) then
                local needs = cjson.decode(call.skills)
                local takers = false
                for _, has in ipairs(skills) do
                    takers = takers or covers(has, needs)
                end
                if takers then
                    calls[#calls + 1] = jobj{
                        'id', js(id), 'skills', call.skills,
                        'declined',
                        jstrings(sorted_members(key(CC_KEY_CALL_DECLINED,
                                                    id))),
                        'created', call.created}
                end
            end
        end
    end
    for _, id in ipairs(gone) do
        leave_queue(q, id, now)
    end
    return jobj{'now', jnum(now), 'calls', jlist(calls),
                'agents', jlist(agents)}
end)

register('cc_offer', function(id, a, timeout)
    local now = now_ms()
    local call = call_get(id)
    if not call or call.state ~= 'queued'
        or not redis.call('ZSCORE', key(CC_KEY_QUEUE_WAITING, call.queue),
                          id) then
        fail('CONFLICT', 'call not waiting')
    end
    if not caller_present(id, now) then
        fail('CONFLICT', 'caller not present')
    end
    if redis.call('SISMEMBER', key(CC_KEY_QUEUE_AGENTS, call.queue), a)
        == 0 then
        fail('CONFLICT', 'agent not in queue')
    end
    if not can_take(a, now) then
        fail('CONFLICT', 'agent not available')
    end
    if not covers(set_of(cjson.decode(
                      redis.call('HGET', key(CC_KEY_AGENT, a), 'skills'))),
                  cjson.decode(call.skills)) then
        fail('CONFLICT', 'agent lacks skill')
    end
    make_offer(id, call, a, tonumber(timeout), now)
    return redis.status_reply('OK')
end)

-- Withdraws offers that are over: {call, agent, queue, reason} each.
register('cc_expire_offers', function(max)
    local now = now_ms()
    local withdrawn = {}
    local offers = redis.call('ZRANGE', CC_KEY_OFFERS, 0, tonumber(max) - 1,
                              'WITHSCORES')
    for i = 1, #offers, 2 do
        local call = call_get(offers[i])
        local a = call and call.state == 'offered' and call.offer_agent
        local reason
        if not a then
            redis.call('ZREM', CC_KEY_OFFERS, offers[i])   -- vanished
        elseif tonumber(offers[i + 1]) <= now then
            reason = 'timeout'
        elseif agent_status(a) == 'away' then
            reason = 'away'
        elseif not present(a, now) then
            reason = 'absent'
        end
        if reason then
            requeue(offers[i], call, reason, now)
            withdrawn[#withdrawn + 1] = {offers[i], a, call.queue, reason}
        end
    end
    return withdrawn
end)

local function waiting(call)
    return call and (call.state == 'queued' or call.state == 'offered')
end

-- Ends the waiting calls that are over, at most max: {call, queue, waited
-- ms, reason} each.  Reason abandoned: the caller's streams are gone for
-- their grace, or it never opened one within the grace cc_call_create
-- gave.  Reason timeout: the call waited (since it arrived) longer than
-- max_wait ms (0: no limit) or, when its caller left a message (which
-- keeps it from being abandoned), longer than message_wait ms.  Each zset
-- read is by score with LIMIT: O(log n + max).
register('cc_expire_calls', function(max_wait, max, message_wait)
    local now = now_ms()
    local ended = {}
    max = tonumber(max)
    max_wait = tonumber(max_wait)
    message_wait = tonumber(message_wait) or DEFAULT_MESSAGE_WAIT_MS
    local function over(id, call, reason)
        end_call(id, call, reason, now)
        ended[#ended + 1] = {id, call.queue,
                             jnum(now - tonumber(call.created)), reason}
    end
    -- a caller still present (another stream, a closed one's grace) is
    -- looked at again when its last connection runs out
    local function gone(k)
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', k, '-inf', now,
                                       'LIMIT', 0, max - #ended)) do
            redis.call('ZREM', k, id)
            local call = call_get(id)
            if waiting(call) and not call.left_message then
                if not caller_present(id, now) then
                    over(id, call, 'abandoned')
                elseif k == CC_KEY_CALLERS_STREAMS then
                    streams_run_out(id, redis.call('ZRANGE',
                        key(CC_KEY_CALL_CONNS, id), -1, -1, 'WITHSCORES')[2])
                end
            end
        end
    end
    gone(CC_KEY_CALLERS_LEAVING)
    if #ended < max then
        gone(CC_KEY_CALLERS_STREAMS)
    end
    local function sweep(k, wait)
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', k, '-inf',
                                       now - wait, 'LIMIT', 0,
                                       max - #ended)) do
            local call = call_get(id)
            if waiting(call) then
                over(id, call, 'timeout')
            else
                redis.call('ZREM', k, id)                -- vanished
            end
        end
    end
    if max_wait > 0 and #ended < max then
        sweep(CC_KEY_CALLS_WAITING, max_wait)
    end
    if #ended < max then
        sweep(CC_KEY_CALLS_MESSAGES, message_wait)
    end
    return ended
end)

register('cc_active_queues', function()
    local active = {}
    for _, q in ipairs(sorted_members(CC_KEY_QUEUES)) do
        if redis.call('ZCARD', key(CC_KEY_QUEUE_WAITING, q)) > 0 then
            active[#active + 1] = q
        end
    end
    return active
end)
