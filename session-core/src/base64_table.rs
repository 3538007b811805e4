//! Base64 of a known length, decoded by a table look-up per character.
//!
//! Every request decodes a signature (43 characters) and a session id (32), and the `base64`
//! crate's general decoder spent about three times the instructions of this one on them
//! (callgrind). Only decoding is done here: the input is what the client sent, so the table
//! look-ups it makes reveal nothing secret. Encoding stays with the crate, but for the
//! cookie's MAC and generated ids ([`encode_unpadded`]): both are public once sent, so a
//! table look-up on their bits reveals nothing either.

const INVALID: u8 = 0xFF;

/// A base64 alphabet as a decoding table: 256 bytes, four cache lines. Larger tables of
/// pre-shifted `u32`s (8 KiB for both alphabets) save instructions but touch ~60 cache lines
/// a decode, which the kernel's network stack evicts between requests, so end to end they
/// gain nothing.
pub(crate) struct Alphabet([u8; 256]);

/// RFC 4648's standard alphabet, the one `cookie-signature` writes MACs in, as characters
/// (for `signing`'s encoder of a cookie's MAC).
pub(crate) const STANDARD_CHARS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// [`STANDARD_CHARS`] as a decoding table.
pub(crate) const STANDARD: Alphabet = Alphabet::new(STANDARD_CHARS);

/// RFC 4648's URL-safe alphabet, the one generated ids are written in, as characters.
pub(crate) const URL_SAFE_CHARS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// [`URL_SAFE_CHARS`] as a decoding table.
pub(crate) const URL_SAFE: Alphabet = Alphabet::new(URL_SAFE_CHARS);

/// Encodes `N` bytes as `M` characters of `chars`, unpadded (`M` must be `4N/3` rounded up,
/// or it fails to compile): a generated id (24 bytes) and a cookie's MAC (32). For the id,
/// the crate's encoder took 531 instructions per `SessionId::generate`, 415 this way
/// (callgrind).
pub(crate) fn encode_unpadded<const N: usize, const M: usize>(
    chars: &[u8; 64],
    bytes: &[u8; N],
) -> [u8; M] {
    const { assert!((N * 4).div_ceil(3) == M) };
    let mut out = [0u8; M];
    for (group, quad) in bytes.chunks(3).zip(out.chunks_mut(4)) {
        // A short last group is padded with zero bits, and only its whole characters kept.
        let bits = group.iter().enumerate().fold(0u32, |bits, (i, &byte)| {
            bits | u32::from(byte) << (16 - 8 * i)
        });
        for (i, ch) in quad.iter_mut().enumerate() {
            *ch = chars[(bits >> (18 - 6 * i) & 63) as usize];
        }
    }
    out
}

impl Alphabet {
    const fn new(chars: &[u8; 64]) -> Self {
        let mut table = [INVALID; 256];
        let mut i = 0;
        while i < chars.len() {
            table[chars[i] as usize] = i as u8;
            i += 1;
        }
        Self(table)
    }

