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
    redis.call('ZADD', key(CC_KEY.AGENT_CONNS, a), now + tonumber(ttl), conn)
    status_touch(a)
    local status = agent_status(a)
    if not was and status == 'available' then
        work_for_agent(a)
    end
    local ek = key(CC_KEY.AGENT_EVENTS, a)
    local tip, gap = stream_tip(ek, resume and last_id or nil)
    if resume and not gap then
        return {ek, last_id}
    end
    local out = {ek, tip}
    local function add(event, data)
        out[#out + 1] = event
        out[#out + 1] = data
    end
    local shown, extra = shown_status(a, now)
    add('status', status_data(a, shown, extra))
    for _, call in ipairs(by_field(agent_calls(a, CC_KEY.AGENT_OFFERS),
                                   'offer_expires')) do
        if offered_now(call, a, now) then
            add('offer', offer_data(call.id, call, now))
        end
    end
    for _, call in ipairs(by_field(agent_calls(a, CC_KEY.AGENT_CALLS),
                                   'assigned_at')) do
        add('assigned', call_data(call.id, {'agent', agent_json(a)}))
        if resume then
            for _, e in ipairs(redis.call('XRANGE',
                                          key(CC_KEY.CALL_EVENTS, call.id),
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
        redis.call('ZADD', key(CC_KEY.AGENT_CONNS, conns[i]), until_,
                   conns[i + 1])
        status_present(conns[i])
    end
    return redis.status_reply('OK')
end)

register('cc_agent_close', function(a, conn, grace)
    redis.call('ZADD', key(CC_KEY.AGENT_CONNS, a), 'XX',
               now_ms() + tonumber(grace), conn)
    status_touch(a)
    return redis.status_reply('OK')
end)

-- The agent goes away (reason: why, when the library decided it, e.g.
-- no_answer): its offers go back to their queues.
local function set_away(a, now, reason)
    local ak = key(CC_KEY.AGENT, a)
    redis.call('HSET', ak, 'status', 'away')
    end_wrapup(a)
    if reason then
        redis.call('HSET', ak, 'away_reason', reason)
    else
        redis.call('HDEL', ak, 'away_reason')
    end
    emit_status(a, now)
    for _, call in ipairs(agent_calls(a, CC_KEY.AGENT_OFFERS)) do
        if rings_agent(call, a) then
            drop_from_ring(call.id, call, a, 'away', now)
        end
    end
end

-- available ends a wrap-up early; away leaves it
register('cc_agent_status', function(a, status)
    if status ~= 'available' and status ~= 'away' then
        fail('BADREQ', 'status must be available or away')
    end
    agent_check(a)
    local now = now_ms()
    local ak = key(CC_KEY.AGENT, a)
    if status == 'away' then
        set_away(a, now)
        return redis.status_reply('OK')
    end
    local before = redis.call('HGET', ak, 'status')
    redis.call('HSET', ak, 'status', status)
    redis.call('HDEL', ak, 'away_reason', 'no_answer')
    end_wrapup(a)
    emit_status(a, now)
    if before ~= 'available'
        and redis.call('SCARD', key(CC_KEY.AGENT_CALLS, a)) == 0 then
        redis.call('HSET', ak, 'idle_since', now)
    end
    work_for_agent(a)
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

-- Of a ring-all, the first accept wins; the others are told `taken`.
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

-- After a reject, a is offered nothing of the call's queue for its
-- reject_delay.
register('cc_agent_reject', function(a, id)
    agent_check(a)
    local now = now_ms()
    local call, offered = offered_call(a, id, now)
    if not offered then
        fail('CONFLICT', 'offer expired or taken')
    end
    local ak = key(CC_KEY.AGENT, a)
    local delay = settings(call.queue).reject_delay
    redis.call('HDEL', ak, 'no_answer')
    if delay > 0 then
        redis.call('HSET', ak, 'reject_until:' .. call.queue, now + delay)
    end
    drop_from_ring(id, call, a, 'rejected', now)
    return redis.status_reply('OK')
end)

register('cc_agent_message', function(a, id, message, kind)
    agent_check(a)
    kind = message_kind(kind)
    -- whose it is and where it counts, by position (no table made, each
    -- field costs); more only when it is not a's (held_call's answers)
    local f = redis.call('HMGET', key(CC_KEY.CALL, id), 'agent', 'state',
                         'queue')
    if f[1] ~= a or f[2] == 'ended' then
        local call = call_get(id)
        if call and call.agent ~= a and offered_now(call, a, now_ms()) then
            fail('CONFLICT', 'call is not yours yet')
        end
        held_call(a, id, call)
    end
    return deliver(id, a, 'agent', message, kind, f[3])
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
        if redis.call('SISMEMBER', CC_KEY.AGENTS, target) == 0 then
            fail('BADREQ', 'unknown agent')
        end
        if not can_take(target, now) then
            fail('CONFLICT', 'agent not available')
        end
        to = jobj{'agent', agent_json(target)}
    else
        if redis.call('SISMEMBER', CC_KEY.QUEUES, target) == 0 then
            fail('BADREQ', 'unknown queue')
        end
        to = jobj{'queue', js(target)}
    end
    local ck = key(CC_KEY.CALL, id)
    redis.call('HDEL', ck, 'agent', 'assigned_at', 'position')
    redis.call('SREM', key(CC_KEY.AGENT_CALLS, a), id)
    local data = call_data(id, {'to', to})
    emit_call(id, 'transferred', data)
    emit_agent(a, 'transferred', data)
    if kind == 'agent' then
        -- the offer rings as long as one of the call's queue
        make_offer(id, call, {target}, settings(call.queue).offer_timeout,
                   now)
    else
        redis.call('HSET', ck, 'state', 'queued', 'queue', target)
        redis.call('DEL', key(CC_KEY.CALL_DECLINED, id))
        call.queue = target
        call.state = 'queued'
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
    for _, e in ipairs(redis.call('XRANGE', key(CC_KEY.CALL_EVENTS, id),
                                  '-', '+')) do
        local f = e[2]
        if f[2] == 'message' then
            transcript[#transcript + 1] = '{"id":' .. js(e[1])
                .. f[4]:sub(head + 1)
        end
    end
    local routing = redis.call('LRANGE', key(CC_KEY.CALL_ROUTING, id), 0, -1)
    return jobj{'call', js(id), 'queue', js(call.queue),
                'state', js(call.state), 'created', call.created,
                'priority', jnum(tonumber(call.priority) or 0),
                'caller', call.caller, 'agent', jnullable(call.agent),
                'assigned_at', call.assigned_at or 'null',
                'ended_at', call.ended_at or 'null',
                'reason', jnullable(call.reason),
                'transcript', jlist(transcript),
                'routing', jlist(routing)}
end)

