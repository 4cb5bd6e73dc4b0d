-- Calls -------------------------------------------------------------------

local function call_get(id)
    return hash(key(CC_KEY.CALL, id))
end

-- The fields of the call hash a function reads when it needs few
-- (hash_fields), by the function (lua/caller.lua, lua/agent.lua).
local CALL_FIELDS = {}

-- Every key of a live call expires CALL_LIFE_MS after the call was
-- created (end_call brings it down to CALL_TTL): set on each key as it
-- comes to exist.
local function call_key_life(id, fmt, created)
    redis.call('PEXPIREAT', key(fmt, id), tonumber(created) + CALL_LIFE_MS)
end

-- The agents a call rings now: its ring set, or the one offer_agent of a
-- call offered by the library before ring sets (a rolling upgrade).
local function ringing(id, call)
    local agents = redis.call('SMEMBERS', key(CC_KEY.CALL_RING, id))
    if #agents == 0 and call.offer_agent then
        agents = {call.offer_agent}
    end
    table.sort(agents)
    return agents
end

-- the call is offered to a (maybe run out, not yet withdrawn)
local function rings_agent(call, a)
    if call.state ~= 'offered' then
        return false
    end
    local rk = key(CC_KEY.CALL_RING, call.id)
    return redis.call('SISMEMBER', rk, a) == 1
        or (call.offer_agent == a and redis.call('SCARD', rk) == 0)
end

local function offered_now(call, a, now)
    return tonumber(call.offer_expires or 0) > now and rings_agent(call, a)
end

local function ever_offered(id, a)
    return redis.call('SISMEMBER', key(CC_KEY.CALL_OFFERED, id), a) == 1
end

-- The call held (assigned, or ended while assigned) by a, else NOTFOUND;
-- call: the call as the caller read it already (nil: read here).
local function held_call(a, id, call)
    call = call or call_get(id)
    if not call or call.agent ~= a then
        live_ids(key(CC_KEY.AGENT_CALLS, a))
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

-- The call rings each of agents (one, or every one of a ring-all) for
-- timeout ms.  offer_agent names the first, for the library before ring
-- sets.
local function make_offer(id, call, agents, timeout, now)
    call.state = 'offered'
    call.offer_agent = agents[1]
    call.offer_expires = tostring(now + timeout)
    redis.call('HSET', key(CC_KEY.CALL, id), 'state', 'offered',
               'offer_agent', agents[1], 'offer_expires', call.offer_expires)
    redis.call('ZADD', CC_KEY.OFFERS, call.offer_expires, id)
    leave_ready(id, call.queue)
    for _, a in ipairs(agents) do
        redis.call('SADD', key(CC_KEY.CALL_RING, id), a)
        redis.call('SADD', key(CC_KEY.AGENT_OFFERS, a), id)
        redis.call('SADD', key(CC_KEY.CALL_OFFERED, id), a)
        status_touch(a)
    end
    call_key_life(id, CC_KEY.CALL_RING, call.created)
    call_key_life(id, CC_KEY.CALL_OFFERED, call.created)
    local data = offer_data(id, call, now)
    for _, a in ipairs(agents) do
        emit_agent(a, 'offer', data)
    end
end

-- a no longer rings for the call, told why.
local function revoke_one(id, a, reason)
    redis.call('SREM', key(CC_KEY.CALL_RING, id), a)
    redis.call('SREM', key(CC_KEY.AGENT_OFFERS, a), id)
    status_touch(a)
    emit_agent(a, 'revoked', call_data(id, {'reason', js(reason)}))
end

-- The offer is over: every agent it still rings but `keep` (the one who
-- took it) is told why; returns those agents.
local function revoke_offer(id, call, reason, keep)
    local revoked = {}
    for _, a in ipairs(ringing(id, call)) do
        if a ~= keep then
            revoke_one(id, a, reason)
            revoked[#revoked + 1] = a
        end
    end
    redis.call('DEL', key(CC_KEY.CALL_RING, id))
    redis.call('HDEL', key(CC_KEY.CALL, id), 'offer_agent', 'offer_expires')
    redis.call('ZREM', CC_KEY.OFFERS, id)
    return revoked
end

-- a said no to the call (reason: rejected, timeout, away, absent): it is
-- declined for it, and counted.
local function decline(id, call, a, reason)
    redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, call.queue),
               'offers_' .. reason, 1)
    status_queue_touch(call.queue)
    redis.call('SADD', key(CC_KEY.CALL_DECLINED, id), a)
    call_key_life(id, CC_KEY.CALL_DECLINED, call.created)
end

-- Back to the queue to ring someone else: at its arrival place, where it
-- still is, or (offered by a transfer to an agent) entering it again.
local function back_to_queue(id, call, now)
    call.state = 'queued'
    redis.call('HSET', key(CC_KEY.CALL, id), 'state', 'queued')
    if redis.call('ZSCORE', key(CC_KEY.QUEUE_WAITING, call.queue), id) then
        if rings(call) then
            enter_ready(id, call, call.queue, settings(call.queue))
        end
    else
        enter_queue(id, call, now)
    end
    work(call.queue)
end

-- The offer is gone for every agent it rang: the call waits again and
-- they are declined for it.
local function requeue(id, call, reason, now)
    for _, a in ipairs(revoke_offer(id, call, reason)) do
        decline(id, call, a, reason)
    end
    back_to_queue(id, call, now)
end

-- One agent of the ring is gone (rejected, away, absent): the call still
-- rings the others, or waits again when none is left.
local function drop_from_ring(id, call, a, reason, now)
    revoke_one(id, a, reason)
    decline(id, call, a, reason)
    if redis.call('SCARD', key(CC_KEY.CALL_RING, id)) == 0 then
        redis.call('HDEL', key(CC_KEY.CALL, id), 'offer_agent',
                   'offer_expires')
        redis.call('ZREM', CC_KEY.OFFERS, id)
        back_to_queue(id, call, now)
    end
