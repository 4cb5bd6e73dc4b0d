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
