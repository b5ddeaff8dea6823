-- Creates a dataset whose name is free (dataset-repository.ts create), in one atomic step.
-- KEYS[1] names hash, KEYS[2] datasets hash; ARGV[1] name, ARGV[2] id, ARGV[3] record.
-- Returns the existing id, or nil when created.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return redis.call('HGET', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return false