end

local function customer_key(call)
    return key(CC_KEY.CUSTOMER, call.customer)
end

local function assign(id, call, a, now)
    local q = call.queue
    local s = settings(q)
    local ak = key(CC_KEY.AGENT, a)
    redis.call('HSET', key(CC_KEY.CALL, id), 'state', 'assigned',
               'agent', a, 'assigned_at', now)
    -- ring-all: the others learn someone was quicker
    revoke_offer(id, call, 'taken', a)
    redis.call('SREM', key(CC_KEY.AGENT_OFFERS, a), id)
    redis.call('SADD', key(CC_KEY.AGENT_CALLS, a), id)
    status_touch(a)
    leave_queue(q, id, now)
    redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, q), 'assigned', 1)
    if now - tonumber(call.created) <= s.service_level then
        redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, q), 'answered_in_sl', 1)
    end
    ewma(q, 'wait_ewma_ms', now - tonumber(call.created))
    -- fewest-calls: answered in q today (the queue's day)
    local day = queue_day(s, now)
    if tonumber(redis.call('HGET', ak, 'answered_day:' .. q)) ~= day then
        redis.call('HSET', ak, 'answered_day:' .. q, day, 'answered:' .. q, 0)
    end
    redis.call('HINCRBY', ak, 'answered:' .. q, 1)
    redis.call('HDEL', ak, 'no_answer')
    -- sticky: this caller's next call asks for a first
    if call.customer then
        redis.call('HSET', customer_key(call), 'agent', a, 'at', now)
        redis.call('EXPIRE', customer_key(call), CUSTOMER_TTL)
    end
    local data = call_data(id, {'agent', agent_json(a)})
    emit_call(id, 'assigned', data)
    emit_agent(a, 'assigned', data)
end

-- a function, not a table: the names carry the site's prefix (cc_site)
local function call_keys()
    return {CC_KEY.CALL, CC_KEY.CALL_EVENTS, CC_KEY.CALL_OFFERED,
            CC_KEY.CALL_DECLINED, CC_KEY.CALL_CONNS, CC_KEY.CALL_RING,
            CC_KEY.CALL_ROUTING}
end

local function end_call(id, call, reason, now)
    local q = call.queue
    redis.call('HSET', key(CC_KEY.CALL, id), 'state', 'ended',
               'reason', reason, 'ended_at', now)
    leave_queue(q, id, now)
    local data = call_data(id, {'reason', js(reason)})
    if call.state == 'offered' then
        for _, a in ipairs(revoke_offer(id, call,
                                        reason == 'timeout' and 'timeout'
                                        or 'hangup')) do
            work_for_agent(a)
        end
    elseif call.state == 'assigned' then
        redis.call('SREM', key(CC_KEY.AGENT_CALLS, call.agent), id)
        emit_agent(call.agent, 'ended', data)
        ewma(q, 'aht_ewma_ms', now - tonumber(call.assigned_at))
        start_wrapup(call.agent, q, now)
        release_agent(call.agent, now)
    end
    -- a call whose caller never came (pending) was never in the queue: it
    -- counts in no figure, so a link fetched by a machine moves none
    if not call.pending then
        if reason == 'abandoned' or reason == 'timeout' then
            redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, q), reason, 1)
        end
        redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, q), 'ended', 1)
    end
    emit_call(id, 'ended', data)
    redis.call('ZREM', CC_KEY.CALLERS_LEAVING, id)
    redis.call('ZREM', CC_KEY.CALLERS_STREAMS, id)
    for _, fmt in ipairs(call_keys()) do
        redis.call('EXPIRE', key(fmt, id), CALL_TTL)
    end
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

local deliver
do
    -- the queue's counter of a message, by sender and kind (no
    -- concatenation)
    local COUNTER = {
        caller = {keep = 'messages_caller_keep',
                  live = 'messages_caller_live'},
        agent = {keep = 'messages_agent_keep', live = 'messages_agent_live'}}

    -- Delivers a message (its JSON as it came) of the kind from `from`
    -- (caller or agent: then a, who sends it) to the call and, when a
    -- holds it, to a: the event id, for `live` the tip of the call's
    -- stream (where a resume stands).  The data is call_data's text, each
    -- made in one concatenation (a chat line costs Redis each string); an
    -- agent's names the agent (a call may have had several, through
    -- transfers).  A kept one goes to the call's stream (its id: the one
    -- the 202 answers and the transcript holds) and to the agent's, whose
    -- copy names it as event_id so a dashboard merging both knows it for
    -- the same message (a stream id: digits and a dash, nothing to escape).
    deliver = function(id, a, from, message, kind, q)
        redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, q), COUNTER[from][kind],
                   '1')
        status_queue_touch(q)
        local head
        if from == 'agent' then
            head = '{"call":' .. js(id) .. ',"from":"agent","agent":'
                .. agent_json(a)
        else
            head = '{"call":' .. js(id) .. ',"from":"caller"'
        end
        local data = head .. ',"message":' .. message .. '}'
        if kind == 'keep' then
            local ev = emit_call(id, 'message', data)
            if a then
                emit_agent(a, 'message', head .. ',"message":' .. message
                           .. ',"event_id":"' .. ev .. '"}')
            end
            return ev
        end
        local ck = key(CC_KEY.CALL_EVENTS, id)
        publish_live(ck, 'message', data)
        if a then
            publish_live(key(CC_KEY.AGENT_EVENTS, a), 'message', data)
        end
        return tip(ck)
    end
end
