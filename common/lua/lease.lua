-- Routing lease ------------------------------------------------------------
--
-- One router steps at a time: routers that read the same state at once
-- would offer the same calls and lose most steps to conflicts.  A router
-- that finds the lease taken asks the holder for one more step instead, so
-- nothing it was told about waits for the next sweep.  The lease runs out
-- by itself (a router killed while stepping holds it at most ttl ms).

-- 1: the lease is name's for ttl ms; 0: another router holds it, and will
-- step once more when it is done
register('cc_lease_take', function(name, ttl)
    if redis.call('SET', CC_KEY.ROUTING_LEASE, name, 'NX', 'PX', ttl) then
        return 1
    end
    redis.call('SET', CC_KEY.ROUTING_AGAIN, name, 'PX', ttl)
    return 0
end)

-- Gives the lease back: 1 when another router asked for a step meanwhile
-- (then name takes the lease again and steps), else 0.
register('cc_lease_release', function(name)
    if redis.call('GET', CC_KEY.ROUTING_LEASE) == name then
        redis.call('DEL', CC_KEY.ROUTING_LEASE)
    end
    return redis.call('DEL', CC_KEY.ROUTING_AGAIN)
end)
