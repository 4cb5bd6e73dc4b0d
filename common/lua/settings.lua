-- Queue settings ----------------------------------------------------------

-- What a queue does when neither the queues file nor the router's defaults
-- say (cc_queues_load): times in ms.
local BUILTIN = {
    strategy = 'longest-idle', offer_timeout = 20000, max_no_answer = 0,
    wrapup = 0, reject_delay = 0, priority = 0, priority_aging = 0,
    tier_wait = 0, max_wait = 3600000, overflow_after = 0,
    overflow_queue = '', sticky = 0, service_level = 20000, hours = 'null',
    day_offset = 0,
}

local NUMERIC = {
    offer_timeout = true, max_no_answer = true, wrapup = true,
    reject_delay = true, priority = true, priority_aging = true,
    tier_wait = true, max_wait = true, overflow_after = true, sticky = true,
    service_level = true, day_offset = true,
}

local STRATEGIES = {
    ['longest-idle'] = true, ['round-robin'] = true, ['top-down'] = true,
    ['least-busy'] = true, ['fewest-calls'] = true, random = true,
    ['ring-all'] = true,
}

-- q's settings: its own (cc:queue:Q), else the defaults, else BUILTIN;
-- numbers as numbers, hours decoded (nil: always open); s.given[f]: f
-- came from Redis, not BUILTIN.  Made once for the same two hashes
-- (kept): read the table only.
local settings
do
    local function settings_of(defaults, own)
        local s, given = {}, {}
        for _, flat in ipairs{defaults, own} do
            for i = 1, #flat, 2 do
                s[flat[i]] = flat[i + 1]
                given[flat[i]] = true
            end
        end
        for f, v in pairs(BUILTIN) do
            if not given[f] then
                s[f] = v
            elseif NUMERIC[f] then
                s[f] = tonumber(s[f]) or v
            end
        end
        s.given = given
        s.hours = cjson.decode(s.hours)
        if s.hours == cjson.null then
            s.hours = nil
        end
        return s
    end

    -- q's settings told apart by the DUMP of its hashes: each whole in one
    -- string (interned by Lua: compared as a pointer; false for none),
    -- where the 32 strings of a router's 16 fields by HGETALL, and their
    -- comparison, cost 45k instructions a hash, a DUMP 11k.  The hashes
    -- are read only when one changed; the defaults' DUMP not even, while
    -- q's own hash has every setting (a queue the queues file names: the
    -- router wrote them all).  At most 1024 queues kept.
    local kept, count = {}, 0
    local builtin_count         -- counted at the first call: loading a
                                -- library, Redis gives it no pairs()

    settings = function(q)
        local qk = key(CC_KEY.QUEUE, q)
        local own = redis.call('DUMP', qk)
        local k = kept[qk]
        if k and k.own == own and k.whole then
            return k.s
        end
        local defaults = redis.call('DUMP', CC_KEY.QUEUES_DEFAULTS)
        if k and k.own == own and k.defaults == defaults then
            return k.s
        end
        if not k then
            if count >= 1024 then
                kept, count = {}, 0
            end
            count = count + 1
        end
        if not builtin_count then
            builtin_count = 0
            for _ in pairs(BUILTIN) do
                builtin_count = builtin_count + 1
            end
        end
        local flat = redis.call('HGETALL', qk)
        local whole = 0
        for i = 1, #flat, 2 do
            whole = whole + (BUILTIN[flat[i]] and 1 or 0)
        end
        k = {own = own, defaults = defaults,
             whole = whole == builtin_count,
             s = settings_of(redis.call('HGETALL', CC_KEY.QUEUES_DEFAULTS),
                             flat)}
        kept[qk] = k
        return k.s
    end
end

-- With weight w per priority level a call's rank is created - level * w:
-- with aging (w = the aging period) a call gains a level per period
-- waited, continuously, so that two calls' order never flips back;
-- without, w outweighs any difference of arrival a live call can have.
local NO_AGING_WEIGHT = 1e10

local function rank_score(s, created, priority)
    local w = s.priority_aging > 0 and s.priority_aging or NO_AGING_WEIGHT
    return tonumber(created) - (s.priority + (tonumber(priority) or 0)) * w
end

-- A number as redis.call's argument: Redis makes its text with "%.17g"
-- (5k instructions, as much as a cheap command); an integer's is the same
-- by string.format's integer path, a fifth of it.  Scores, times and
-- positions are integers; any other number goes as it is.
local function int_arg(n)
    if n % 1 == 0 and n > -1e15 and n < 1e15 then
        return jnum(n)
    end
    return n
end

-- The text of a small count (a position, seconds, agents: 0..1023), made
-- once: string.format costs 1.5k instructions a number, and one departure
-- sends `queued` with three counts to each of some ten calls behind.
local count_text
do
    local texts = {}

    count_text = function(n)
        local t = texts[n]
        if t then
            return t
        end
        t = jnum(n)
        if n >= 0 and n < 1024 and n % 1 == 0 then
            texts[n] = t
        end
        return t
    end
end

-- tonumber of an argument a module sends alike each time (its
-- configuration: a ttl, a grace, a rate), remembered by its text: a
-- table read, not the 1k instructions of tonumber.  At most 256 kept.
local arg_number
do
    local kept, count = {}, 0

    arg_number = function(s)
        if s == nil then
            return nil
        end
        local n = kept[s]
        if n == nil then
            if count >= 256 then
                kept, count = {}, 0
            end
            n = tonumber(s) or false
            kept[s] = n
            count = count + 1
        end
        return n or nil
    end
end

-- Whether the queue is open at now, and when it opens next if not (ms, or
-- nil when the hours the router computed show no opening).  hours: sorted
-- open intervals [from, to).
local function opening(s, now)
    if not s.hours then
        return true
    end
    for _, r in ipairs(s.hours) do
        if now < r[1] then
            return false, r[1]
        end
        if now < r[2] then
            return true
        end
    end
    return false, nil
end

-- the day (a number) of now in the queue's zone: "today" of fewest-calls
local function queue_day(s, now)
    return math.floor((now + s.day_offset) / 86400000)
end
