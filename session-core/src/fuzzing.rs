//! Fuzz target bodies, shared by the `cargo fuzz` targets in `fuzz/` and by the test that
//! replays their corpora on every `cargo test`. Each checks an invariant beyond "no panic".
#![doc(hidden)]

use time::macros::datetime;
use time::OffsetDateTime;

use crate::record::Codec;
use crate::stateless::{EncryptedFormat, JwtFormat, SignedFormat, StatelessKeys, TokenFormat};
use crate::{cookie_values, JsonCodec, Keyring};

const SECRETS: [&str; 2] = [
    "fuzzing secret number one, 32 bytes",
    "fuzzing secret number two, 32 bytes",
];
const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn keyring() -> Keyring {
    match Keyring::new(SECRETS) {
        Ok(ring) => ring,
        Err(_) => unreachable!("two secrets"),
    }
}

/// A `Cookie` header: every value of the session cookie goes through the verifier.
pub fn cookie_header(data: &[u8]) {
    let ring = keyring();
    for value in cookie_values(data, "id") {
        signed_value_with(&ring, &value);
    }
}

/// A decoded cookie value through the verifier.
pub fn signed_value(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        signed_value_with(&keyring(), text);
    }
}

fn signed_value_with(ring: &Keyring, text: &str) {
    if let Some(verified) = ring.unsign(text) {
        // Only canonical values verify: signing the id again gives back the exact input for
        // the current key.
        if verified.key_index == 0 {
            assert_eq!(ring.sign(verified.id), text);
        }
    }
}

/// A token through every stateless format (JWT, signed, encrypted).
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(keys) = StatelessKeys::new(SECRETS) else {
        return;
    };
    let formats: [Box<dyn TokenFormat>; 3] = [
        Box::new(JwtFormat::new(keys.clone())),
        Box::new(SignedFormat::new(keys.clone())),
        Box::new(EncryptedFormat::new(keys)),
    ];
    for format in formats {
        if let Some(opened) = format.open(text, "id", NOW) {
            // Whatever verified re-issues and opens to the same claims.
            if let Ok(again) = format.issue(&opened.claims, "id") {
                let reopened = format.open(&again, "id", NOW).map(|o| o.claims);
                assert_eq!(reopened.as_ref(), Some(&opened.claims));
            }
        }
    }
}

/// A stored payload through the JSON codec.
pub fn json_codec(data: &[u8]) {
    codec(&JsonCodec, data);
}

/// A stored payload through any codec: whatever decodes re-encodes to something that decodes
/// to the same session.
pub fn codec(codec: &dyn Codec, data: &[u8]) {
    if let Ok(state) = codec.decode(data) {
        if let Ok(bytes) = codec.encode(&state, NOW) {
            let again = codec.decode(&bytes).ok();
            assert_eq!(again.as_ref(), Some(&state));
        }
    }
}
