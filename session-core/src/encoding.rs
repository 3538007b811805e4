//! JavaScript's `encodeURIComponent` / `decodeURIComponent`, byte for byte.
//!
//! express-session writes cookie values with `encodeURIComponent` and the `cookie` package
//! reads them with `decodeURIComponent` (keeping the raw text when that throws). Matching both
//! exactly is what lets a Rust service and a Node service read each other's cookies.

/// Characters `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Appends `text` percent-encoded as `encodeURIComponent` would (upper-case hex).
pub fn encode_uri_component_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
}

/// `decodeURIComponent`: `None` where JavaScript would throw a `URIError` (a `%` not followed
/// by two hex digits, or bytes that are not UTF-8). `+` stays `+`.
pub fn decode_uri_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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
}
