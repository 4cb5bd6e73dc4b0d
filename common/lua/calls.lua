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

