-- Caller side -------------------------------------------------------------

-- The call if token is its token; an unknown call and a wrong token fail
-- alike, after the same comparison of SHA-1 digests (Lua strings are
-- interned: == compares two pointers, whatever the bytes).  fields: the
-- call's fields the function reads, token first (CALL_FIELDS: the
-- caller's details may be up to a body's size and are no business here,
-- and each field read costs); all a caller function may need by default.
CALL_FIELDS.caller = {'token', 'id', 'queue', 'state', 'created', 'skills',
    'priority', 'agent', 'assigned_at', 'offer_agent', 'offer_expires',
    'reason', 'pending', 'parked', 'left_message', 'bucket', 'bucket_at',
    'kept_bytes'}
-- cc_caller_open: enter_queue's (its position too: not read again) and
-- rings()' fields
CALL_FIELDS.open = {'token', 'queue', 'state', 'created', 'skills',
    'priority', 'pending', 'parked', 'left_message', 'position'}

local function caller_call(id, token, fields)
    local call = hash_fields(key(CC_KEY.CALL, id),
                             fields or CALL_FIELDS.caller)
    local given = redis.sha1hex(token)
    if not call or call.token ~= given then
        fail('FORBIDDEN', 'forbidden')
    end
    return call
end

-- Only the agents file names queues (cc_agents_load): nothing a caller
-- sends grows cc:queues.  The caller must open a stream within grace_ms,
-- else cc_expire_calls ends the call abandoned: it never rang.
-- priority: the call's own (callcenter_priority), "" or 0..100; customer:
-- who the caller is for sticky routing ("" unknown), kept as its SHA-1.
-- seen: what the calls of one batch made at the same ms share, each read
-- once (by queue: known, its settings and staffing; by queue and rank:
-- the calls waiting before); leaving: the ZADD arguments of the batch's
-- calls in cc:callers:leaving, added once they are all made.
local function call_create(now, seen, leaving, id, token, q, caller, skills,
                           grace, priority, customer)
    local ck = key(CC_KEY.CALL, id)
    local known = seen[q]
    if known == nil then
        known = redis.call('SISMEMBER', CC_KEY.QUEUES, q) == 1 and {}
        seen[q] = known
    end
    if not known then
        fail('BADREQ', 'unknown queue')
    end
    priority = priority or ''
    if priority ~= '' and not (priority:match('^%d%d?%d?$')
                               and tonumber(priority) <= 100) then
        fail('BADREQ', 'priority must be an integer 0 to 100')
    end
    customer = customer or ''
    if #customer > 300 then
        fail('BADREQ', 'customer too long')
    end
    if redis.call('EXISTS', ck) == 1 then
        fail('CONFLICT', 'call exists')
    end
    priority = tonumber(priority) or 0
    -- one HSET: pending, since the call waits in its queue once its
    -- caller's first stream opens (cc_caller_open): a link nobody follows
    -- never takes a place there.  Numbers as text (int_arg).
    local fields = {'id', id, 'token', redis.sha1hex(token), 'queue', q,
        'state', 'queued', 'created', jnum(now), 'caller', caller,
        'skills', skills, 'priority', count_text(priority),
        'pending', '1'}
    if customer ~= '' then
        local who = redis.sha1hex(customer)
        local last = redis.call('HGET', key(CC_KEY.CUSTOMER, who), 'agent')
        fields[#fields + 1] = 'customer'
        fields[#fields + 1] = who
        if last then
            fields[#fields + 1] = 'sticky_agent'
            fields[#fields + 1] = last
        end
    end
    redis.call('HSET', ck, unpack(fields))
    call_key_life(id, CC_KEY.CALL, now)
    leaving[#leaving + 1] = int_arg(now + (arg_number(grace)
                                           or DEFAULT_GRACE_MS))
    leaving[#leaving + 1] = id
    if not known.s then
        known.s = settings(q)
        known.status, known.opens_at = queue_state(known.s, now)
        known.opens_at = known.opens_at and jnum(known.opens_at) or ''
        known.ahead, known.st = {}, {}
    end
    local s = known.s
    local position = known.ahead[priority]
    if not position then
        position = waiting_upto(key(CC_KEY.QUEUE_WAITING, q),
                                rank_score(s, now, priority)) + 1
        known.ahead[priority] = position
    end
    -- by position: without the status figures the walk stops at the free
    -- slots enough for it
    local st = known.st[position]
    if not st then
        st = staffing(q, now, position)
        known.st[position] = st
    end
    return {position, estimated_wait(q, position, st, s), known.status,
            known.opens_at}
end

-- the calls made are watched for their callers, whatever failed after
local function watch_new(leaving)
    if #leaving > 0 then
        redis.call('ZADD', CC_KEY.CALLERS_LEAVING, unpack(leaving))
    end
end

register('cc_call_create', function(...)
    local leaving = {}
    local ok, res = pcall(call_create, now_ms(), {}, leaving, ...)
    watch_new(leaving)
    if not ok then
        error(res, 0)
    end
    return res
end)

-- Several new calls in one FCALL (the calls a worker took in one turn of
-- its event loop): n, then each call's arguments as cc_call_create takes
-- them (8); answers each one's answer or error in their order.  A call
-- that fails writes nothing, the others are made all the same.
local CREATE_ARGS = 8
local CREATE_BATCH_MAX = 256

register('cc_calls_create', function(n, ...)
    local args = {...}
    n = tonumber(n)
    if not n or n < 1 or n > CREATE_BATCH_MAX or n % 1 ~= 0
        or #args ~= n * CREATE_ARGS then
        fail('BADREQ', 'want n, then ' .. CREATE_ARGS .. ' arguments a call')
    end
    local now, seen, leaving, answers = now_ms(), {}, {}, {}
    for i = 1, n do
        local at = (i - 1) * CREATE_ARGS
        local ok, res = pcall(call_create, now, seen, leaving,
                              unpack(args, at + 1, at + CREATE_ARGS))
        if ok then
            answers[i] = res
        elseif type(res) == 'table' and res.cc then
            answers[i] = redis.error_reply(res.cc)
        elseif type(res) == 'table' and res.err then
            -- Redis itself refused (out of memory, say): the calls made
            -- so far are abandoned in time all the same
            watch_new(leaving)
            error(res, 0)
        else
            -- this call's own failure (a queue's settings Lua cannot
            -- read): the others are not held by it
            answers[i] = redis.error_reply('ERR ' .. tostring(res))
        end
    end
    watch_new(leaving)
    return answers
end)

-- A stream may end without its close reaching Redis (its worker killed,
-- Redis away then): its refresh stops, and cc_expire_calls must look at
-- the call once the last refresh runs out.  The library before kept that
-- in cc:callers:streams, still read (and kept for the calls it holds:
-- streams_run_out).  Now the call's member in cc:callers:leaving moves,
-- never before its caller may be gone (ZADD GT: the latest expiry of its
-- streams, on any node): an open stream costs Redis no member of its own.
-- cc_expire_calls, finding the caller present, drops the member; the next
-- refresh adds it again.
local function streams_run_out(id, until_)
    redis.call('ZADD', CC_KEY.CALLERS_STREAMS, 'GT', until_, id)
end

local function watch_caller(id, until_)
    redis.call('ZADD', CC_KEY.CALLERS_LEAVING, 'GT', until_, id)
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
    local call = caller_call(id, token, CALL_FIELDS.open)
    if conn and call.state ~= 'ended' then
        local ck = key(CC_KEY.CALL_CONNS, id)
        local now = now_ms()
        local until_ = int_arg(now + arg_number(ttl))
        local max = arg_number(max_streams) or 0
        -- a pending call's first stream: there is no other, open or run out
        if max > 0 and not call.pending and open_streams(ck, now) >= max
        then
            fail('TOOMANY', 'too many streams')
        end
        if not call.pending then
            redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
        end
        redis.call('ZADD', ck, until_, conn)
        call_key_life(id, CC_KEY.CALL_CONNS, call.created)
        watch_caller(id, until_)
        if call.pending then
            redis.call('HDEL', key(CC_KEY.CALL, id), 'pending')
            call.pending = nil
            enter_queue(id, call, now, true)
            call_key_life(id, CC_KEY.CALL_EVENTS, call.created)
            work(call.queue)
        elseif call.parked then
            -- back, after leaving a message: rings again
            redis.call('HDEL', key(CC_KEY.CALL, id), 'parked')
            call.parked = nil
            if rings(call) then
                enter_ready(id, call, call.queue, settings(call.queue))
                work(call.queue)
            end
        end
    end
    return key(CC_KEY.CALL_EVENTS, id)
end)

-- state and created of a call that is not over, else nil (ended or
-- vanished: nothing to refresh)
local function live_call(id)
    local f = redis.call('HMGET', key(CC_KEY.CALL, id), 'state', 'created')
    if f[1] and f[1] ~= 'ended' then
        return f[2]
    end
end

-- ttl, then call and connection pairs: a worker's streams of callers, one
-- FCALL a heartbeat (one pair: a stream's own, as the module before did)
-- Answers the connections of a worker's (TAG.N) it had to add again: their
-- presence ran out (heartbeats late) and an open dropped them, so events
-- went to the call's other workers meanwhile and the module catches those
-- streams up; OK when none (what a module before worker channels, whose
-- connections have no tag, always gets).
register('cc_caller_presence', function(ttl, ...)
    local until_ = now_ms() + tonumber(ttl)
    local conns = {...}
    local seen, lost = {}, {}
    for i = 1, #conns, 2 do
        local id = conns[i]
        local first = seen[id] == nil
        if first then
            seen[id] = live_call(id) or false
        end
        local created = seen[id]
        if created and redis.call('ZADD', key(CC_KEY.CALL_CONNS, id), until_,
                                  conns[i + 1]) == 1
            and conns[i + 1]:find('.', 1, true)
        then
            lost[#lost + 1] = conns[i + 1]
        end
        if created and first then
            call_key_life(id, CC_KEY.CALL_CONNS, created)
            watch_caller(id, until_)
        end
    end
    return #lost > 0 and lost or redis.status_reply('OK')
end)

register('cc_caller_close', function(id, conn, grace)
    local until_ = now_ms() + tonumber(grace)
    local created = live_call(id)
    local ck = key(CC_KEY.CALL_CONNS, id)
    if created and redis.call('ZREM', ck, conn) == 1 then
        redis.call('ZADD', ck, 'GT', until_, CLOSED_CONN)
        call_key_life(id, CC_KEY.CALL_CONNS, created)
        -- looked at when the last of its connections runs out, the other
        -- streams' too: that of a worker killed later is not refreshed
        redis.call('ZADD', CC_KEY.CALLERS_LEAVING,
                   redis.call('ZRANGE', ck, -1, -1, 'WITHSCORES')[2], id)
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
-- budget 0: no such limit (and no clock read).  Fails, or writes the
-- limits' new state in the call hash ck (one HSET, or none): the last
-- check of cc_caller_message before its first write.
local function message_quota(ck, bucket, bucket_at, kept_bytes, message,
                             kind, rate, burst, budget)
    rate, burst, budget = arg_number(rate) or 0, arg_number(burst) or 0,
        arg_number(budget) or 0
    local level, now, kept
    if rate > 0 then
        now = now_ms()
        local full = burst * 1000
        level = math.min(full, (tonumber(bucket) or full)
            + math.floor((now - (tonumber(bucket_at) or now)) * rate
                         / 1000))
        if level < 1000 then
            fail('TOOMANY', 'too many messages')
        end
    end
    if kind == 'keep' then
        -- what Redis keeps: the message, the event around it, the entry
        kept = (tonumber(kept_bytes) or 0) + #message + KEPT_OVERHEAD
        if budget > 0 and kept > budget then
            fail('TOOMANY', 'too many messages')
        end
    end
    -- integers given as numbers: Redis writes them (%.17g, exact), no
    -- Lua string made of each
    if level and kept then
        redis.call('HSET', ck, 'bucket', level - 1000, 'bucket_at', now,
                   'kept_bytes', kept)
    elseif level then
        redis.call('HSET', ck, 'bucket', level - 1000, 'bucket_at', now)
    elseif kept then
        redis.call('HSET', ck, 'kept_bytes', kept)
    end
end

-- The hot one (a chat's every line): the call's fields it needs read by
-- position, no table made (caller_call's, each field costs), the token
-- compared as caller_call does.
register('cc_caller_message', function(id, token, message, kind, rate,
                                       burst, budget)
    local ck = key(CC_KEY.CALL, id)
    local f = redis.call('HMGET', ck, 'token', 'state', 'agent', 'queue',
                         'bucket', 'bucket_at', 'kept_bytes')
    local given = redis.sha1hex(token)
    if not f[1] or f[1] ~= given then
        fail('FORBIDDEN', 'forbidden')
    end
    kind = message_kind(kind)
    local state, q = f[2], f[4]
    if state == 'ended' then
        fail('CONFLICT', 'call has ended')
    end
    local assigned = state == 'assigned'
    message_quota(ck, f[5], f[6], f[7], message, kind, rate, burst, budget)
    local ev = deliver(id, assigned and f[3], 'caller', message, kind, q)
    -- a message left while waiting (its fields read only then: a chat
    -- is assigned): the call waits message_wait, even with its caller gone
    -- (a pending call too: its caller never came, yet left a word)
    local left = kind == 'keep' and not assigned
        and redis.call('HMGET', ck, 'left_message', 'created')
    if left and not left[1] then
        local created = left[2]
        redis.call('HSET', ck, 'left_message', ev)
        -- a pending call's stream begins here, not in cc_caller_open
        call_key_life(id, CC_KEY.CALL_EVENTS, created)
        redis.call('ZREM', key(CC_KEY.QUEUE_ARRIVALS, q), id)
        redis.call('ZADD', key(CC_KEY.QUEUE_MESSAGES, q), created, id)
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
