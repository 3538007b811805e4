//! JavaScript's `encodeURIComponent` (on the `percent-encoding` crate) and
//! `decodeURIComponent`, byte for byte.
//!
//! express-session writes cookie values with `encodeURIComponent` and the `cookie` package
//! reads them with `decodeURIComponent` (keeping the raw text when that throws). Matching both
//! exactly is what lets a Rust service and a Node service read each other's cookies.

use arrayvec::ArrayString;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but what `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
/// Bytes outside ASCII are always encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Appends `text` percent-encoded as `encodeURIComponent` would (upper-case hex).
pub fn encode_uri_component_into(text: &str, out: &mut String) {
    out.extend(utf8_percent_encode(text, COMPONENT));
}

/// Room for a decoded credential without a heap allocation (a signed id decodes to 78 bytes).
pub(crate) type Decoded = smallvec::SmallVec<[u8; 128]>;

/// `decodeURIComponent`: `None` where JavaScript would throw a `URIError` (a `%` not followed
/// by two hex digits, or bytes that are not UTF-8). `+` stays `+`.
pub fn decode_uri_component(text: &str) -> Option<String> {
    let mut out = Decoded::new();
    decode_into(text.as_bytes(), &mut out)?;
    String::from_utf8(out.into_vec()).ok()
}

// Decoding is written here rather than with `percent_decode`: the crate decodes byte by byte
// and its result needs a second UTF-8 check, ~2,300 more instructions a request with a cookie
// (callgrind, axum `rw` through the memory store: ~3% of the request).

/// The percent-decoding half of [`decode_uri_component`], appended to `out`: runs between
/// escapes are copied whole. The caller checks UTF-8.
pub(crate) fn decode_into(bytes: &[u8], out: &mut Decoded) -> Option<()> {
    out.reserve(bytes.len());
    let mut rest = bytes;
    while let Some(at) = memchr::memchr(b'%', rest) {
        out.extend_from_slice(&rest[..at]);
        let hi = hex_value(*rest.get(at + 1)?)?;
        let lo = hex_value(*rest.get(at + 2)?)?;
        out.push(hi << 4 | lo);
        rest = &rest[at + 3..];
    }
    out.extend_from_slice(rest);
    Some(())
}

/// [`decode_into`] for the usual value, at most 128 bytes with every escape an ASCII
/// character, appended to `out`; `None` for any other (the general path then decides). The
/// result is the already checked text with ASCII characters in place of escapes, so it needs
/// no second UTF-8 check.
pub(crate) fn decode_ascii_into(text: &str, out: &mut ArrayString<128>) -> Option<()> {
    let mut rest = text;
    while let Some(at) = memchr::memchr(b'%', rest.as_bytes()) {
        out.try_push_str(rest.get(..at)?).ok()?;
        let &[hi, lo] = rest.as_bytes().get(at + 1..at + 3)? else {
            return None;
        };
        let byte = hex_value(hi)? << 4 | hex_value(lo)?;
        if !byte.is_ascii() {
            return None;
        }
        out.try_push(char::from(byte)).ok()?;
        rest = rest.get(at + 3..)?;
    }
    out.try_push_str(rest).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_path_decodes_as_decode_uri_component_or_declines() {
        let long = format!("s%3A{}", "a".repeat(130));
        let texts = [
            "s%3Aabc.d%2Fe%2Bf",
            "%41%42",
            "100%",
            "%4",
            "%ZZ",
            "%C3%A9",
            "caf\u{e9}%20x",
            "%25%32%35",
            long.as_str(),
        ];
        for text in texts {
            let mut out = ArrayString::new();
            match decode_ascii_into(text, &mut out) {
                Some(()) => assert_eq!(Some(out.to_string()), decode_uri_component(text), "{text}"),
                // Declined: the general path decides (and for these it must decline too, or
                // decode a non-ASCII escape, or be too long for the stack).
                None => assert!(
                    decode_uri_component(text).is_none()
                        || text.contains("%C3")
                        || text.len() > 128,
                    "{text}"
                ),
            }
        }
    }

    #[test]
    fn matches_javascript() {
        let mut s = String::new();
        encode_uri_component_into("s:a/b+c=d é~*'()!", &mut s);
        assert_eq!(s, "s%3Aa%2Fb%2Bc%3Dd%20%C3%A9~*'()!");
        assert_eq!(decode_uri_component(&s).unwrap(), "s:a/b+c=d é~*'()!");
        assert_eq!(decode_uri_component("a+b").unwrap(), "a+b");
        assert_eq!(decode_uri_component("%ZZ"), None);
        assert_eq!(decode_uri_component("%4"), None);
        assert_eq!(decode_uri_component("%FF"), None);
    }

    #[test]
    fn leaves_exactly_the_unreserved_ascii_alone() {
        for byte in 0u8..0x80 {
            let text = char::from(byte).to_string();
            let mut s = String::new();
            encode_uri_component_into(&text, &mut s);
            let unreserved = byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte);
            let expected = if unreserved {
                text.clone()
            } else {
                format!("%{byte:02X}")
            };
            assert_eq!(s, expected, "{byte:#04x}");
            assert_eq!(decode_uri_component(&s).as_deref(), Some(text.as_str()));
        }
    }

    #[test]
    fn any_malformed_escape_or_non_utf8_result_fails_the_whole_decode() {
        for text in [
            "%", "%4", "a%", "%G0", "%0G", "%%41", "%41%", "%41%4", "ok%zz",
        ] {
            assert_eq!(decode_uri_component(text), None, "{text}");
            assert_eq!(
                decode_into(text.as_bytes(), &mut Decoded::new()),
                None,
                "{text}"
            );
        }
        for text in ["%FF", "%e2%82", "%C3%28", "a%80"] {
            assert_eq!(decode_uri_component(text), None, "{text}");
        }
        assert_eq!(decode_uri_component("%25%32%35").as_deref(), Some("%25"));
        assert_eq!(decode_uri_component("%e2%82%ac").as_deref(), Some("€"));
        assert_eq!(decode_uri_component("").as_deref(), Some(""));
    }

    #[test]
    fn multi_byte_characters_at_every_position() {
        for text in ["é", "éa", "aé", "aéb", "€€", "a€/€b", "😀x😀", "%"] {
            let mut s = String::new();
            encode_uri_component_into(text, &mut s);
            let expected: String = text
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            assert_eq!(s, expected);
            assert_eq!(decode_uri_component(&s).as_deref(), Some(text));
        }
    }
}
