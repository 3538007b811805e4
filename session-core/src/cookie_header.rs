//! Reading session cookies out of `Cookie` request headers, the way the `cookie` npm package
//! (used by express-session) reads them.

use arrayvec::ArrayString;

use crate::encoding::{decode_ascii_into, decode_into, Decoded};

/// Room for a decoded value: the usual one (short, escapes all ASCII) as text, any other as
/// bytes to be checked. On the stack unless long.
#[derive(Default)]
pub(crate) struct DecodeBuf {
    ascii: ArrayString<128>,
    bytes: Decoded,
}

/// Iterates over the values of every cookie called `name` in one `Cookie` header, in order.
///
/// Each value is trimmed of spaces and tabs, loses one pair of surrounding double quotes, and
/// is `decodeURIComponent`-ed when it contains `%` (kept raw when that fails), exactly like
/// `cookie.parse`. Header bytes that are not UTF-8 make the affected pair unreadable, never a
/// panic.
///
/// ```
/// use session_core::cookie_values;
/// let header = b"a=1;  connect.sid=\"s%3Aabc.def\" ;b=2";
/// let values: Vec<_> = cookie_values(header, "connect.sid").collect();
/// assert_eq!(values, ["s:abc.def"]);
/// ```
pub fn cookie_values<'a>(
    header: &'a [u8],
    name: &'a str,
) -> impl Iterator<Item = std::borrow::Cow<'a, str>> + 'a {
    raw_cookie_values(header, name).filter_map(|raw| {
        let raw = std::str::from_utf8(raw).ok()?;
        let mut buf = DecodeBuf::default();
        Some(match read_value(raw, &mut buf) {
            Read::Decoded(value) => std::borrow::Cow::Owned(value.to_owned()),
            Read::Raw(value) => std::borrow::Cow::Borrowed(value),
        })
    })
}

/// [`cookie_values`] before decoding and before the UTF-8 check: trimmed and unquoted bytes.
/// Decoding waits until the session is used, so a request whose handler never touches it
/// pays only for finding it.
pub(crate) fn raw_cookie_values<'a>(
    header: &'a [u8],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(header);
    std::iter::from_fn(move || loop {
        let pairs = rest?;
        // memchr rather than a byte-by-byte split: a session cookie is most of the header.
        let pair = match memchr::memchr(b';', pairs) {
            Some(end) => {
                rest = Some(&pairs[end + 1..]);
                &pairs[..end]
            }
            None => {
                rest = None;
                pairs
            }
        };
        if let Some(value) = value_of(pair, name) {
            return Some(value);
        }
    })
}

/// The value of one `name=value` pair, trimmed and unquoted, if the pair is `name`'s.
fn value_of<'a>(pair: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let eq = memchr::memchr(b'=', pair)?;
    let key = trim(&pair[..eq]);
    if key != name.as_bytes() {
        return None;
    }
    let mut value = trim(&pair[eq + 1..]);
    if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        value = &value[1..value.len() - 1];
    }
    Some(value)
}

/// A raw value as `cookie.parse` reads it.
pub(crate) enum Read<'raw, 'buf> {
    /// `decodeURIComponent` of the value, in the caller's buffer.
    Decoded(&'buf str),
    /// The value as sent: it holds no `%`, or does not decode.
    Raw(&'raw str),
}

impl Read<'_, '_> {
    pub(crate) fn as_str(&self) -> &str {
        match *self {
            Read::Decoded(s) | Read::Raw(s) => s,
        }
    }
}

/// `cookie.parse`'s reading of a raw value, which the caller has checked is UTF-8 (a value
/// that is not is unreadable, even if its escapes would complete a character):
/// `decodeURIComponent`-ed when it holds a `%` and that succeeds, else the raw text. A decoded
/// value lives in `buf`, on the stack when short.
pub(crate) fn read_value<'raw, 'buf>(raw: &'raw str, buf: &'buf mut DecodeBuf) -> Read<'raw, 'buf> {
    if memchr::memchr(b'%', raw.as_bytes()).is_none() {
        return Read::Raw(raw);
    }
    if decode_ascii_into(raw, &mut buf.ascii).is_some() {
        return Read::Decoded(buf.ascii.as_str());
    }
    if decode_into(raw.as_bytes(), &mut buf.bytes).is_some() {
        if let Ok(decoded) = std::str::from_utf8(&buf.bytes) {
            return Read::Decoded(decoded);
        }
    }
    Read::Raw(raw)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_occurrence_in_order() {
        let v: Vec<_> = cookie_values(b"id=1; x=2; id=3", "id").collect();
        assert_eq!(v, ["1", "3"]);
    }

    #[test]
    fn bad_percent_encoding_keeps_raw_text() {
        let v: Vec<_> = cookie_values(b"id=s%3Aa%ZZ", "id").collect();
        assert_eq!(v, ["s%3Aa%ZZ"]);
    }

    #[test]
    fn escapes_decode_unless_the_result_is_not_utf8() {
        let v: Vec<_> = cookie_values(b"id=%41\xff; id=a%2Fb; id=%E2%82", "id").collect();
        assert_eq!(v, ["a/b", "%E2%82"]);
    }

    #[test]
    fn raw_bytes_that_are_not_utf8_are_skipped_even_when_escapes_complete_them() {
        let v: Vec<_> = cookie_values(b"id=%C3\xA9; id=\xC3%A9; id=ok", "id").collect();
        assert_eq!(v, ["ok"]);
    }

    #[test]
    fn invalid_utf8_is_skipped() {
        let v: Vec<_> = cookie_values(b"id=\xff\xfe; id=ok", "id").collect();
        assert_eq!(v, ["ok"]);
    }
}
