-- Renames a gallery identity (gallery-repository.ts rename).
-- KEYS[1] gallery hash, KEYS[2] version; ARGV[1] from, ARGV[2] to, ARGV[3] now.
-- Returns 'renamed', 'missing' or 'taken'.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 'missing' end
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 'taken' end
local entry = cjson.decode(raw)
entry.identity = ARGV[2]
entry.updatedAt = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(entry))
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 'renamed'
