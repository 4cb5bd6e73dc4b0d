-- Status ------------------------------------------------------------------

local OUTCOMES = {'assigned', 'abandoned', 'ended'}
local AGENT_STATES = {'available', 'busy', 'wrapup', 'away', 'offline'}
local AGENT_UP = {'available', 'wrapup', 'away', 'offline'}
local OFFERS_LOST = {'rejected', 'timeout', 'away', 'absent'}
local MESSAGES = {{'caller', 'keep'}, {'caller', 'live'}, {'agent', 'keep'},
                  {'agent', 'live'}}
-- a router's counters (router/stats.c), in the order cc_router_stats
-- takes them
local ROUTER_COUNTS = {'offers', 'rings', 'conflicts', 'claims', 'sweeps'}
local ROUTER_STATS_TTL_MS = 600000 -- a silent router's figures stay this long
local ROUTERS_SHOWN = 64           -- the routers seen last, at most

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
    elseif f.status == 'available' and in_wrapup(h, now) then
        f.status = 'wrapup'
    end
    f.states = {
        available = f.status == 'available'
            and f.calls + f.offers < f.capacity,
        busy = f.present and f.calls > 0,
        wrapup = f.status == 'wrapup',
        away = f.status == 'away',
        offline = not f.present,
    }
    return f
end

local function queue_figures(q, agents, now)
    local s = settings(q)
    local arrived = now
    for _, fmt in ipairs{CC_KEY_QUEUE_ARRIVALS, CC_KEY_QUEUE_MESSAGES} do
        local oldest = redis.call('ZRANGE', key(fmt, q), 0, 0, 'WITHSCORES')
        if oldest[2] then
            arrived = math.min(arrived, tonumber(oldest[2]))
        end
    end
    local open, opens_at = opening(s, now)
    local f = {
        waiting = redis.call('ZCARD', key(CC_KEY_QUEUE_WAITING, q)),
        longest_wait = math.floor((now - arrived) / 1000),
        agents = {available = 0, busy = 0, wrapup = 0, away = 0,
                  offline = 0},
        open = open, opens_at = opens_at, strategy = s.strategy,
        service_level_seconds = math.floor(s.service_level / 1000),
        messages_waiting = redis.call('ZCARD',
                                      key(CC_KEY_QUEUE_MESSAGES, q)),
    }
    -- every counter of the queue in one read
    local counters = hash(key(CC_KEY_QUEUE_STATS, q)) or {}
    local function stat(field)
        return tonumber(counters[field]) or 0
    end
    for _, o in ipairs(OUTCOMES) do
        f[o] = stat(o)
    end
    f.answered_in_sl = stat('answered_in_sl')
    f.timed_out = stat('timeout')
    f.offers_lost = {}
    for _, r in ipairs(OFFERS_LOST) do
        f.offers_lost[r] = stat('offers_' .. r)
    end
    f.messages = {}
    for _, m in ipairs(MESSAGES) do
        local field = 'messages_' .. m[1] .. '_' .. m[2]
        f.messages[field] = stat(field)
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

