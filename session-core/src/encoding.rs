//! JavaScript's `encodeURIComponent` / `decodeURIComponent`, byte for byte, on the
//! `percent-encoding` crate.
//!
//! express-session writes cookie values with `encodeURIComponent` and the `cookie` package
//! reads them with `decodeURIComponent` (keeping the raw text when that throws). Matching both
//! exactly is what lets a Rust service and a Node service read each other's cookies.

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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
    if !escapes_are_well_formed(text.as_bytes()) {
        return None;
    }
    let decoded = percent_decode(text.as_bytes()).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

/// The percent-decoding half of [`decode_uri_component`], appended to `out`; the caller
/// checks UTF-8.
pub(crate) fn decode_into(bytes: &[u8], out: &mut Decoded) -> Option<()> {
    if !escapes_are_well_formed(bytes) {
        return None;
    }
    out.extend(percent_decode(bytes));
    Some(())
}

/// Whether every `%` starts an escape of two hex digits. `percent_decode` keeps a malformed
/// escape as it is, where `decodeURIComponent` throws, so the decoders check first.
fn escapes_are_well_formed(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'%', bytes).all(|at| {
        matches!(bytes.get(at + 1..at + 3), Some([hi, lo])
            if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
