-- Agents ------------------------------------------------------------------

-- The agents whose figures (status, presence, calls, offers, wrap-up,
-- profile) this function changed: the status figures of each are computed
-- again once, when the function is done (status_flush, lua/status.lua).
local STATUS_TOUCHED = {}

-- q's staffing as the status figures keep it ({ready, staffed, free}), or
-- nil when they are not built (lua/status.lua)
local status_staffing

local function status_touch(a)
    STATUS_TOUCHED[a] = true
end

-- The queues whose record of the answers by difference this function may
-- have changed (their waiting calls, stats counters, settings): each is
-- made again once, by the next answer (status_flush, lua/status.lua).
-- enter_queue and leave_queue touch (so assign, end_call, a message left),
-- and status_update each queue whose agents' counts it moved (so
-- cc_agents_load): t/functions_status.t fails without any one touch.
local STATUS_QUEUES_TOUCHED = {}

local function status_queue_touch(q)
    STATUS_QUEUES_TOUCHED[q] = true
end

-- A refreshed presence: an agent whose figures say offline is not in
-- cc:status:due (every present one is, by when its presence runs out), and
-- is due now.
local function status_present(a)
    redis.call('ZADD', CC_KEY.STATUS_DUE, 'NX', 0, a)
end

local function agent_check(a)
    if redis.call('SISMEMBER', CC_KEY.AGENTS, a) == 0 then
        fail('FORBIDDEN', 'agent not configured')
    end
end

-- an open stream of the connections zset k (an agent's or a caller's)
local function connected(k, now)
    redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
    return redis.call('ZCARD', k) > 0
end

local function present(a, now)
    return connected(key(CC_KEY.AGENT_CONNS, a), now)
end

-- A caller is present while a stream of the call is open or closed less
-- than the grace ago (cc_caller_close scores it now+grace): read only.
local function caller_present(id, now)
    return redis.call('ZCOUNT', key(CC_KEY.CALL_CONNS, id), '(' .. now,
                      '+inf') > 0
end

-- The ids of the set k (an agent's offers or calls) whose call still
-- exists; the others (keys expired) leave the set.  O(capacity).
local function live_ids(k)
    local ids = {}
    for _, id in ipairs(redis.call('SMEMBERS', k)) do
        if redis.call('EXISTS', key(CC_KEY.CALL, id)) == 1 then
            ids[#ids + 1] = id
        else
            redis.call('SREM', k, id)
        end
    end
    return ids
end

local function held(a)
    return #live_ids(key(CC_KEY.AGENT_CALLS, a))
end

local function load(a)
    return #live_ids(key(CC_KEY.AGENT_OFFERS, a)) + held(a)
end

local function agent_queues(a)
    local q = redis.call('HGET', key(CC_KEY.AGENT, a), 'queues')
    if q then
        return cjson.decode(q)
    end
    return {}
end

local function agent_status(a)
    return redis.call('HGET', key(CC_KEY.AGENT, a), 'status')
end

-- in wrap-up after a call: offered nothing until wrapup_until
local function in_wrapup(h, now)
    return (tonumber(h.wrapup_until) or 0) > now
end

-- What an agent is now: offline (no stream past the grace), away, wrapup,
-- busy (load >= capacity) or available (may take one more call), with
-- its hash and load.
local function agent_state(a, now)
    local h = hash(key(CC_KEY.AGENT, a)) or {}
    local n = load(a)
    local state = 'available'
    if not present(a, now) then
        state = 'offline'
    elseif h.status ~= 'available' then
        state = 'away'
    elseif in_wrapup(h, now) then
        state = 'wrapup'
    elseif n >= (tonumber(h.capacity) or 0) then
        state = 'busy'
    end
    return state, h, n
end

-- present, available, not in wrap-up and below capacity: may take one
-- more call
local function can_take(a, now)
    return agent_state(a, now) == 'available'
end

-- the agent's tier in queue q (1 unless the agents file says)
local function agent_tier(h, q)
    local tiers = h.tiers and cjson.decode(h.tiers) or {}
    return tonumber(tiers[q]) or 1
end

-- one concatenation, the text jobj would give (each message names its
-- agent: jobj's table and encoded names cost as much as the read)
local function agent_json(a)
    return '{"id":' .. js(a) .. ',"name":'
        .. js(redis.call('HGET', key(CC_KEY.AGENT, a), 'name') or a) .. '}'
end

-- a status event: the status, and who the agent is (the dashboard learns
-- its own profile from the first one); extra: {name, encoded value, ...}
-- (why the router set the agent away, until when a wrap-up lasts)
local function status_data(a, status, extra)
    local h = hash(key(CC_KEY.AGENT, a))
    local members = {'status', js(status)}
    for _, v in ipairs(extra or {}) do
        members[#members + 1] = v
    end
    members[#members + 1] = 'agent'
    members[#members + 1] = jobj{'id', js(a), 'name', js(h.name or a),
                                 'queues', h.queues or '[]',
                                 'capacity', jnum(tonumber(h.capacity) or 0)}
    return jobj(members)
end

-- The status an agent's stream shows: wrap-up (with its end and queue)
-- over available.
local function shown_status(a, now)
    local h = hash(key(CC_KEY.AGENT, a)) or {}
    if h.status == 'available' and in_wrapup(h, now) then
        return 'wrapup', {'until', h.wrapup_until,
                          'queue', js(h.wrapup_queue or '')}
    end
    if h.status == 'away' and h.away_reason then
        return 'away', {'reason', js(h.away_reason)}
    end
    return h.status or 'away', {}
end

local function emit_status(a, now)
    local status, extra = shown_status(a, now)
    emit_agent(a, 'status', status_data(a, status, extra))
end

local function work_for_agent(a)
    for _, q in ipairs(agent_queues(a)) do
        work(q)
    end
end

-- A gave up a call it held: idle again when it holds none, and its freed
-- capacity may serve its queues.
local function release_agent(a, now)
    status_touch(a)
    if held(a) == 0 then
        redis.call('HSET', key(CC_KEY.AGENT, a), 'idle_since', now)
    end
    work_for_agent(a)
end

-- A call of q that a held ended: a is offered nothing for q's wrapup.
local function start_wrapup(a, q, now)
    local ms = settings(q).wrapup
    if ms <= 0 or agent_status(a) ~= 'available' then
        return
    end
    local until_ = now + ms
    redis.call('HSET', key(CC_KEY.AGENT, a), 'wrapup_until', until_,
               'wrapup_queue', q)
    redis.call('ZADD', CC_KEY.AGENTS_WRAPUP, until_, a)
    status_touch(a)
    emit_status(a, now)
end

-- The wrap-up is over (ran out, or the agent said available or away);
-- true when there was one.
local function end_wrapup(a)
    status_touch(a)
    redis.call('ZREM', CC_KEY.AGENTS_WRAPUP, a)
    return redis.call('HDEL', key(CC_KEY.AGENT, a), 'wrapup_until',
                      'wrapup_queue') > 0
end

