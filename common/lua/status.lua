-- Status ------------------------------------------------------------------

-- (one block: its locals leave the library's, at most 200, alone; the
-- router's sweep calls status_sweep)
local status_sweep

do
    local OUTCOMES = {'assigned', 'abandoned', 'ended'}
    local AGENT_STATES = {'available', 'busy', 'wrapup', 'away', 'offline'}
    local AGENT_UP = {'available', 'wrapup', 'away', 'offline'}
    local OFFERS_LOST = {'rejected', 'timeout', 'away', 'absent'}
    local MESSAGES = {{'caller', 'keep'}, {'caller', 'live'}, {'agent', 'keep'},
                      {'agent', 'live'}}
    -- a router's counters (router/stats.c), in the order cc_router_stats
    -- takes them
    local ROUTER_COUNTS = {'offers', 'rings', 'conflicts', 'claims', 'sweeps'}
    local ROUTER_STATS_TTL_MS = 600000 -- a silent router's figures stay
                                       -- this long
    local ROUTERS_SHOWN = 64           -- the routers seen last, at most

    -- Status figures ----------------------------------------------------------
    --
    -- An answer reads the figures, it computes none (docs/DESIGN.md, "Status
    -- figures"): each agent's part of the answers is kept in cc:status:parts
    -- (its JSON member, its Prometheus samples: sorted by their text, so by
    -- agent) and its states are counted in the stats of its queues
    -- (agents_STATE), both made again from the agent's state (status_update)
    -- whenever a function changed it (status_touch, once the function is done)
    -- or when time alone changes it (its presence runs out, its wrap-up ends:
    -- cc:status:due, looked at by the router's sweep and by every answer).

    -- its field of cc:status:agents: the last repair's ms, once built.  `~2`
    -- since records hold the staffing sums: figures an earlier build of
    -- the records made (`~`, whose queues keep no sums) are built again.
    local STATUS_BUILT = '~2'
    local STATUS_REPAIR_MS = 1000       -- a sweep checks an agent this often
    local STATUS_COALESCE_MS = 1000     -- the sweep takes an agent this long
                                        -- after it was due

    -- What the answers show of agent a now, and when that changes with time
    -- alone (nil: never, until a function changes it).
    local function agent_figures(a, now)
        local h = redis.call('HMGET', key(CC_KEY.AGENT, a), 'name',
                             'capacity', 'status', 'queues', 'wrapup_until')
        local ck = key(CC_KEY.AGENT_CONNS, a)
        redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
        -- the last connection to run out: present while one has not
        local last = redis.call('ZRANGE', ck, -1, -1, 'WITHSCORES')[2]
        local f = {
            name = h[1] or a, capacity = tonumber(h[2] or 0),
            status = h[3] or 'away', present = last ~= nil,
            calls = held(a),
            offers = #live_ids(key(CC_KEY.AGENT_OFFERS, a)),
            -- as cc_agents_load wrote it: jstrings of names
            queues = h[4] or '[]',
        }
        local due = tonumber(last)
        if not f.present then
            f.status = 'offline'
        elseif f.status == 'available'
            and in_wrapup({wrapup_until = h[5]}, now) then
            f.status = 'wrapup'
            due = math.min(due, tonumber(h[5]))
        end
        f.states = {
            available = f.status == 'available'
                and f.calls + f.offers < f.capacity,
            busy = f.present and f.calls > 0,
            wrapup = f.status == 'wrapup',
            away = f.status == 'away',
            offline = not f.present,
        }
        -- what it adds to its queues' staffing (queues.lua, staffing): its
        -- capacity while present and not away, its free slots while it may
        -- take a call (load by set sizes, as the walk counted it)
        f.staffed = (f.status == 'available' or f.status == 'wrapup')
            and f.capacity or 0
        f.free = f.states.available and f.capacity - f.calls - f.offers or 0
        return f, due
    end

    -- An agent's record in cc:status:agents, tab-separated (JSON escapes
    -- tabs): its states (a 0/1 per AGENT_STATES, then SP staffed SP free),
    -- its queues (NAME,NAME),
    -- then its parts of the answers: its JSON member after a comma, its
    -- callcenter_agent_calls sample, its callcenter_agent_up samples (one
    -- per AGENT_UP), each line with its newline: an answer returns them as
    -- they are, no separator between (each string returned costs).  Ids
    -- and queue names need no escaping.
    local function status_record(a, f)
        local bits = {}
        for i, state in ipairs(AGENT_STATES) do
            bits[i] = f.states[state] and '1' or '0'
        end
        local function up(s)
            return f.status == s and '"} 1\n' or '"} 0\n'
        end
        local calls = count_text(f.calls)
        local agent = 'callcenter_agent_up{agent="' .. a .. '",status="'
        -- one concatenation (string.format made each number again)
        return table.concat(bits) .. ' ' .. count_text(f.staffed) .. ' '
            .. count_text(f.free) .. '\t' .. f.queues:gsub('[%[%]"]', '')
            .. '\t,"' .. a .. '":{"name":' .. js(f.name) .. ',"status":"'
            .. f.status .. '","calls":' .. calls .. ',"offers":'
            .. count_text(f.offers) .. ',"queues":' .. f.queues
            .. ',"capacity":' .. count_text(f.capacity)
            .. '}\tcallcenter_agent_calls{agent="' .. a .. '"} ' .. calls
            .. '\n\t' .. agent .. 'available' .. up('available')
            .. agent .. 'wrapup' .. up('wrapup') .. agent .. 'away'
            .. up('away') .. agent .. 'offline' .. up('offline')
    end

    -- the five fields of a record
    local function record_fields(record)
        local f, from = {}, 1
        for i = 1, 4 do
            local tab = record:find('\t', from, true)
            f[i] = record:sub(from, tab - 1)
            from = tab + 1
        end
        f[5] = record:sub(from)
        return f
    end

    -- Answers by difference (docs/DESIGN.md, "Status figures"): every
    -- record a module's mirror holds (an agent's JSON member, a queue's
    -- record) is kept in cc:status:shown under its key (`a` .. id, `q` ..
    -- name); each change of one counts in cc:status:version's n and puts
    -- its key at that n in cc:status:log, so the keys changed after a
    -- version are one ZRANGEBYSCORE.  quiet: a build, whose new epoch sends
    -- every mirror the whole (no log).  A removed key stays in the log (a
    -- tombstone) and in cc:status:gone by when, for the sweep.
    local STATUS_TOMBSTONE_MS = 86400000

    -- m of k with v: field m of hash k = v, or (zset) member m scored v;
    -- v nil: m gone
    local function put(k, m, v, zset)
        if not v then
            redis.call(zset and 'ZREM' or 'HDEL', k, m)
        elseif zset then
            redis.call('ZADD', k, v, m)
        else
            redis.call('HSET', k, m, v)
        end
    end

    local function status_show(k, record, now, quiet)
        local was = redis.call('HGET', CC_KEY.STATUS_SHOWN, k) or nil
        if was == record then
            return
        end
        put(CC_KEY.STATUS_SHOWN, k, record)
        if quiet then
            return
        end
        redis.call('ZADD', CC_KEY.STATUS_LOG, jnum(redis.call('HINCRBY',
                   CC_KEY.STATUS_VERSION, 'n', '1')), k)
        if not record then
            redis.call('ZADD', CC_KEY.STATUS_GONE, now, k)
        elseif not was then
            redis.call('ZREM', CC_KEY.STATUS_GONE, k)
        end
    end

    -- an agent's JSON member in its record, without the comma (nil: none)
    local function agent_member(record)
        return record and record:match('^[^\t]*\t[^\t]*\t,([^\t]*)') or nil
    end

    -- a's figures made again from its state: its record, its parts, the
    -- counts of its states in its queues (by the difference, the queues
    -- touched), its due time, its member shown (compared with the one
    -- shown even when the record is the same: a library before this one
    -- may have made the record, and logged nothing).
    local function status_update(a, now, quiet)
        local old = redis.call('HGET', CC_KEY.STATUS_AGENTS, a) or nil
        local new, due
        if redis.call('SISMEMBER', CC_KEY.AGENTS, a) == 1 then
            local f
            f, due = agent_figures(a, now)
            new = status_record(a, f)
        end
        put(CC_KEY.STATUS_DUE, a, due, true)
        if old == new then
            status_show('a' .. a, agent_member(new), now, quiet)
            return
        end
        local was = old and record_fields(old) or {'', '', false, false, false}
        local is = new and record_fields(new) or {'', '', false, false, false}
        -- the parts that changed
        local gone, came = {}, {}
        for i = 3, 5 do
            if was[i] ~= is[i] then
                gone[#gone + 1] = was[i] or nil
                came[#came + 1] = is[i] and 0 or nil
                came[#came + 1] = is[i] or nil
            end
        end
        if #gone > 0 then
            redis.call('ZREM', CC_KEY.STATUS_PARTS, unpack(gone))
        end
        if #came > 0 then
            redis.call('ZADD', CC_KEY.STATUS_PARTS, unpack(came))
        end
        put(CC_KEY.STATUS_AGENTS, a, new)
        status_show('a' .. a, agent_member(new), now, quiet)
        if was[1] == is[1] and was[2] == is[2] then
            return
        end
        -- the counts: the old states out of the old queues, the new in
        local counts, order = {}, {}
        local function move(q, field, n)
            local k = q .. ' ' .. field
            if not counts[k] then
                counts[k] = 0
                order[#order + 1] = {q, field, k}
            end
            counts[k] = counts[k] + n
        end
        local function count(fields, sign)
            local staffed, free = fields[1]:match(' (%d+) (%d+)$')
            for q in fields[2]:gmatch('[^,]+') do
                for i, state in ipairs(AGENT_STATES) do
                    if fields[1]:sub(i, i) == '1' then
                        move(q, 'agents_' .. state, sign)
                    end
                end
                move(q, 'staffed', sign * (tonumber(staffed) or 0))
                move(q, 'free_slots', sign * (tonumber(free) or 0))
            end
        end
        count(was, -1)
        count(is, 1)
        for _, c in ipairs(order) do
            if counts[c[3]] ~= 0 then
                redis.call('HINCRBY', key(CC_KEY.QUEUE_STATS, c[1]), c[2],
                           counts[c[3]])
                if c[2]:sub(1, 7) == 'agents_' then
                    status_queue_touch(c[1])
                end
            end
        end
    end

    -- true once the figures are built
    local function status_built()
        return redis.call('HEXISTS', CC_KEY.STATUS_AGENTS, STATUS_BUILT) == 1
    end

    -- The agents an answer or an estimate makes again before it reads, at
    -- most: each costs 30-60 us, and a mass change (every agent's presence
    -- running out at once after Redis lost its connections) must not hold
    -- Redis for ms in one call; the next calls take the rest.
    local STATUS_DUE_MAX = 64

    -- the agents whose figures time changed by now (at most max, -1: all)
    local function status_due(now, max)
        for _, a in ipairs(redis.call('ZRANGEBYSCORE', CC_KEY.STATUS_DUE,
                                      '-inf', now, 'LIMIT', 0, max)) do
            status_update(a, now)
        end
    end

    -- The agents a function changed are due now: made again by the next
    -- answer (before it reads), else by the sweep STATUS_COALESCE_MS later,
    -- once for all the changes in between.  So a change costs one ZADD, not
    -- the reads of status_update (30-60 us more an offer, an accept, an
    -- end).  LT: never later than a due time already there; figures not
    -- built yet: status_build starts the zset afresh.  The queues it
    -- changed are due at once (score 0, no clock read: a chat message
    -- marks its queue), made by the next answer or the router's next
    -- sweep, once a tick whatever their changes.
    -- the members of touched due at `at` in zset k (at false: none, the
    -- function failed), touched emptied; one member (a chat message's
    -- queue, an accept's agent) without a table
    local function mark_due(k, touched, at)
        local x = next(touched)
        if next(touched, x) == nil then
            touched[x] = nil
            if at then
                redis.call('ZADD', k, 'LT', at, x)
            end
            return
        end
        local due = {}
        for y in pairs(touched) do
            due[#due + 1] = at
            due[#due + 1] = y
            touched[y] = nil
        end
        if at then
            redis.call('ZADD', k, 'LT', unpack(due))
        end
    end

    status_flush = function(ok)
        if next(STATUS_TOUCHED) then
            mark_due(CC_KEY.STATUS_DUE, STATUS_TOUCHED, ok and now_ms())
        end
        if next(STATUS_QUEUES_TOUCHED) then
            mark_due(CC_KEY.STATUS_QUEUES_DUE, STATUS_QUEUES_TOUCHED,
                     ok and '0')
        end
    end

    -- q's staffing from its kept sums, the agents due made again first (as
    -- an answer does): exact, and one read when none is due; with the
    -- queue's handle time of the same hash (aht: false when none yet).
    status_staffing = function(q, now)
        if not status_built() then
            return nil
        end
        status_due(now, STATUS_DUE_MAX)
        local n = redis.call('HMGET', key(CC_KEY.QUEUE_STATS, q),
                             'agents_available', 'staffed', 'free_slots',
                             'aht_ewma_ms')
        return {ready = tonumber(n[1]) or 0, staffed = tonumber(n[2]) or 0,
                free = tonumber(n[3]) or 0, aht = tonumber(n[4]) or false}
    end

    -- a queue's counters: a field never counted is 0
    local COUNTS = {__index = function() return 0 end}

    -- when open or opens_at change with time alone (opening's next turn),
    -- nil: never
    local function hours_change(s, now)
        for _, r in ipairs(s.hours or {}) do
            if now < r[1] then
                return r[1]
            end
            if now < r[2] then
                return r[2]
            end
        end
    end

    local function queue_figures(q, now)
        local s = settings(q)
        local arrived = now
        for _, fmt in ipairs{CC_KEY.QUEUE_ARRIVALS, CC_KEY.QUEUE_MESSAGES} do
            local oldest = redis.call('ZRANGE', key(fmt, q), 0, 0, 'WITHSCORES')
            if oldest[2] then
                arrived = math.min(arrived, tonumber(oldest[2]))
            end
        end
        local open = opening(s, now)
        local f = {
            waiting = redis.call('ZCARD', key(CC_KEY.QUEUE_WAITING, q)),
            longest_wait = math.floor((now - arrived) / 1000), open = open,
            messages_waiting = redis.call('ZCARD',
                                          key(CC_KEY.QUEUE_MESSAGES, q)),
            n = setmetatable({}, COUNTS),
        }
        -- every counter of the queue in one read
        local counters = redis.call('HGETALL', key(CC_KEY.QUEUE_STATS, q))
        for i = 1, #counters, 2 do
            f.n[counters[i]] = tonumber(counters[i + 1])
        end
        -- percent of the calls that left the queue answered in time
        local left = f.n.assigned + f.n.abandoned
        if left > 0 then
            f.service_level = math.floor(100 * f.n.answered_in_sl / left + 0.5)
        end
        return f
    end

    -- the counters of a queue's JSON member (queue_member), in its order,
    -- and answered_in_sl (9th)
    local TAIL_COUNTS = {'agents_available', 'agents_busy', 'agents_wrapup',
        'agents_away', 'agents_offline', 'assigned', 'abandoned', 'ended',
        'answered_in_sl', 'timeout', 'offers_rejected', 'offers_timeout',
        'offers_away', 'offers_absent', 'messages_caller_keep',
        'messages_caller_live', 'messages_agent_keep', 'messages_agent_live'}

    -- q's JSON member, its name then its figures, as HEAD, the ms of its
    -- oldest call waiting (nil: none), TAIL (around longest_wait: the
    -- queue's record of the answers by difference, docs/DESIGN.md, is HEAD
    -- TAB ARRIVED TAB TAIL); and when it changes with time alone.  Its
    -- settings as settings(q) keeps them; the counters as Redis holds them,
    -- digits, joined by one concatenation (string.format's %d made each
    -- again: three times the cost).
    local function queue_member(q, now)
        local s = settings(q)
        local a = tonumber(redis.call('ZRANGE', key(CC_KEY.QUEUE_ARRIVALS, q),
                                      '0', '0', 'WITHSCORES')[2])
        -- the oldest message read only when there is one (the usual: none)
        local mk = key(CC_KEY.QUEUE_MESSAGES, q)
        local messages = redis.call('ZCARD', mk)
        local m = messages > 0 and tonumber(redis.call('ZRANGE', mk, '0', '0',
                                                       'WITHSCORES')[2])
        local c = redis.call('HMGET', key(CC_KEY.QUEUE_STATS, q),
                             unpack(TAIL_COUNTS))
        for i = 1, #TAIL_COUNTS do
            c[i] = c[i] or '0'
        end
        -- percent of the calls that left the queue answered in time
        local left = c[6] + c[7]
        local open, opens_at = opening(s, now)
        local head = js(q) .. ':{"waiting":' .. count_text(redis.call('ZCARD',
            key(CC_KEY.QUEUE_WAITING, q))) .. ',"longest_wait":'
        local tail = ',"agents_available":' .. c[1]
            .. ',"agents_busy":' .. c[2] .. ',"agents_wrapup":' .. c[3]
            .. ',"agents_away":' .. c[4] .. ',"agents_offline":' .. c[5]
            .. ',"assigned":' .. c[6] .. ',"abandoned":' .. c[7]
            .. ',"ended":' .. c[8] .. ',"service_level":'
            .. (left > 0 and jnum(math.floor(100 * c[9] / left + 0.5))
                or 'null')
            .. ',"service_level_seconds":'
            .. jnum(math.floor(s.service_level / 1000))
            .. ',"open":' .. (open and 'true' or 'false')
            .. ',"opens_at":' .. (opens_at and jnum(opens_at) or 'null')
            .. ',"strategy":' .. js(s.strategy)
            .. ',"messages_waiting":' .. count_text(messages)
            .. ',"timed_out":' .. c[10] .. ',"offers_rejected":' .. c[11]
            .. ',"offers_timed_out":' .. c[12] .. ',"offers_away":' .. c[13]
            .. ',"offers_absent":' .. c[14]
            .. ',"messages_caller_keep":' .. c[15]
            .. ',"messages_caller_live":' .. c[16]
            .. ',"messages_agent_keep":' .. c[17]
            .. ',"messages_agent_live":' .. c[18] .. '}'
        return head, m and math.min(a or m, m) or a, tail,
            hours_change(s, now)
    end

    -- q's record made again from its state (removed: q is no queue now),
    -- due again when its hours turn
    local function queue_make(q, now, quiet)
        local record, due
        if redis.call('SISMEMBER', CC_KEY.QUEUES, q) == 1 then
            local head, arrived, tail
            head, arrived, tail, due = queue_member(q, now)
            record = head .. '\t' .. (arrived and jnum(arrived) or '') .. '\t'
                .. tail
        end
        put(CC_KEY.STATUS_QUEUES_DUE, q, due, true)
        status_show('q' .. q, record, now, quiet)
    end

    -- The queues due by now (at most max, -1: all), and with `touched`
    -- those this function touched so far (an answer: status_update moved
    -- their counts), each made once.
    local function queues_due(now, max, touched)
        local qs = redis.call('ZRANGEBYSCORE', CC_KEY.STATUS_QUEUES_DUE,
                              '-inf', jnum(now), 'LIMIT', '0', max)
        if touched then
            for q in pairs(STATUS_QUEUES_TOUCHED) do
                qs[#qs + 1] = q
            end
            STATUS_QUEUES_TOUCHED = {}
        end
        if #qs == 0 then
            return
        end
        local made = {}
        for _, q in ipairs(qs) do
            if not made[q] then
                made[q] = true
                queue_make(q, now)
            end
        end
    end

    -- Every record shown made afresh under a new epoch (every mirror gets
    -- the whole): after a build of the figures, or when the figures were
    -- built by a library before the records.  O(agents + queues), once.
    local function status_epoch(now)
        local t = redis.call('TIME')
        redis.call('DEL', CC_KEY.STATUS_SHOWN, CC_KEY.STATUS_LOG,
                   CC_KEY.STATUS_GONE, CC_KEY.STATUS_QUEUES_DUE)
        redis.call('HSET', CC_KEY.STATUS_VERSION, 'epoch', t[1] .. '-' .. t[2],
                   'n', 0, 'floor', 0)
        local kept = redis.call('HGETALL', CC_KEY.STATUS_AGENTS)
        for i = 1, #kept, 2 do
            local member = agent_member(kept[i + 1])
            if member then
                redis.call('HSET', CC_KEY.STATUS_SHOWN, 'a' .. kept[i], member)
            end
        end
        for _, q in ipairs(redis.call('SMEMBERS', CC_KEY.QUEUES)) do
            queue_make(q, now, true)
        end
        -- made now: what the build touched is no change
        STATUS_QUEUES_TOUCHED = {}
    end

    -- The figures made from the state, when there are none: the first answer
    -- of this version (a library before it kept none), or a Redis that lost
    -- them.  O(agents), once.
    local function status_build(now)
        if status_built() then
            return
        end
        redis.call('DEL', CC_KEY.STATUS_AGENTS, CC_KEY.STATUS_PARTS,
                   CC_KEY.STATUS_DUE)
        for _, q in ipairs(redis.call('SMEMBERS', CC_KEY.QUEUES)) do
            local zero = {'staffed', 0, 'free_slots', 0}
            for _, state in ipairs(AGENT_STATES) do
                zero[#zero + 1] = 'agents_' .. state
                zero[#zero + 1] = 0
            end
            redis.call('HSET', key(CC_KEY.QUEUE_STATS, q), unpack(zero))
            queue_stats_table(q)
        end
        for _, a in ipairs(redis.call('SMEMBERS', CC_KEY.AGENTS)) do
            status_update(a, now, true)
        end
        redis.call('HSET', CC_KEY.STATUS_AGENTS, STATUS_BUILT, now)
        -- the records too, at the first answer by difference
        redis.call('DEL', CC_KEY.STATUS_VERSION)
    end

    -- The router's sweep (cc_expire_agents): the agents and queues due,
    -- and once a STATUS_REPAIR_MS one agent and one queue made again from
    -- their state and one record and one shown checked, at random: what a
    -- function of the version before changed (a rolling upgrade), or a
    -- held call whose keys expired, is right again.  Then too tombstones a
    -- day old leave the log, the floor rising past them.
    status_sweep = function(now, max)
        local last = tonumber(redis.call('HGET', CC_KEY.STATUS_AGENTS,
                                         STATUS_BUILT))
        if not last then
            return
        end
        status_due(now - STATUS_COALESCE_MS, max)
        queues_due(now - STATUS_COALESCE_MS, max)
        if now - last < STATUS_REPAIR_MS then
            return
        end
        local agents = {redis.call('SRANDMEMBER', CC_KEY.AGENTS),
                        redis.call('HRANDFIELD', CC_KEY.STATUS_AGENTS)}
        local queues = {redis.call('SRANDMEMBER', CC_KEY.QUEUES)}
        local k = redis.call('HRANDFIELD', CC_KEY.STATUS_SHOWN)
        if k then
            local list = k:sub(1, 1) == 'a' and agents or queues
            list[#list + 1] = k:sub(2)
        end
        for _, x in ipairs(agents) do
            if x and x ~= STATUS_BUILT then
                status_update(x, now)
            end
        end
        for _, x in ipairs(queues) do
            if x then
                queue_make(x, now)
            end
        end
        redis.call('HSET', CC_KEY.STATUS_AGENTS, STATUS_BUILT, now)
        local gone = redis.call('ZRANGEBYSCORE', CC_KEY.STATUS_GONE, '-inf',
                                now - STATUS_TOMBSTONE_MS, 'LIMIT', 0, max)
        if #gone > 0 then
            local floor = tonumber(redis.call('HGET', CC_KEY.STATUS_VERSION,
                                              'floor')) or 0
            for _, x in ipairs(gone) do
                local n = tonumber(redis.call('ZSCORE', CC_KEY.STATUS_LOG, x))
                if n and redis.call('HEXISTS', CC_KEY.STATUS_SHOWN, x) == 0
                then
                    floor = math.max(floor, n)
                    redis.call('ZREM', CC_KEY.STATUS_LOG, x)
                end
            end
            redis.call('ZREM', CC_KEY.STATUS_GONE, unpack(gone))
            redis.call('HSET', CC_KEY.STATUS_VERSION, 'floor', floor)
        end
    end

    -- the parts of the answers in cc:status:parts from `from` up to `to`
    -- (excluded): each agent's, in the order of their ids
    local function agent_parts(from, to)
        return redis.call('ZRANGEBYLEX', CC_KEY.STATUS_PARTS, '[' .. from,
                          '(' .. to)
    end

    -- The routers seen last whose hashes have not expired: {names = {...}
    -- sorted, by = {NAME = {offers = N, ..., age = seconds}}}, each NAME
    -- escaped for a label value
    local function router_figures(now)
        local seen = redis.call('ZREVRANGE', CC_KEY.ROUTERS, 0,
                                ROUTERS_SHOWN - 1, 'WITHSCORES')
        local routers = {names = {}, by = {}}
        for i = 1, #seen, 2 do
            local h = hash(key(CC_KEY.ROUTER_STATS, seen[i]))
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

    -- An answer is a list of strings whose concatenation is its text: the
    -- module's way takes them as they are, for every string a function makes
    -- costs Redis time by the byte.  add(out, list, sep): list's items, sep
    -- between them.
    local function add(out, list, sep)
        for i, item in ipairs(list) do
            if i > 1 then
                out[#out + 1] = sep
            end
            out[#out + 1] = item
        end
    end

    local function status_json(now, queues)
        local qs = {}
        for i, q in ipairs(queues) do
            local head, arrived, tail = queue_member(q, now)
            qs[i] = head .. jnum(math.floor((now - math.min(now, arrived
                                                            or now)) / 1000))
                .. tail
        end
        local out = {'{"time":', jnum(now), ',"queues":{'}
        add(out, qs, ',')
        out[#out + 1] = '},"agents":{'
        -- the JSON members of the agents begin with a comma, then their
        -- quoted id: the first one's comma left out
        local members = agent_parts(',"', ',#')
        for i, m in ipairs(members) do
            out[#out + 1] = i == 1 and m:sub(2) or m
        end
        out[#out + 1] = '}}'
        return out
    end

    local function status_prometheus(queues, qf, routers)
        local out = {}
        local function line(text)
            out[#out + 1] = text
            out[#out + 1] = '\n'
        end
        local function metric(name, kind, help)
            line('# HELP ' .. name .. ' ' .. help)
            line('# TYPE ' .. name .. ' ' .. kind)
        end
        -- name{LABELS} value for each subject (labels[i]: its label) and, with
        -- label2, each of values (label2="value" added); value_of(subject,
        -- value): a count, or a string already formatted (a ratio, an age)
        local function grid(name, labels, subjects, label2, values, value_of)
            local more = {''}
            if label2 then
                for i, v in ipairs(values) do
                    more[i] = ',' .. label2 .. '="' .. v .. '"'
                end
            end
            for i, s in ipairs(subjects) do
                for j, m in ipairs(more) do
                    local x = value_of(s, label2 and values[j])
                    line(string.format(type(x) == 'string' and '%s{%s%s} %s'
                                       or '%s{%s%s} %d', name, labels[i], m, x))
                end
            end
        end
        local ql = {}
        for i, q in ipairs(queues) do
            ql[i] = 'queue="' .. q .. '"'
        end
        local function per_queue(name, kind, help, label2, values, value_of)
            metric(name, kind, help)
            grid(name, ql, queues, label2, values,
                 function(q, v) return value_of(qf[q], v) end)
        end
        -- the count of the field prefix .. value
        local function counted(prefix)
            return function(f, v) return f.n[prefix .. v] end
        end
        per_queue('callcenter_queue_waiting', 'gauge',
                  'Calls waiting in the queue.', nil, nil,
                  function(f) return f.waiting end)
        per_queue('callcenter_queue_messages_waiting', 'gauge',
                  'Calls waiting in the queue whose caller left a '
                  .. 'message.', nil, nil,
                  function(f) return f.messages_waiting end)
        per_queue('callcenter_queue_open', 'gauge',
                  '1 while the queue is within its hours, else 0.', nil, nil,
                  function(f) return f.open and 1 or 0 end)
        per_queue('callcenter_queue_longest_wait_seconds', 'gauge',
                  'Wait of the oldest call waiting in the queue.', nil, nil,
                  function(f) return f.longest_wait end)
        per_queue('callcenter_queue_agents', 'gauge',
                  'Agents of the queue by state.', 'state', AGENT_STATES,
                  counted('agents_'))
        per_queue('callcenter_queue_calls_total', 'counter',
                  'Calls of the queue by outcome.', 'outcome', OUTCOMES,
                  counted(''))
        per_queue('callcenter_queue_answered_in_service_level_total', 'counter',
                  'Calls of the queue answered within the service level time.',
                  nil, nil, function(f) return f.n.answered_in_sl end)
        per_queue('callcenter_queue_calls_timed_out_total', 'counter',
                  'Calls of the queue ended for waiting too long.', nil, nil,
                  function(f) return f.n.timeout end)
        -- none before the first call left the queue
        local sl_queues, sl_labels = {}, {}
        for i, q in ipairs(queues) do
            if qf[q].service_level then
                sl_queues[#sl_queues + 1] = q
                sl_labels[#sl_labels + 1] = ql[i]
            end
        end
        metric('callcenter_queue_service_level_ratio', 'gauge',
               'Share of the calls that left the queue answered within the '
               .. 'service level time (none before the first).')
        grid('callcenter_queue_service_level_ratio', sl_labels, sl_queues, nil,
             nil, function(q)
                 local n = qf[q].n
                 return string.format('%.4f', n.answered_in_sl
                                      / (n.assigned + n.abandoned))
             end)
        per_queue('callcenter_queue_offers_lost_total', 'counter',
                  'Offers of the queue that went back to the queue, by reason.',
                  'reason', OFFERS_LOST, counted('offers_'))
        metric('callcenter_queue_messages_total', 'counter',
               'Messages accepted in calls of the queue, by sender and kind.')
        for i, q in ipairs(queues) do
            for _, m in ipairs(MESSAGES) do
                local field = 'messages_' .. m[1] .. '_' .. m[2]
                line(string.format('callcenter_queue_messages_total{%s,'
                                   .. 'from="%s",kind="%s"} %d', ql[i],
                                   m[1], m[2], qf[q].n[field]))
            end
        end
        local rl = {}
        for i, r in ipairs(routers.names) do
            rl[i] = 'router="' .. r .. '"'
        end
        local function per_router(name, kind, help, label2, values, value_of)
            metric(name, kind, help)
            grid(name, rl, routers.names, label2, values,
                 function(r, v) return value_of(routers.by[r], v) end)
        end
        per_router('callcenter_router_decisions_total', 'counter',
                   'Decisions the router committed, by kind (offer: to one '
                   .. 'agent, ring: to several at once).', 'kind',
                   {'offer', 'ring'},
                   function(h, k) return tonumber(h[k .. 's'] or 0) end)
        local function router_counter(name, field, help)
            per_router(name, 'counter', help, nil, nil,
                       function(h) return tonumber(h[field] or 0) end)
        end
        router_counter('callcenter_router_conflicts_total', 'conflicts',
                       'Decisions the library refused: the state had changed '
                       .. 'since the router read it.')
        router_counter('callcenter_router_claims_total', 'claims',
                       'Work entries the router claimed that another left '
                       .. 'unacknowledged (XAUTOCLAIM).')
        router_counter('callcenter_router_sweeps_total', 'sweeps',
                       'Full sweeps of the router (one a tick).')
        per_router('callcenter_router_last_seen_seconds', 'gauge',
                   'Seconds since the router last reported (each sweep).', nil,
                   nil, function(h) return string.format('%.3f', h.age) end)
        metric('callcenter_agent_calls', 'gauge', 'Calls the agent holds.')
        for _, p in ipairs(agent_parts('callcenter_agent_calls{',
                                       'callcenter_agent_calls|')) do
            out[#out + 1] = p
        end
        metric('callcenter_agent_up', 'gauge',
               '1 for the status the agent is in, 0 for the others.')
        for _, p in ipairs(agent_parts('callcenter_agent_up{',
                                       'callcenter_agent_up|')) do
            out[#out + 1] = p
        end
        return out
    end

    -- KEY, RECORD pairs of keys (RECORD "": removed) after out's items
    local function add_records(out, keys)
        for from = 1, #keys, 512 do
            local to = math.min(#keys, from + 511)
            local records = redis.call('HMGET', CC_KEY.STATUS_SHOWN,
                                       unpack(keys, from, to))
            for i = from, to do
                out[#out + 1] = keys[i]
                out[#out + 1] = records[i - from + 1] or ''
            end
        end
    end

    -- The answer by difference (docs/DESIGN.md): {"delta", EPOCH, N, now,
    -- the records changed after version...} for a mirror of this epoch at
    -- a version the log still tells, else {"full", EPOCH, N, now, every
    -- record...} (in no order).  No epoch yet (figures a library before
    -- the records built, or a build), or none made by this Lua VM yet:
    -- every record made under a new one.  A VM is new after Redis started
    -- (from a snapshot whose log is behind what mirrors saw: a version
    -- may count again to one a mirror holds, of other changes), a
    -- failover or a reload of the library.
    local epoch_made = false

    local function status_changes(epoch, version, now)
        local v = redis.call('HMGET', CC_KEY.STATUS_VERSION, 'epoch', 'n',
                             'floor')
        if not v[1] or not epoch_made then
            epoch_made = true
            status_epoch(now)
            v = redis.call('HMGET', CC_KEY.STATUS_VERSION, 'epoch', 'n',
                           'floor')
        end
        local n, since = tonumber(v[2]) or 0, tonumber(version)
        if epoch == v[1] and since and since == math.floor(since)
            and since >= (tonumber(v[3]) or 0) and since <= n then
            local out = {'delta', v[1], n, now}
            if since < n then
                add_records(out, redis.call('ZRANGEBYSCORE',
                                            CC_KEY.STATUS_LOG,
                                            '(' .. jnum(since), '+inf'))
            end
            return out
        end
        local out = {'full', v[1], n, now}
        for _, x in ipairs(redis.call('HGETALL', CC_KEY.STATUS_SHOWN)) do
            out[#out + 1] = x
        end
        return out
    end

    -- parts "parts": the answer as a list of strings, its text their
    -- concatenation (the module's way); "delta" (json only, with the
    -- mirror's epoch and version): the answer by difference
    register('cc_status', function(fmt, parts, epoch, version)
        if fmt ~= 'json' and fmt ~= 'prometheus' then
            fail('BADREQ', 'format must be json or prometheus')
        end
        if parts == 'delta' and fmt ~= 'json' then
            fail('BADREQ', 'delta: json only')
        end
        local now = now_ms()
        status_build(now)
        status_due(now, STATUS_DUE_MAX)
        if parts == 'delta' then
            queues_due(now, -1, true)
            return status_changes(epoch, version, now)
        end
        local queues, qf = sorted_members(CC_KEY.QUEUES), {}
        if fmt == 'json' then
            local answer = status_json(now, queues)
            return parts == 'parts' and answer or table.concat(answer)
        end
        for _, q in ipairs(queues) do
            qf[q] = queue_figures(q, now)
        end
        local answer = status_prometheus(queues, qf, router_figures(now))
        return parts == 'parts' and answer or table.concat(answer)
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
        local k = key(CC_KEY.ROUTER_STATS, name)
        for i, field in ipairs(ROUTER_COUNTS) do
            redis.call('HINCRBY', k, field, counts[i])
        end
        redis.call('PEXPIRE', k, ROUTER_STATS_TTL_MS)
        local now = now_ms()
        redis.call('ZADD', CC_KEY.ROUTERS, now, name)
        redis.call('ZREMRANGEBYSCORE', CC_KEY.ROUTERS, '-inf',
                   now - ROUTER_STATS_TTL_MS)
        redis.call('PEXPIRE', CC_KEY.ROUTERS, ROUTER_STATS_TTL_MS)
        return 'OK'
    end)
end
