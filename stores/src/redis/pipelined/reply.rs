//! Finding where one RESP reply ends, and turning it into a `redis::Value`.
//!
//! The replies a session store gets back are almost all a bulk string, a nil, an integer or
//! `+OK`; those are decoded here without a parser's state machine. Anything else (errors,
//! arrays, other types) goes to redis-rs' own parser, which builds its server errors.

use redis::{ErrorKind, RedisError, RedisResult, Value};

/// The length of the first complete reply at the front of `buf`, or `None` while it is
/// still arriving. Nested aggregates are walked without recursion.
pub(super) fn complete_len(buf: &[u8]) -> RedisResult<Option<usize>> {
    let mut at = 0;
    // Replies still to be read before the first one is complete.
    let mut pending: u64 = 1;
    while pending > 0 {
        let Some((kind, line, next)) = header(buf, at)? else {
            return Ok(None);
        };
        pending -= 1;
        at = next;
        match kind {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
            b'$' | b'=' | b'!' => {
                let Ok(len) = usize::try_from(number(line)?) else {
                    continue; // `$-1`: nil
                };
                let end = at.checked_add(len).and_then(|e| e.checked_add(2));
                let Some(end) = end.filter(|&e| e <= buf.len()) else {
                    return Ok(None);
                };
                if &buf[end - 2..end] != b"\r\n" {
                    return Err(protocol("a bulk string does not end with CRLF"));
                }
                at = end;
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let Ok(items) = u64::try_from(number(line)?) else {
                    continue; // `*-1`: nil
                };
                let per_item = if matches!(kind, b'%' | b'|') { 2 } else { 1 };
                pending = items
                    .checked_mul(per_item)
                    .and_then(|n| n.checked_add(pending))
                    .ok_or_else(|| protocol("an aggregate reply is too large"))?;
            }
            _ => return Err(protocol("unknown reply type")),
        }
    }
    Ok(Some(at))
}

/// The value of one complete reply, as found by [`complete_len`].
pub(super) fn decode(reply: &[u8]) -> RedisResult<Value> {
    if let Some((kind, line, next)) = header(reply, 0)? {
        match kind {
            b'$' => {
                return Ok(match usize::try_from(number(line)?) {
                    Ok(len) => Value::BulkString(reply[next..next + len].to_vec()),
                    Err(_) => Value::Nil,
                })
            }
            b':' => return Ok(Value::Int(number(line)?)),
            b'+' if line == b"OK" => return Ok(Value::Okay),
            _ => {}
        }
    }
    redis::parse_redis_value(reply)
}

/// The type byte, the rest of the first line, and where the next line starts.
fn header(buf: &[u8], at: usize) -> RedisResult<Option<(u8, &[u8], usize)>> {
    let rest = &buf[at..];
    let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') if cr > 0 => Ok(Some((rest[0], &rest[1..cr], at + cr + 2))),
        Some(_) => Err(protocol("a reply line is malformed")),
    }
}

fn number(digits: &[u8]) -> RedisResult<i64> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| protocol("a length or integer is not a number"))
}

fn protocol(what: &'static str) -> RedisError {
    RedisError::from((ErrorKind::Parse, "unexpected reply from Redis", what.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLIES: &[&[u8]] = &[
        b"+OK\r\n",
        b"+PONG\r\n",
        b"-NOSCRIPT No matching script.\r\n",
        b":-42\r\n",
        b"$-1\r\n",
        b"$0\r\n\r\n",
        b"$5\r\nab\r\nc\r\n",
        b"*-1\r\n",
        b"*0\r\n",
        b"*3\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n+x\r\n",
        b"%1\r\n+k\r\n:2\r\n",
        b"_\r\n",
    ];

    #[test]
    fn every_reply_is_complete_only_when_all_of_it_has_arrived() {
        for reply in REPLIES {
            for cut in 0..reply.len() {
                assert_eq!(
                    complete_len(&reply[..cut]).unwrap(),
                    None,
                    "{reply:?} at {cut}"
                );
            }
            let mut two = reply.to_vec();
            two.extend_from_slice(b":1\r\n");
            assert_eq!(complete_len(&two).unwrap(), Some(reply.len()), "{reply:?}");
        }
    }

    #[test]
    fn decodes_as_redis_rs_parser_does() {
        for reply in REPLIES {
            let ours = decode(reply).map_err(|e| e.to_string());
            let theirs = redis::parse_redis_value(reply).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{reply:?}");
        }
        assert_eq!(
            decode(b"$2\r\nhi\r\n").unwrap(),
            Value::BulkString(b"hi".to_vec())
        );
        let err = decode(b"-NOSCRIPT No matching script.\r\n")
            .unwrap()
            .extract_error()
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Server(redis::ServerErrorKind::NoScript)
        );
    }

    #[test]
    fn malformed_replies_are_refused() {
        for bad in [
            &b"?x\r\n"[..],
            b"$3\r\nabcd\r\n",
            b"$x\r\n",
            b"\r\n",
            b"+a\rb\r\n",
            b"*9223372036854775807\r\n%9223372036854775807\r\n",
        ] {
            assert!(complete_len(bad).is_err(), "{bad:?}");
        }
    }
}
