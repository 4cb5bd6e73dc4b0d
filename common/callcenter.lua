#!lua name=callcenter
-- The Redis function library of callcenter (docs/DESIGN.md, "The function
-- library"). embed.sh defines the CC_* key names of cc_keys.h above.
-- Each function checks every precondition before its first write: a
-- failure (an error reply "CODE message", CODE one of BADREQ, FORBIDDEN,
-- NOTFOUND, CONFLICT, TOOMANY) writes nothing. Times are ms of Redis's
-- clock.  No function costs more than O(log n) in the calls waiting: no
-- walk of a waiting set, every sweep bounded by its `max`.  An id whose
-- call hash vanished (its keys expired) may linger in a set: it is
-- skipped and dropped there, never an error.

-- strings: a number argument of redis.call costs a conversion each call
local AGENT_MAXLEN = '10000'
local CALL_MAXLEN = '100000'
local WORK_MAXLEN = '10000'
local CALL_TTL = 86400            -- s an ended call's keys are kept
local CALL_LIFE_MS = 8 * 86400000 -- a live call's keys expire this long
                                  -- after it was created (> any wait)
local DEFAULT_GRACE_MS = 60000    -- to open a stream, when not given
local DEFAULT_MESSAGE_WAIT_MS = 86400000
local EXACT_POSITIONS = 10        -- shown exactly; beyond, rounded up
local DEFAULT_AHT_MS = 120000     -- handle time assumed until a call ended
local EWMA_ALPHA = 0.2
local READY_EXTRA = 32            -- calls of a ready index cc_routing_state
local READY_MAX = 128             -- reads beyond the free slots, at most
local ROUTING_KEPT = 20           -- routing records kept with a call
local RECORD_MAX = 16384          -- bytes of one routing record
local CUSTOMER_TTL = 30 * 86400   -- s a caller's last agent is remembered

-- Errors ------------------------------------------------------------------

local function fail(code, message)
    error({cc = code .. ' ' .. message}, 0)
end

-- The site's prefix of every key name (docs/DESIGN.md, "Sites and
-- Cluster"): each FCALL declares one key, the site's anchor, "cc:{SITE}"
-- (one hash tag: the site's keys share one Cluster slot) or "cc:" for no
-- site; numkeys 0 (the callers before sites) means no site.
local SITE_ANCHOR = 'cc:'         -- the anchor of the names set now

local function site(keys)
    local anchor = keys[1] or 'cc:'
    if #keys > 1 then
        return 'BADREQ one key, the site\'s'
    elseif anchor == SITE_ANCHOR then
        return nil
    elseif anchor == 'cc:' then
        cc_site('cc:')
    elseif #anchor <= 37 and anchor:match('^cc:{[a-z0-9_%-]+}$') then
        cc_site(anchor .. ':')
    else
        return 'BADREQ bad site key'
    end
    SITE_ANCHOR = anchor
end

-- the status figures of the agents a function changed, once it is done
-- (lua/status.lua)
local status_flush

-- NAME_VERSION: each version of the library has its own functions, so a
-- rolling upgrade runs old and new side by side (embed.sh, CC_VERSION)
local function register(name, body)
    redis.register_function(name .. '_' .. CC_VERSION, function(keys, args)
        local bad = site(keys)
        if bad then
            return redis.error_reply(bad)
        end
        local ok, res = pcall(body, unpack(args))
        status_flush(ok)
        if ok then
            return res
        end
        if type(res) == 'table' and res.cc then
            return redis.error_reply(res.cc)
        end
        error(res, 0)
    end)
end

-- Keys, clock, JSON -------------------------------------------------------

-- fmt (a CC_KEY name with one %s) with name in place of %s: a
-- concatenation of fmt's two parts, found once a name (string.format costs
-- ten times as much, and the hot functions build several keys each)
local key
do
    local parts = {}
    key = function(fmt, name)
        local p = parts[fmt]
        if not p then
            local at = fmt:find('%s', 1, true)
            p = {fmt:sub(1, at - 1), fmt:sub(at + 2)}
            parts[fmt] = p
        end
        return p[1] .. name .. p[2]
    end
end

-- the strings' own arithmetic: cheaper than tonumber and math.floor
local function now_ms()
    local t = redis.call('TIME')
    local us = t[2]
    return t[1] * 1000 + (us - us % 1000) / 1000
end

local function js(s)
    return cjson.encode(s)
end

local function jnum(n)
    return string.format('%d', n)
end

local function jlist(items)        -- items: already encoded JSON values
    return '[' .. table.concat(items, ',') .. ']'
end

local function jstrings(list)
    local items = {}
    for i, s in ipairs(list) do
        items[i] = js(s)
    end
    return jlist(items)
end

local function jobj(pairs_)        -- {name, encoded value, name, ...}
    local members = {}
    for i = 1, #pairs_, 2 do
        members[#members + 1] = js(pairs_[i]) .. ':' .. pairs_[i + 1]
    end
    return '{' .. table.concat(members, ',') .. '}'
end

local function jnullable(s)
    if s then
        return js(s)
    end
    return 'null'
end

local function hash(k)
    local flat = redis.call('HGETALL', k)
    if #flat == 0 then
        return nil
    end
    local h = {}
    for i = 1, #flat, 2 do
        h[flat[i]] = flat[i + 1]
    end
    return h
end

-- the fields `names` of hash k, as a table (nil: no hash, or it lacks the
-- first name): HMGET, for a function that needs a few fields of a hash
-- that holds more (a call's holds the caller's details)
local function hash_fields(k, names)
    local f = redis.call('HMGET', k, unpack(names))
    if not f[1] then
        return nil
    end
    local h = {}
    for i = 1, #names do
        if f[i] then
            h[names[i]] = f[i]
        end
    end
    return h
end

-- What build(reply, ...) makes of Redis replies alone, kept by name (the
-- key read): the same replies again give the same value, not built again
-- (it is shared: read it only).  Most functions read settings and
-- profiles, and building them cost several times the reads.  At most 1024
-- names kept (a site's prefix makes other names).
local remembered
do
    local kept, count = {}, 0

    local function same_reply(x, y)
        if #x ~= #y then
            return false
        end
        for i = 1, #x do
            if x[i] ~= y[i] then
                return false
            end
        end
        return true
    end

    remembered = function(name, build, ...)
        local replies = {...}
        local k = kept[name]
        if k then
            local same = true
            for i = 1, #replies do
                same = same and same_reply(k[i], replies[i])
            end
            if same then
                return k.value
            end
        elseif count >= 1024 then
            kept, count = {}, 0
        end
        count = count + (k and 0 or 1)
        replies.value = build(...)
        kept[name] = replies
        return replies.value
    end
end

local function sorted_members(k)
    local m = redis.call('SMEMBERS', k)
    table.sort(m)
    return m
end

-- Events ------------------------------------------------------------------

-- With id (a call's, k its stream), the message goes to the channel of
-- each nginx worker holding a stream of the call: its connection "TAG.N"
-- names the worker (CC_KEY.NGINX_WORKER of TAG), the message is "K MSG";
-- and to k itself only while a module before worker channels holds one
-- (a connection without a tag; "~closed" is none).  So an idle caller
-- stream keeps no subscription in Redis, one a call and worker before.
local emit, publish_live
do
    -- ev: the event's id, "-" for a live-only one
    local function publish(k, ev, event, data, id)
        if not id then
            redis.call('PUBLISH', k, ev .. ' ' .. event .. ' ' .. data)
            return
        end
        local conns = redis.call('ZRANGE', key(CC_KEY.CALL_CONNS, id), 0, -1)
        local msg, first, sent, own
        for i = 1, #conns do
            local c = conns[i]
            local dot = c:find('.', 1, true)
            if dot then
                local w = c:sub(1, dot - 1)
                if first == nil or (w ~= first and not (sent and sent[w]))
                then
                    if first == nil then
                        first = w
                    else
                        sent = sent or {}
                        sent[w] = true
                    end
                    msg = msg or k .. ' ' .. ev .. ' ' .. event .. ' ' .. data
                    redis.call('PUBLISH', key(CC_KEY.NGINX_WORKER, w), msg)
                end
            elseif c:byte(1) ~= 126 then
                own = true
            end
        end
        if own then
            redis.call('PUBLISH', k, ev .. ' ' .. event .. ' ' .. data)
        end
    end

    emit = function(k, event, data, maxlen, id)
        local ev = redis.call('XADD', k, 'MAXLEN', '~', maxlen, '*',
                              'event', event, 'data', data)
        publish(k, ev, event, data, id)
        return ev
    end

    -- a live-only event: published, never stored ("-" where the id goes)
    publish_live = function(k, event, data, id)
        publish(k, '-', event, data, id)
    end
end

-- what a module asks of FUNCTION LIST: a library without it publishes a
-- caller stream's events on the stream's own channel alone
register('cc_worker_channels', function()
    return 1
end)

local function tip(k)
    local last = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)
    return last[1] and last[1][1] or '0-0'
end

local function emit_call(id, event, data)
    return emit(key(CC_KEY.CALL_EVENTS, id), event, data, CALL_MAXLEN, id)
end

local function emit_agent(a, event, data)
    return emit(key(CC_KEY.AGENT_EVENTS, a), event, data, AGENT_MAXLEN)
end

local function work(q)
    redis.call('XADD', CC_KEY.WORK, 'MAXLEN', '~', WORK_MAXLEN, '*',
               'queue', q)
end

-- Every call event's data starts with this ({"call":ID, ...).
local function call_head(id)
    return '{"call":' .. js(id)
end

local function call_data(id, pairs_)
    local rest = jobj(pairs_)
    if rest == '{}' then
        return call_head(id) .. '}'
    end
    return call_head(id) .. ',' .. rest:sub(2)
end

--#include lua/settings.lua
--#include lua/agents.lua
--#include lua/queues.lua
--#include lua/calls.lua
--#include lua/caller.lua
--#include lua/agent.lua
--#include lua/status.lua
--#include lua/routing.lua
--#include lua/lease.lua