    /// Decodes unpadded, canonical base64 of exactly `out.len()` bytes; false (with `out`
    /// unspecified) for any other text, as the `base64` crate's strict decoder would.
    pub(crate) fn decode_exact(&self, text: &[u8], out: &mut [u8]) -> bool {
        if text.len() != (out.len() * 4).div_ceil(3) {
            return false;
        }
        // The length check makes the two counts of whole groups equal.
        let mut quads = text.chunks_exact(4);
        let mut triples = out.chunks_exact_mut(3);
        // Valid values are below 64 and `INVALID` is not, so ORing every looked-up value
        // finds a bad character at the end, without a branch per character.
        let mut seen = 0;
        for (quad, triple) in (&mut quads).zip(&mut triples) {
            // Fixed-size patterns, so the compiler unrolls the group and drops bounds checks.
            if let ([a, b, c, d], [x, y, z]) = (quad, triple) {
                let six = [a, b, c, d].map(|&ch| self.0[usize::from(ch)]);
                seen |= six[0] | six[1] | six[2] | six[3];
                let bits = six.iter().fold(0u32, |bits, &v| bits << 6 | u32::from(v));
                [*x, *y, *z] = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
            }
        }
        let (tail, rest) = (quads.remainder(), triples.into_remainder());
        let bits = tail.iter().fold(0u32, |bits, &ch| {
            let six = self.0[usize::from(ch)];
            seen |= six;
            bits << 6 | u32::from(six)
        });
        if seen >= 64 {
            return false;
        }
        if tail.is_empty() {
            return true;
        }
        // The last character's spare low bits must be zero, or two texts would decode alike.
        let spare = tail.len() * 6 - rest.len() * 8;
        if bits & ((1 << spare) - 1) != 0 {
            return false;
        }
        let value = (bits >> spare).to_be_bytes();
        rest.copy_from_slice(&value[4 - rest.len()..]);
        true
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;

    use super::*;

    fn engines() -> [(&'static Alphabet, base64::engine::GeneralPurpose); 2] {
        [(&STANDARD, STANDARD_NO_PAD), (&URL_SAFE, URL_SAFE_NO_PAD)]
    }

    #[test]
    fn decodes_what_the_crate_encodes() {
        for (alphabet, engine) in engines() {
            for len in 0..48 {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 97 + len * 13) as u8).collect();
                let text = engine.encode(&bytes);
                let mut out = vec![0u8; len];
                assert!(alphabet.decode_exact(text.as_bytes(), &mut out), "{text}");
                assert_eq!(out, bytes);
            }
        }
    }

    #[test]
    fn accepts_exactly_what_the_crate_accepts() {
        // Text of the right length drawn from both alphabets and a few outsiders, so that
        // non-canonical endings and foreign characters both come up.
        let chars = b"AQgw+/-_=.BCDhp09a\xc3";
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for (alphabet, engine) in engines() {
            for out_len in [1, 2, 24, 32] {
                for _ in 0..4000 {
                    let text: Vec<u8> = (0..(out_len * 4usize).div_ceil(3))
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 7;
                            seed ^= seed << 17;
                            chars[(seed % chars.len() as u64) as usize]
                        })
                        .collect();
                    let mut ours = vec![0u8; out_len];
                    let mut theirs = vec![0u8; out_len + 3];
                    let crate_ok = engine.decode_slice(&text, &mut theirs) == Ok(out_len);
                    assert_eq!(
                        alphabet.decode_exact(&text, &mut ours),
                        crate_ok,
                        "{text:?}"
                    );
                    if crate_ok {
                        assert_eq!(ours, theirs[..out_len]);
                    }
                }
            }
        }
    }

    #[test]
    fn encodes_as_the_crate_does() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37 + 11) as u8);
        let id: [u8; 32] =
            encode_unpadded::<24, 32>(URL_SAFE_CHARS, bytes[..24].try_into().unwrap());
        assert_eq!(
            id.as_slice(),
            URL_SAFE_NO_PAD.encode(&bytes[..24]).as_bytes()
        );
        let mac: [u8; 43] = encode_unpadded(STANDARD_CHARS, &bytes);
        assert_eq!(mac.as_slice(), STANDARD_NO_PAD.encode(bytes).as_bytes());
        let one: [u8; 2] = encode_unpadded(STANDARD_CHARS, &[0xFF]);
        assert_eq!(&one, b"/w");
        let ones: [u8; 4] = encode_unpadded(STANDARD_CHARS, &[0xFF; 3]);
        assert_eq!(&ones, b"////");
    }

    #[test]
    fn refuses_other_lengths() {
        let mut out = [0u8; 32];
        let mac = STANDARD_NO_PAD.encode([7u8; 32]);
        assert!(STANDARD.decode_exact(mac.as_bytes(), &mut out));
        assert!(!STANDARD.decode_exact(&mac.as_bytes()[1..], &mut out));
        assert!(!STANDARD.decode_exact(format!("{mac}=").as_bytes(), &mut out));
        assert!(!STANDARD.decode_exact(b"", &mut out));
    }
}
