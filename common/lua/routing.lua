-- Routers -----------------------------------------------------------------

-- (one block: its locals leave the library's, at most 200, alone)
do

-- q's profiles become the skill sets of its agents now.  A new set's index
-- is filled from the calls waiting in q: one walk of the queue per change
-- of its agents' skills (a reload), never per routing step.
local function rebuild_profiles(q)
    local want = {}
    for _, a in ipairs(redis.call('SMEMBERS', key(CC_KEY.QUEUE_AGENTS, q))) do
        local f = redis.call('HMGET', key(CC_KEY.AGENT, a), 'skills_key',
                             'skills')
        if f[1] then
            want[f[1]] = f[2]
        end
    end
    local pk = key(CC_KEY.QUEUE_PROFILES, q)
    local have, added = {}, {}
    for _, p in ipairs(profiles(q)) do
        have[p[1]] = true
        if not want[p[1]] then
            redis.call('HDEL', pk, p[1])
            redis.call('DEL', ready_key(q, p[1]))
        end
    end
    for k, skills in pairs(want) do
        if not have[k] then
            redis.call('HSET', pk, k, skills)
            added[#added + 1] = {k, set_of(cjson.decode(skills))}
        end
    end
    if #added == 0 then
        return
    end
    local s = settings(q)
    for _, id in ipairs(redis.call('ZRANGE', key(CC_KEY.QUEUE_WAITING, q), 0,
                                   -1)) do
        local f = redis.call('HMGET', key(CC_KEY.CALL, id), 'state', 'skills',
                             'created', 'priority', 'pending', 'parked')
        local call = {state = f[1], pending = f[5], parked = f[6]}
        if f[1] and rings(call) then
            local needs = cjson.decode(f[2] or '[]')
            for _, p in ipairs(added) do
                if covers(p[2], needs) then
                    redis.call('ZADD', ready_key(q, p[1]),
                               rank_score(s, f[3], f[4]), id)
                end
            end
        end
    end
end

-- A queue is known when an agent names it or the queues file does
-- (cc:queue:Q exists): nothing a caller sends adds one.
local function known_queues(named)
    for _, q in ipairs(redis.call('SMEMBERS', CC_KEY.QUEUES)) do
        if not named[q] and redis.call('EXISTS', key(CC_KEY.QUEUE, q)) == 0
        then
            redis.call('SREM', CC_KEY.QUEUES, q)
        end
    end
end

-- The profiles the router normalized (router/README.md), in the agents
-- file's order (round-robin and top-down follow it).
register('cc_agents_load', function(json)
    local now = now_ms()
    local listed, named, touched = {}, {}, {}
    for i, p in ipairs(cjson.decode(json)) do
        local ak = key(CC_KEY.AGENT, p.id)
        local keep = set_of(p.queues)
        for _, q in ipairs(agent_queues(p.id)) do
            touched[q] = true
            if not keep[q] then
                redis.call('SREM', key(CC_KEY.QUEUE_AGENTS, q), p.id)
            end
        end
        local tiers = type(p.tiers) == 'table' and p.tiers or {}
        local sk = skills_key(p.skills)      -- sorts them
        redis.call('HSET', ak, 'id', p.id, 'name', p.name,
                   'capacity', p.capacity, 'queues', jstrings(p.queues),
                   'skills', jstrings(p.skills), 'order', i,
                   'tiers', next(tiers) and cjson.encode(tiers) or '{}',
                   'skills_key', sk)
        redis.call('HSETNX', ak, 'status', 'away')
        redis.call('HSETNX', ak, 'idle_since', now)
        for _, q in ipairs(p.queues) do
            redis.call('SADD', key(CC_KEY.QUEUE_AGENTS, q), p.id)
            redis.call('SADD', CC_KEY.QUEUES, q)
            if not named[q] then
                queue_stats_table(q)
            end
            named[q] = true
            touched[q] = true
        end
        redis.call('SADD', CC_KEY.AGENTS, p.id)
        status_touch(p.id)
        listed[p.id] = true
    end
    local count = 0
    for _, a in ipairs(redis.call('SMEMBERS', CC_KEY.AGENTS)) do
        if listed[a] then
            count = count + 1
        else
            redis.call('SREM', CC_KEY.AGENTS, a)
            status_touch(a)
            for _, q in ipairs(agent_queues(a)) do
                redis.call('SREM', key(CC_KEY.QUEUE_AGENTS, q), a)
                touched[q] = true
            end
        end
    end
    known_queues(named)
    for q in pairs(touched) do
        rebuild_profiles(q)
    end
    return count
end)

local function valid_queue_name(q)
    return type(q) == 'string' and #q >= 1 and #q <= 32
        and q:match('^[a-z0-9_-]+$') ~= nil
end

-- hours: null, or sorted disjoint [from, to) pairs of integers
local function hours_json(v)
    if v == cjson.null then
        return 'null'
    end
    if type(v) ~= 'table' then
        fail('BADREQ', 'hours must be null or a list of intervals')
    end
    local last = -math.huge
    for _, r in ipairs(v) do
        if type(r) ~= 'table' or type(r[1]) ~= 'number'
            or type(r[2]) ~= 'number' or r[1] >= r[2] or r[1] < last then
            fail('BADREQ', 'hours must be sorted disjoint intervals')
        end
        last = r[2]
    end
    return cjson.encode(v)
end

-- One queue's settings as the router normalized them, checked field by
-- field: {field, value, ...} for HSET.
local function setting_fields(t)
    if type(t) ~= 'table' then
        fail('BADREQ', 'queue settings must be an object')
    end
    local out = {}
    for f, v in pairs(t) do
        local value
        if BUILTIN[f] == nil then
            fail('BADREQ', 'unknown queue setting ' .. tostring(f))
        elseif f == 'strategy' then
            if not STRATEGIES[v] then
                fail('BADREQ', 'unknown strategy')
            end
            value = v
        elseif f == 'overflow_queue' then
            if v ~= '' and not valid_queue_name(v) then
                fail('BADREQ', 'bad overflow queue')
            end
            value = v
        elseif f == 'hours' then
            value = hours_json(v)
        elseif type(v) ~= 'number' or v ~= math.floor(v) then
            fail('BADREQ', 'queue setting ' .. f .. ' must be an integer')
        else
            value = jnum(v)
        end
        out[#out + 1] = f
        out[#out + 1] = value
    end
    return out
end

-- Calls keep their place when a queue's priority or aging changes: each
-- waiting call's rank is computed again (a walk, once per such reload).
local function rescore(q, s)
    local wk = key(CC_KEY.QUEUE_WAITING, q)
    local pks = profiles(q)
    for _, id in ipairs(redis.call('ZRANGE', wk, 0, -1)) do
        local f = redis.call('HMGET', key(CC_KEY.CALL, id), 'created',
                             'priority')
        if f[1] then
            local score = rank_score(s, f[1], f[2])
            redis.call('ZADD', wk, 'XX', score, id)
            for _, p in ipairs(pks) do
                redis.call('ZADD', ready_key(q, p[1]), 'XX', score, id)
            end
        end
    end
end

-- The queues file (router/README.md): SETTINGS {queue: settings} and
-- DEFAULTS (settings of the queues it does not name).  Checked whole
-- before the first write: a bad file changes nothing.
register('cc_queues_load', function(settings_json, defaults_json)
    local ok, all = pcall(cjson.decode, settings_json or '')
    local ok2, defaults = pcall(cjson.decode, defaults_json or '{}')
    if not ok or not ok2 or type(all) ~= 'table'
        or type(defaults) ~= 'table' then
        fail('BADREQ', 'settings must be JSON objects')
    end
    local fields, default_fields = {}, setting_fields(defaults)
    for q, t in pairs(all) do
        if not valid_queue_name(q) then
            fail('BADREQ', 'bad queue name')
        end
        fields[q] = setting_fields(t)
    end
    -- an overflow goes to a known queue, and never round in a circle
    local function target(q)
        local t = all[q] or defaults
        return t.overflow_queue ~= '' and (tonumber(t.overflow_after) or 0)
            > 0 and t.overflow_queue or nil
    end
    for q in pairs(all) do
        local seen, at = {[q] = true}, target(q)
        while at do
            if all[at] == nil
                and redis.call('SISMEMBER', CC_KEY.QUEUES, at) == 0 then
                fail('BADREQ', 'overflow to unknown queue ' .. at)
            end
            if seen[at] then
                fail('BADREQ', 'overflow cycle through ' .. at)
            end
            seen[at] = true
            at = all[at] and target(at) or nil
        end
    end
    local before = {}
    for _, q in ipairs(redis.call('SMEMBERS', CC_KEY.QUEUES)) do
        before[q] = settings(q)
    end
    redis.call('DEL', CC_KEY.QUEUES_DEFAULTS)
    if #default_fields > 0 then
        redis.call('HSET', CC_KEY.QUEUES_DEFAULTS, unpack(default_fields))
    end
    local named, count = {}, 0
    for _, q in ipairs(redis.call('SMEMBERS', CC_KEY.QUEUES)) do
        status_queue_touch(q)
        if #redis.call('SMEMBERS', key(CC_KEY.QUEUE_AGENTS, q)) > 0 then
            named[q] = true
        end
        if not all[q] then
            redis.call('DEL', key(CC_KEY.QUEUE, q))
        end
    end
    for q, f in pairs(fields) do
        redis.call('DEL', key(CC_KEY.QUEUE, q))
        -- an empty object still makes the queue known
        redis.call('HSET', key(CC_KEY.QUEUE, q), 'configured', '1',
                   unpack(f))
        redis.call('SADD', CC_KEY.QUEUES, q)
        queue_stats_table(q)
        status_queue_touch(q)
        count = count + 1
    end
    known_queues(named)
    for q, old in pairs(before) do
        local s = settings(q)
        if s.priority ~= old.priority or s.priority_aging ~= old.priority_aging
        then
            rescore(q, s)
        end
    end
    return count
end)

-- The router's fresh open intervals of q (and its zone's UTC offset).
register('cc_queue_hours', function(q, hours, day_offset)
    local ok, v = pcall(cjson.decode, hours or '')
    if not ok then
        fail('BADREQ', 'hours must be JSON')
    end
    local value = hours_json(v)
    if not tostring(day_offset):match('^%-?%d+$') then
        fail('BADREQ', 'day offset must be an integer')
    end
    if redis.call('EXISTS', key(CC_KEY.QUEUE, q)) == 1 then
        redis.call('HSET', key(CC_KEY.QUEUE, q), 'hours', value,
                   'day_offset', day_offset)
        status_queue_touch(q)
    end
    return redis.status_reply('OK')
end)

-- What one routing step needs, as JSON (router/README.md): the queues with
-- calls ready to ring, every agent of them with its state, and for each
-- open queue and skill set of its available agents the best calls that
-- set covers (the heads of their ready indexes, a few more than the free
-- slots).  O(agents of those queues + calls read), whatever waits behind.
register('cc_routing_state', function()
    local now = now_ms()
    local active = {}
    for _, q in ipairs(sorted_members(CC_KEY.QUEUES)) do
        local pks = profiles(q)
        for _, p in ipairs(pks) do
            if redis.call('ZCARD', ready_key(q, p[1])) > 0 then
                local s = settings(q)
                active[#active + 1] = {q = q, s = s, pks = pks, free = {},
                                       open = opening(s, now)}
                break
            end
        end
    end
    local states, order = {}, {}
    for _, e in ipairs(active) do
        for _, a in ipairs(sorted_members(key(CC_KEY.QUEUE_AGENTS, e.q))) do
            local st = states[a]
            if not st then
                local state, h, n = agent_state(a, now)
                st = {state = state, h = h, load = n, queues = {}}
                states[a] = st
                order[#order + 1] = a
            end
            local h, q = st.h, e.q
            local answered = 0
            if tonumber(h['answered_day:' .. q]) == queue_day(e.s, now) then
                answered = tonumber(h['answered:' .. q]) or 0
            end
            st.queues[#st.queues + 1] = q
            st.queues[#st.queues + 1] = jobj{
                'tier', jnum(agent_tier(h, q)),
                'reject_until', jnum(tonumber(h['reject_until:' .. q]) or 0),
                'answered', jnum(answered)}
            if st.state == 'available' and h.skills_key then
                e.free[h.skills_key] = (e.free[h.skills_key] or 0)
                    + (tonumber(h.capacity) or 0) - st.load
            end
        end
    end
    local calls, seen, stale = {}, {}, {}
    for _, e in ipairs(active) do
        for _, p in ipairs(e.open and e.pks or {}) do
            local free = e.free[p[1]] or 0
            local n = free > 0 and math.min(READY_MAX, free + READY_EXTRA) or 0
            for _, id in ipairs(n > 0 and redis.call('ZRANGE',
                                                     ready_key(e.q, p[1]),
                                                     0, n - 1) or {}) do
                -- the fields routing needs, not the caller's details
                local f = redis.call('HMGET', key(CC_KEY.CALL, id), 'state',
                                     'queue', 'created', 'priority', 'skills',
                                     'sticky_agent', 'routed', 'pending',
                                     'parked')
                local call = {state = f[1], pending = f[8], parked = f[9]}
                if not f[1] or f[2] ~= e.q or not rings(call) then
                    stale[#stale + 1] = {e.q, id, f[1]}
                elseif not seen[id] and caller_present(id, now) then
                    seen[id] = true
                    calls[#calls + 1] = jobj{
                        'id', js(id), 'queue', js(e.q), 'created', f[3],
                        'priority', jnum(tonumber(f[4]) or 0),
                        'skills', f[5] or '[]',
                        'declined', jstrings(sorted_members(
                            key(CC_KEY.CALL_DECLINED, id))),
                        'sticky', jnullable(f[6]), 'last', jnullable(f[7])}
                end
            end
        end
    end
    -- an index entry left behind (its call vanished or moved on) goes
    for _, x in ipairs(stale) do
        if x[3] then
            leave_ready(x[2], x[1])
        else
            leave_queue(x[1], x[2], now)
        end
    end
    local qs, as = {}, {}
    for _, e in ipairs(active) do
        qs[#qs + 1] = jobj{
            'name', js(e.q), 'open', e.open and 'true' or 'false',
            'strategy', js(e.s.strategy), 'priority', jnum(e.s.priority),
            'priority_aging', jnum(e.s.priority_aging),
            'tier_wait', jnum(e.s.tier_wait), 'sticky', jnum(e.s.sticky),
            'rr_last', jnullable(redis.call('HGET',
                                            key(CC_KEY.QUEUE_STATS, e.q),
                                            'rr_last'))}
    end
    for _, a in ipairs(order) do
        local st = states[a]
        as[#as + 1] = jobj{
            'id', js(a), 'order', jnum(tonumber(st.h.order) or 0),
            'status', js(st.state), 'load', jnum(st.load),
            'capacity', jnum(tonumber(st.h.capacity) or 0),
            'idle_since', jnum(tonumber(st.h.idle_since) or 0),
            'skills', st.h.skills or '[]', 'queues', jobj(st.queues)}
    end
    return jobj{'now', jnum(now), 'queues', jlist(qs), 'agents', jlist(as),
                'calls', jlist(calls)}
end)

-- The call, ready to ring now, and its queue's settings; else CONFLICT.
local function ready_call(id, now)
    local call = call_get(id)
    if not call or not rings(call)
        or not redis.call('ZSCORE', key(CC_KEY.QUEUE_WAITING, call.queue),
                          id) then
        fail('CONFLICT', 'call not waiting')
    end
    if not caller_present(id, now) then
        fail('CONFLICT', 'caller not present')
    end
    local s = settings(call.queue)
    if not opening(s, now) then
        fail('CONFLICT', 'queue closed')
    end
    return call, s
end

-- Why a may not be offered the call now, or nil.
local function cannot_offer(call, a, s, now)
    local q = call.queue
    if redis.call('SISMEMBER', key(CC_KEY.QUEUE_AGENTS, q), a) == 0 then
        return 'agent not in queue'
    end
    local state, h = agent_state(a, now)
    if state ~= 'available' then
        return 'agent not available'
    end
    if (tonumber(h['reject_until:' .. q]) or 0) > now then
        return 'agent in reject delay'
    end
    if not covers(set_of(cjson.decode(h.skills or '[]')),
                  cjson.decode(call.skills or '[]')) then
        return 'agent lacks skill'
    end
    if (agent_tier(h, q) - 1) * s.tier_wait > now - tonumber(call.created)
    then
        return 'agent tier not reached'
    end
end

-- A routing record (the router's JSON, docs/DESIGN.md): nil when none.
local function check_record(record)
    if record == nil or record == '' then
        return nil
    end
    local ok, r = pcall(cjson.decode, record)
    if #record > RECORD_MAX or not ok or type(r) ~= 'table'
        or type(r.reason) ~= 'string' then
        fail('BADREQ', 'bad routing record')
    end
    return record, r.reason
end

-- The call keeps its last ROUTING_KEPT records.
local function keep_record(id, call, record, reason)
    if record then
        local rk = key(CC_KEY.CALL_ROUTING, id)
        redis.call('RPUSH', rk, record)
        redis.call('LTRIM', rk, -ROUTING_KEPT, -1)
        call_key_life(id, CC_KEY.CALL_ROUTING, call.created)
        redis.call('HSET', key(CC_KEY.CALL, id), 'routed', reason)
    end
end

-- timeout "" (or 0): the queue's offer_timeout
register('cc_offer', function(id, a, timeout, record)
    local now = now_ms()
    local reason
    record, reason = check_record(record)
    local call, s = ready_call(id, now)
    local why = cannot_offer(call, a, s, now)
    if why then
        fail('CONFLICT', why)
    end
    timeout = tonumber(timeout) or 0
    make_offer(id, call, {a}, timeout > 0 and timeout or s.offer_timeout, now)
    redis.call('HSET', key(CC_KEY.QUEUE_STATS, call.queue), 'rr_last', a)
    keep_record(id, call, record, reason)
    return redis.status_reply('OK')
end)

-- Ring-all: every listed agent that may take the call now is offered it
-- at once; the first accept wins (cc_agent_accept).
register('cc_ring', function(id, record, ...)
    local now = now_ms()
    local reason
    record, reason = check_record(record)
    local call, s = ready_call(id, now)
    local agents, why = {}, 'no agent'
    for _, a in ipairs{...} do
        local no = cannot_offer(call, a, s, now)
        if no then
            why = no
        else
            agents[#agents + 1] = a
        end
    end
    if #agents == 0 then
        fail('CONFLICT', why)
    end
    make_offer(id, call, agents, s.offer_timeout, now)
    keep_record(id, call, record, reason)
    return redis.status_reply('OK')
end)

-- A decision that offered nobody (waiting for a sticky agent, a tier).
register('cc_route_note', function(id, record)
    local reason
    record, reason = check_record(record)
    local call = call_get(id)
    if call and call.state ~= 'ended' then
        keep_record(id, call, record, reason)
    end
    return redis.status_reply('OK')
end)

-- a let an offer of q ring out: after max_no_answer in a row, away
local function no_answer(a, q, now)
    local n = redis.call('HINCRBY', key(CC_KEY.AGENT, a), 'no_answer', 1)
    local max = settings(q).max_no_answer
    if max > 0 and n >= max and agent_status(a) == 'available' then
        redis.call('HDEL', key(CC_KEY.AGENT, a), 'no_answer')
        set_away(a, now, 'no_answer')
    end
end

-- Withdraws offers that are over: {call, agent, queue, reason} each, a
-- ring-all's one per agent.
register('cc_expire_offers', function(max)
    local now = now_ms()
    local withdrawn = {}
    local offers = redis.call('ZRANGE', CC_KEY.OFFERS, 0, tonumber(max) - 1,
                              'WITHSCORES')
    for i = 1, #offers, 2 do
        local id = offers[i]
        local call = call_get(id)
        if not call or call.state ~= 'offered' then
            redis.call('ZREM', CC_KEY.OFFERS, id)   -- vanished
        elseif tonumber(offers[i + 1]) <= now then
            local agents = ringing(id, call)
            requeue(id, call, 'timeout', now)
            for _, a in ipairs(agents) do
                withdrawn[#withdrawn + 1] = {id, a, call.queue, 'timeout'}
                no_answer(a, call.queue, now)
            end
        else
            for _, a in ipairs(ringing(id, call)) do
                local reason
                if agent_status(a) == 'away' then
                    reason = 'away'
                elseif not present(a, now) then
                    reason = 'absent'
                end
                if reason then
                    drop_from_ring(id, call, a, reason, now)
                    withdrawn[#withdrawn + 1] = {id, a, call.queue, reason}
                end
            end
        end
    end
    return withdrawn
end)

-- Ends the wrap-ups that ran out: {agent, "wrapup_end", queue} each.
register('cc_expire_agents', function(max)
    local now = now_ms()
    local out = {}
    for _, a in ipairs(redis.call('ZRANGEBYSCORE', CC_KEY.AGENTS_WRAPUP,
                                  '-inf', now, 'LIMIT', 0, tonumber(max))) do
        local q = redis.call('HGET', key(CC_KEY.AGENT, a), 'wrapup_queue')
        end_wrapup(a)
        if agent_status(a) == 'available' then
            emit_status(a, now)
            work_for_agent(a)
        end
        out[#out + 1] = {a, 'wrapup_end', q or ''}
    end
    status_sweep(now, tonumber(max))
    return out
end)

local function waiting(call)
    return call and (call.state == 'queued' or call.state == 'offered')
end

-- After overflow_after the call goes to the overflow queue, keeping its
-- arrival; the caller is told (transferred, then queued).
local function overflow(id, call, target, now)
    if call.state == 'offered' then
        revoke_offer(id, call, 'overflow')
    end
    leave_queue(call.queue, id, now)
    local ck = key(CC_KEY.CALL, id)
    redis.call('HSET', ck, 'state', 'queued', 'queue', target)
    redis.call('HDEL', ck, 'position')
    redis.call('DEL', key(CC_KEY.CALL_DECLINED, id))
    call.queue = target
    call.state = 'queued'
    emit_call(id, 'transferred',
              call_data(id, {'to', jobj{'queue', js(target)}}))
    enter_queue(id, call, now)
    work(target)
end

-- Ends (or moves) the waiting calls that are over, at most max: {call,
-- queue, waited ms, reason} each, reason `abandoned`, `timeout`, or
-- `overflow` (then a fifth element: the queue it went to).  Abandoned: the
-- caller's streams are gone for their grace, or it never opened one within
-- the grace cc_call_create gave; a caller who left a message is not: its
-- call only stops ringing (parked) until the caller comes back.  Timeout:
-- the call waited (since it arrived) longer than its queue's max_wait
-- (max_wait ms when neither the queue nor the defaults say; 0: no limit)
-- or, when its caller left a message, longer than message_wait ms.  Each
-- zset read is by score with LIMIT: O(queues + log n + max).
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
            if not waiting(call) then
                -- over, or vanished
            elseif not caller_present(id, now) then
                if not call.left_message then
                    over(id, call, 'abandoned')
                elseif not call.parked then
                    redis.call('HSET', key(CC_KEY.CALL, id), 'parked', '1')
                    leave_ready(id, call.queue)
                end
            elseif k == CC_KEY.CALLERS_STREAMS then
                streams_run_out(id, redis.call('ZRANGE',
                    key(CC_KEY.CALL_CONNS, id), -1, -1, 'WITHSCORES')[2])
            end
        end
    end
    gone(CC_KEY.CALLERS_LEAVING)
    if #ended < max then
        gone(CC_KEY.CALLERS_STREAMS)
    end
    -- calls that the library before queue settings (a module not upgraded
    -- yet) put in their queue: ranked, indexed, swept like ours
    for _, k in ipairs{CC_KEY.OLD_WAITING, CC_KEY.OLD_MESSAGES} do
        for _, id in ipairs(redis.call('ZRANGE', k, 0, max - 1)) do
            redis.call('ZREM', k, id)
            local call = call_get(id)
            if waiting(call) and not call.pending then
                local s = settings(call.queue)
                redis.call('ZADD', key(CC_KEY.QUEUE_WAITING, call.queue),
                           rank_score(s, call.created, call.priority), id)
                redis.call('ZADD', waits_in(call.queue, call), call.created,
                           id)
                status_queue_touch(call.queue)
                if rings(call) then
                    enter_ready(id, call, call.queue, s)
                end
            end
        end
    end
    -- the calls of q's zset fmt that arrived before `before`: fn(id, call)
    -- each
    local function sweep(q, fmt, before, fn)
        local k = key(fmt, q)
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', k, '-inf', before,
                                       'LIMIT', 0, max - #ended)) do
            local call = call_get(id)
            if waiting(call) and call.queue == q then
                fn(id, call)
            elseif not call then
                leave_queue(q, id, now)                  -- vanished
            else
                redis.call('ZREM', k, id)
                status_queue_touch(q)
            end
        end
    end
    for _, q in ipairs(sorted_members(CC_KEY.QUEUES)) do
        local s = settings(q)
        local to = s.overflow_queue
        if s.overflow_after > 0 and to ~= '' and #ended < max
            and redis.call('SISMEMBER', CC_KEY.QUEUES, to) == 1 then
            sweep(q, CC_KEY.QUEUE_ARRIVALS, now - s.overflow_after,
                  function(id, call)
                      ended[#ended + 1] = {id, q,
                          jnum(now - tonumber(call.created)), 'overflow', to}
                      overflow(id, call, to, now)
                  end)
        end
        local wait = s.given.max_wait and s.max_wait or max_wait
        if wait > 0 and #ended < max then
            sweep(q, CC_KEY.QUEUE_ARRIVALS, now - wait,
                  function(id, call) over(id, call, 'timeout') end)
        end
        if #ended < max then
            sweep(q, CC_KEY.QUEUE_MESSAGES, now - message_wait,
                  function(id, call) over(id, call, 'timeout') end)
        end
    end
    return ended
end)
end
