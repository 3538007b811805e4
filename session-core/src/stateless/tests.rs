use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use time::macros::datetime;

use super::*;
use crate::record::SessionState;

const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);
const A: &str = "secret number one, 32 bytes long!";
const B: &str = "secret number two, 32 bytes long!";

fn claims() -> Claims {
    let mut data = serde_json::Map::new();
    data.insert("user".into(), "ann".into());
    data.insert(
        "nested".into(),
        serde_json::json!({"a": [1, 2, {"b": "ü🍪"}]}),
    );
    Claims {
        id: SessionId::parse("sid-1").unwrap(),
        state: SessionState {
            data,
            created_at: NOW,
            max_age: Some(std::time::Duration::from_secs(60)),
        },
        expires_at: NOW + time::Duration::HOUR,
        issued_at: NOW,
    }
}

fn formats(keys: &[&str]) -> Vec<Box<dyn TokenFormat>> {
    let k = || StatelessKeys::new(keys).unwrap();
    vec![
        Box::new(SignedFormat::new(k())),
        Box::new(EncryptedFormat::new(k())),
        Box::new(JwtFormat::new(k())),
    ]
}

#[test]
fn every_format_round_trips_and_rotates() {
    let old = formats(&[B]);
    let rotated = formats(&[A, B]);
    let fresh_only = formats(&[A]);
    for ((old, rotated), fresh_only) in old.iter().zip(&rotated).zip(&fresh_only) {
        let token = old.issue(&claims(), "id").unwrap();
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{token}"
        );
        assert_eq!(old.open(&token, "id", NOW).unwrap().key_index, 0);
        let opened = rotated.open(&token, "id", NOW).unwrap();
        assert_eq!(opened.key_index, 1, "old key is reported for re-issue");
        assert_eq!(opened.claims, claims());
        assert!(
            fresh_only.open(&token, "id", NOW).is_none(),
            "dropped key no longer verifies"
        );
    }
}

#[test]
fn every_format_rejects_tampering_and_expiry() {
    for format in formats(&[A]) {
        let token = format.issue(&claims(), "id").unwrap();
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            if changed != token {
                // A JWT's last base64 character carries spare bits; everything else must fail.
                let opened = format.open(&changed, "id", NOW);
                assert!(
                    opened.is_none() || i == token.len() - 1,
                    "accepted change at {i}"
                );
            }
        }
        let late = NOW + time::Duration::HOUR + time::Duration::MINUTE * 2;
        assert!(
            format.open(&token, "id", late).is_none(),
            "expired token accepted"
        );
        assert!(format.open("", "id", NOW).is_none());
        assert!(format.open("....", "id", NOW).is_none());
    }
}

fn jwt_with_header(header: &str, body: &str, key: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(body)
    );
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn jwt_refuses_other_algorithms_and_none() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    let body = r#"{"jti":"x","exp":1893459600,"iat":1893456000}"#;
    let good = jwt_with_header(r#"{"alg":"HS256","typ":"JWT"}"#, body, A.as_bytes());
    assert!(format.open(&good, "id", NOW).is_some());
    for alg in ["none", "None", "HS384", "HS512", "RS256", "hs256"] {
        let forged = jwt_with_header(
            &format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
            body,
            A.as_bytes(),
        );
        assert!(
            format.open(&forged, "id", NOW).is_none(),
            "accepted alg {alg}"
        );
    }
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(body)
    );
    assert!(format.open(&unsigned, "id", NOW).is_none());
}

#[test]
fn jwt_leeway_and_not_before() {
    let format =
        JwtFormat::new(StatelessKeys::new([A]).unwrap()).leeway(std::time::Duration::from_secs(30));
    let exp = NOW.unix_timestamp();
    let body = format!(r#"{{"jti":"x","exp":{exp}}}"#);
    let token = jwt_with_header(r#"{"alg":"HS256"}"#, &body, A.as_bytes());
    assert!(format
        .open(&token, "id", NOW + time::Duration::seconds(29))
        .is_some());
    assert!(format
        .open(&token, "id", NOW + time::Duration::seconds(30))
        .is_none());
    let nbf = exp + 100;
    let body = format!(r#"{{"jti":"x","exp":{},"nbf":{nbf}}}"#, exp + 1000);
    let token = jwt_with_header(r#"{"alg":"HS256"}"#, &body, A.as_bytes());
    assert!(format.open(&token, "id", NOW).is_none());
    assert!(format
        .open(&token, "id", NOW + time::Duration::seconds(71))
        .is_some());
}

#[test]
fn jwt_kid_selects_the_key() {
    let format = JwtFormat::new(StatelessKeys::new([A, B]).unwrap());
    let token = format.issue(&claims(), "id").unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], format.current_kid());
    // A token signed by B but naming A's kid is refused.
    let body = r#"{"jti":"x","exp":1893459600}"#;
    let lying = jwt_with_header(
        &format!(r#"{{"alg":"HS256","kid":"{}"}}"#, format.current_kid()),
        body,
        B.as_bytes(),
    );
    assert!(format.open(&lying, "id", NOW).is_none());
}

#[test]
fn jwt_reserved_claims_cannot_be_session_keys() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    let mut c = claims();
    c.state.data.insert("exp".into(), 1.into());
    assert!(format.issue(&c, "id").is_err());
}
