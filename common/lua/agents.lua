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

