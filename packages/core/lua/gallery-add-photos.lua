-- Adds photos to a gallery identity (gallery-repository.ts addPhotos).
-- KEYS[1] gallery hash, KEYS[2] version, KEYS[3] embedding space; ARGV[1] identity, ARGV[2] photos
-- JSON, ARGV[3] now, ARGV[4] the embedding space of the photos. Photos whose sha256 the identity
-- already holds are skipped (re-enrolling is harmless). A gallery holding embeddings of another space
-- takes none: returns {'mismatch', its space}. Else returns {identity JSON, number of photos added}.
-- (Entries written by older versions carry a `mean` of the embeddings that nothing read; a write drops it.)
local space = redis.call('GET', KEYS[3])
if space and space ~= ARGV[4] and redis.call('HLEN', KEYS[1]) > 0 then return { 'mismatch', space } end
redis.call('SET', KEYS[3], ARGV[4])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entry
if raw then entry = cjson.decode(raw) else entry = { identity = ARGV[1], enrolledAt = ARGV[3], photos = {} } end
local seen = {}
for _, photo in ipairs(entry.photos) do seen[photo.sha256] = true end
local added = 0
for _, photo in ipairs(cjson.decode(ARGV[2])) do
  if not seen[photo.sha256] then
    table.insert(entry.photos, photo)
    seen[photo.sha256] = true
    added = added + 1
  end
end
entry.mean = nil
entry.updatedAt = ARGV[3]
local encoded = cjson.encode(entry)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
if added > 0 then redis.call('INCR', KEYS[2]) end
return { encoded, added }
