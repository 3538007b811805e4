//! Reading session cookies out of `Cookie` request headers, the way the `cookie` npm package
//! (used by express-session) reads them.

use crate::encoding::{decode_into, Decoded};

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
    raw_cookie_values(header, name).map(|raw| {
        let mut buf = Decoded::new();
        match decoded(raw, &mut buf) {
            Some(value) => std::borrow::Cow::Owned(value.to_owned()),
            None => std::borrow::Cow::Borrowed(raw),
        }
    })
}

/// [`cookie_values`] before decoding: trimmed, unquoted, UTF-8. Decoding waits until the
/// session is used, so a request whose handler never touches it pays only for finding it.
pub(crate) fn raw_cookie_values<'a>(
    header: &'a [u8],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    header.split(|&b| b == b';').filter_map(move |pair| {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let key = trim(&pair[..eq]);
        if key != name.as_bytes() {
            return None;
        }
        let mut value = trim(&pair[eq + 1..]);
        if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
            value = &value[1..value.len() - 1];
        }
        std::str::from_utf8(value).ok()
    })
}

/// `cookie.parse`'s reading of a raw value: `decodeURIComponent`-ed when it holds a `%` and
/// that succeeds, else the raw text. A decoded value lives in `buf`, on the stack when short.
pub(crate) fn read_value<'a>(raw: &'a str, buf: &'a mut Decoded) -> &'a str {
    decoded(raw, buf).unwrap_or(raw)
}

/// The decoded text when `raw` holds a `%` and decodes to UTF-8; `None` keeps it raw.
fn decoded<'a>(raw: &str, buf: &'a mut Decoded) -> Option<&'a str> {
    if !raw.contains('%') {
        return None;
    }
    decode_into(raw.as_bytes(), buf)?;
    std::str::from_utf8(buf).ok()
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
    fn invalid_utf8_is_skipped() {
        let v: Vec<_> = cookie_values(b"id=\xff\xfe; id=ok", "id").collect();
        assert_eq!(v, ["ok"]);
    }
}
