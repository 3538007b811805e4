//! The Lua scripts that make `save` and `touch` one atomic round trip each.
//!
//! They run by `EVALSHA`; the `redis` crate falls back to loading the script when a server
//! does not know it yet (after a restart or a failover), so only that first call costs more.

use std::sync::LazyLock;

use redis::Script;

/// Adds ARGV[4] to the user set KEYS[2] (when given) and pushes the set's TTL to the
/// member's expiry ARGV[3] if that is later. Spliced into the scripts that write a record.
const INDEX_USER: &str = r"
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[4])
  if redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[3]) then
    redis.call('PEXPIREAT', KEYS[2], ARGV[3])
  end
end
";

/// Compare-and-set save.
///
/// KEYS[1] = key; KEYS[2] = the user's set (optional); ARGV[1] = expected version
/// (8 bytes); ARGV[2] = new value; ARGV[3] = expiry (Unix ms); ARGV[4] = session id.
/// Returns 1 when saved, 0 when the key is gone, -1 when the stored version differs.
/// Reads the version from either record layout (see `record`).
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
local head = redis.call('GETRANGE', KEYS[1], 0, 8)
if head == '' then return 0 end
local version = string.sub(head, 1, 8)
if string.byte(head, 1) == 255 then version = string.sub(head, 2, 9) end
if version ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
{INDEX_USER}
return 1
"
    ))
});

/// Create (`SET NX`) of a record bound to a user, indexing it in the same round trip.
///
/// KEYS[1] = key; KEYS[2] = the user's set (optional); ARGV[2] = value; ARGV[3] = expiry
/// (Unix ms); ARGV[4] = session id (ARGV[1] unused, so that the arguments line up with
/// `SAVE`). Returns 1 when created, 0 when the id is taken.
pub(crate) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
if not redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PXAT', ARGV[3]) then return 0 end
{INDEX_USER}
return 1
"
    ))
});

/// Indexes a record in its user's set on its own, for a cluster, where the record and the
/// set may live on different nodes and cannot share a script.
///
/// KEYS[1] = the user's set; ARGV[3] = expiry (Unix ms); ARGV[4] = session id (ARGV[1]
/// and ARGV[2] unused, so that the arguments line up with `SAVE`).
pub(crate) static INDEX: LazyLock<Script> = LazyLock::new(|| {
    let on_first_key = INDEX_USER.replace("KEYS[2]", "KEYS[1]");
    Script::new(&format!("{on_first_key}\nreturn 1"))
});

/// Moves the expiry, both the copy in the header (that `load` checks against `now`) and
/// Redis' own TTL (that frees the memory); for a record bound to a user, also pushes the
/// user set's TTL when ARGV[3] (the key prefix) is given.
///
/// KEYS[1] = key; ARGV[1] = expiry (8 bytes); ARGV[2] = expiry (Unix ms); ARGV[3] = key
/// prefix (optional: single node only, as the set's key is read from the record). Returns 1
/// when moved, 0 when the key is gone.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local first = redis.call('GETRANGE', KEYS[1], 0, 0)
if first == '' then return 0 end
local with_user = string.byte(first) == 255
local at = 8
if with_user then at = 9 end
redis.call('SETRANGE', KEYS[1], at, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
if with_user and ARGV[3] then
  local len = redis.call('GETRANGE', KEYS[1], 17, 18)
  local n = string.byte(len, 1) * 256 + string.byte(len, 2)
  local set = ARGV[3] .. 'user:' .. redis.call('GETRANGE', KEYS[1], 19, 18 + n)
  local ttl = redis.call('PEXPIRETIME', set)
  if ttl ~= -2 and ttl < tonumber(ARGV[2]) then redis.call('PEXPIREAT', set, ARGV[2]) end
end
return 1
",
    )
});

/// Compare-and-set save for connect-redis' layout, whose values carry no version: the
/// version is the first 16 hex digits of the value's SHA-1.
///
/// KEYS[1] = key; ARGV[1] = expected version (16 hex digits); ARGV[2] = new value;
/// ARGV[3] = expiry (Unix ms). Returns 1 when saved, 0 when the key is gone, -1 when the
/// value changed.
pub(crate) static SAVE_BY_DIGEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if string.sub(redis.sha1hex(current), 1, 16) ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
",
    )
});
