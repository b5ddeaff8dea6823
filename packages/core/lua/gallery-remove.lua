-- Removes a gallery identity (gallery-repository.ts remove).
-- KEYS[1] gallery hash, KEYS[2] version, KEYS[3] embedding space; ARGV[1] identity.
-- Returns the removed identity's JSON, or false. An emptied gallery forgets its embedding space
-- (it may be filled again by another model of the same id).
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[3]) end
redis.call('INCR', KEYS[2])
return raw
