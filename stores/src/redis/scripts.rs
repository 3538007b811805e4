//! The Lua scripts that make `save` and `touch` one atomic round trip each.
//!
//! They run by `EVALSHA`; the `redis` crate falls back to loading the script when a server
//! does not know it yet (after a restart or a failover), so only that first call costs more.

use std::sync::LazyLock;

use redis::Script;

/// Compare-and-set save.
///
/// KEYS[1] = key; ARGV[1] = expected version (8 bytes); ARGV[2] = new value;
/// ARGV[3] = expiry (Unix ms). Returns 1 when saved, 0 when the key is gone, -1 when the
/// stored version differs.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local head = redis.call('GETRANGE', KEYS[1], 0, 7)
if head == '' then return 0 end
if head ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
",
    )
});

/// Moves the expiry, both the copy in the header (that `load` checks against `now`) and
/// Redis' own TTL (that frees the memory).
///
/// KEYS[1] = key; ARGV[1] = expiry (8 bytes); ARGV[2] = expiry (Unix ms). Returns 1 when
/// moved, 0 when the key is gone.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SETRANGE', KEYS[1], 8, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
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
