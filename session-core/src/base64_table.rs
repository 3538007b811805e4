//! Base64 of a known length, decoded by a table look-up per character.
//!
//! Every request decodes a signature (43 characters) and a session id (32), and the `base64`
//! crate's general decoder spent about three times the instructions of this one on them
//! (callgrind). Only decoding is done here: the input is what the client sent, so the table
//! look-ups it makes reveal nothing secret. Encoding stays with the crate, but for the
//! cookie's MAC, which `signing` encodes and escapes in one pass from [`STANDARD_CHARS`].

const INVALID: u8 = 0xFF;

/// A base64 alphabet as a decoding table.
pub(crate) struct Alphabet([u8; 256]);

/// RFC 4648's standard alphabet, the one `cookie-signature` writes MACs in, as characters
/// (for `signing`'s encoder of a cookie's MAC).
pub(crate) const STANDARD_CHARS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// [`STANDARD_CHARS`] as a decoding table.
pub(crate) const STANDARD: Alphabet = Alphabet::new(STANDARD_CHARS);

/// RFC 4648's URL-safe alphabet, the one generated ids are written in.
pub(crate) const URL_SAFE: Alphabet =
    Alphabet::new(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

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
        for (quad, triple) in (&mut quads).zip(&mut triples) {
            let Some(bits) = self.bits(quad) else {
                return false;
            };
            triple.copy_from_slice(&bits.to_be_bytes()[1..]);
        }
        let (tail, rest) = (quads.remainder(), triples.into_remainder());
        if tail.is_empty() {
            return true;
        }
        let Some(bits) = self.bits(tail) else {
            return false;
        };
        // The last character's spare low bits must be zero, or two texts would decode alike.
        let spare = tail.len() * 6 - rest.len() * 8;
        if bits & ((1 << spare) - 1) != 0 {
            return false;
        }
        let value = (bits >> spare).to_be_bytes();
        rest.copy_from_slice(&value[4 - rest.len()..]);
        true
    }

    fn bits(&self, chars: &[u8]) -> Option<u32> {
        chars.iter().try_fold(0u32, |acc, &c| {
            let six = self.0[usize::from(c)];
            (six != INVALID).then_some(acc << 6 | u32::from(six))
        })
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
    fn refuses_other_lengths() {
        let mut out = [0u8; 32];
        let mac = STANDARD_NO_PAD.encode([7u8; 32]);
        assert!(STANDARD.decode_exact(mac.as_bytes(), &mut out));
        assert!(!STANDARD.decode_exact(&mac.as_bytes()[1..], &mut out));
        assert!(!STANDARD.decode_exact(format!("{mac}=").as_bytes(), &mut out));
        assert!(!STANDARD.decode_exact(b"", &mut out));
    }
}