-- The routers seen last whose hashes have not expired: {names = {...}
-- sorted, by = {NAME = {offers = N, ..., age = seconds}}}, each NAME
-- escaped for a label value
local function router_figures(now)
    local seen = redis.call('ZREVRANGE', CC_KEY_ROUTERS, 0,
                            ROUTERS_SHOWN - 1, 'WITHSCORES')
    local routers = {names = {}, by = {}}
    for i = 1, #seen, 2 do
        local h = hash(key(CC_KEY_ROUTER_STATS, seen[i]))
        if h then
            local label = seen[i]:gsub('[\\"]', '\\%0')
            h.age = math.max(0, now - tonumber(seen[i + 1])) / 1000
            routers.by[label] = h
            routers.names[#routers.names + 1] = label
        end
    end
    table.sort(routers.names)
    return routers
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
            'agents_wrapup', jnum(f.agents.wrapup),
            'agents_away', jnum(f.agents.away),
            'agents_offline', jnum(f.agents.offline),
            'assigned', jnum(f.assigned), 'abandoned', jnum(f.abandoned),
            'ended', jnum(f.ended),
            'service_level', f.service_level and jnum(f.service_level)
                or 'null',
            'service_level_seconds', jnum(f.service_level_seconds),
            'open', f.open and 'true' or 'false',
            'opens_at', f.opens_at and jnum(f.opens_at) or 'null',
            'strategy', js(f.strategy),
            'messages_waiting', jnum(f.messages_waiting),
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

local function status_prometheus(queues, qf, agents, af, routers)
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
    metric('callcenter_queue_messages_waiting', 'gauge',
           'Calls waiting in the queue whose caller left a message.')
    each('callcenter_queue_messages_waiting', 'queue', queues,
         function(q) return qf[q].messages_waiting end)
    metric('callcenter_queue_open', 'gauge',
           '1 while the queue is within its hours, else 0.')
    each('callcenter_queue_open', 'queue', queues,
         function(q) return qf[q].open and 1 or 0 end)
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
    metric('callcenter_router_decisions_total', 'counter',
           'Decisions the router committed, by kind (offer: to one agent, '
           .. 'ring: to several at once).')
    grid('callcenter_router_decisions_total', 'router', routers.names,
         'kind', {'offer', 'ring'}, function(r, k)
             return tonumber(routers.by[r][k .. 's'] or 0) end)
    local function router_counter(name, field, help)
        metric(name, 'counter', help)
        each(name, 'router', routers.names,
             function(r) return tonumber(routers.by[r][field] or 0) end)
    end
    router_counter('callcenter_router_conflicts_total', 'conflicts',
                   'Decisions the library refused: the state had changed '
                   .. 'since the router read it.')
    router_counter('callcenter_router_claims_total', 'claims',
                   'Work entries the router claimed that another left '
                   .. 'unacknowledged (XAUTOCLAIM).')
    router_counter('callcenter_router_sweeps_total', 'sweeps',
                   'Full sweeps of the router (one a tick).')
    metric('callcenter_router_last_seen_seconds', 'gauge',
           'Seconds since the router last reported (each sweep).')
    each('callcenter_router_last_seen_seconds', 'router', routers.names,
         function(r)
             return string.format('%.3f', routers.by[r].age)
         end)
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
    return status_prometheus(queues, qf, agents, af, router_figures(now))
end)

-- A router's counts since its last report, once a step (a sweep even with
-- nothing to count: it says the router lives): added to its hash, which
-- expires when the router goes silent.
register('cc_router_stats', function(name, ...)
    local counts = {...}
    if type(name) ~= 'string' or not name:match('^[!-~]+$') or #name > 64
    then
        fail('BADREQ', 'router name')
    end
    for i = 1, #ROUTER_COUNTS do
        local n = tonumber(counts[i])
        if not n or n < 0 or n ~= math.floor(n) or n > 1e12 then
            fail('BADREQ', ROUTER_COUNTS[i] .. ': want a count')
        end
        counts[i] = jnum(n)
    end
    local k = key(CC_KEY_ROUTER_STATS, name)
    for i, field in ipairs(ROUTER_COUNTS) do
        redis.call('HINCRBY', k, field, counts[i])
    end
    redis.call('PEXPIRE', k, ROUTER_STATS_TTL_MS)
    local now = now_ms()
    redis.call('ZADD', CC_KEY_ROUTERS, now, name)
    redis.call('ZREMRANGEBYSCORE', CC_KEY_ROUTERS, '-inf',
               now - ROUTER_STATS_TTL_MS)
    redis.call('PEXPIRE', CC_KEY_ROUTERS, ROUTER_STATS_TTL_MS)
    return 'OK'
end)

