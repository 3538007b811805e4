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

/// HMAC-SHA256(key, message), computed here rather than by the code under test.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A JWT signed with the HS256 key the format derives from `secret`.
fn jwt_with_header(header: &str, body: &str, secret: &[u8]) -> String {
    jwt_signed_with(header, body, &hmac_sha256(secret, b"session-core/jwt/v1"))
}

/// A JWT signed with `key` as it is.
fn jwt_signed_with(header: &str, body: &str, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(body)
    );
    let mac = hmac_sha256(key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac))
}

#[test]
fn jwt_refuses_other_algorithms_and_none() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    let body = GOOD_BODY;
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
    for key in ["jti", "iat", "nbf", "exp", "ctm", "mxa", "aud"] {
        let mut c = claims();
        c.state.data.insert(key.into(), 1.into());
        assert!(format.issue(&c, "id").is_err(), "{key}");
        assert_eq!(
            format.check_key(key, &"x".into()),
            Err(RefusedKey::Reserved { key: key.into() })
        );
    }
    // `iss` is the session's own unless the format is configured with an issuer.
    assert!(format.check_key("iss", &"me".into()).is_ok());
    let with_issuer = format.issuer("https://auth.example");
    assert!(matches!(
        with_issuer.check_key("iss", &"me".into()),
        Err(RefusedKey::Reserved { .. })
    ));
}

#[test]
fn token_formats_report_their_leeway() {
    let keys = || StatelessKeys::new([A]).unwrap();
    assert_eq!(
        TokenFormat::leeway(&JwtFormat::new(keys())),
        time::Duration::seconds(60)
    );
    let short = JwtFormat::new(keys()).leeway(std::time::Duration::from_secs(5));
    assert_eq!(TokenFormat::leeway(&short), time::Duration::seconds(5));
    let dynamic: &dyn TokenFormat = &short;
    assert_eq!(dynamic.leeway(), time::Duration::seconds(5));
    assert_eq!(
        TokenFormat::leeway(&SignedFormat::new(keys())),
        time::Duration::ZERO
    );
    assert_eq!(
        TokenFormat::leeway(&EncryptedFormat::new(keys())),
        time::Duration::ZERO
    );
}

const GOOD_BODY: &str = r#"{"jti":"x","exp":1893459600,"iat":1893456000}"#;

#[test]
fn jwt_header_and_claims_must_be_json_objects() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    let good = jwt_with_header(r#"{"alg":"HS256"}"#, GOOD_BODY, A.as_bytes());
    assert!(format.open(&good, "id", NOW).is_some());
    for header in [
        r#"["HS256"]"#,
        r#"["HS256",null]"#,
        r#""HS256""#,
        "1",
        "null",
        r#"{"alg":["HS256"]}"#,
        r#"{"alg":"HS256","kid":1}"#,
    ] {
        let token = jwt_with_header(header, GOOD_BODY, A.as_bytes());
        assert!(
            format.open(&token, "id", NOW).is_none(),
            "accepted header {header}"
        );
    }
    for body in [
        r#"[{"jti":"x","exp":1893459600}]"#,
        r#"["x",1893459600,1893456000]"#,
        r#""x""#,
    ] {
        let token = jwt_with_header(r#"{"alg":"HS256"}"#, body, A.as_bytes());
        assert!(
            format.open(&token, "id", NOW).is_none(),
            "accepted claims {body}"
        );
    }
}

#[test]
fn jwt_refuses_critical_header_parameters() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    for crit in [r#"["exp"]"#, r#"["b64"]"#, "[]", "null"] {
        let header = format!(r#"{{"alg":"HS256","crit":{crit},"b64":true,"exp":1}}"#);
        let token = jwt_with_header(&header, GOOD_BODY, A.as_bytes());
        assert!(
            format.open(&token, "id", NOW).is_none(),
            "accepted crit {crit}"
        );
    }
    // Unknown parameters that are not critical are ignored.
    let token = jwt_with_header(
        r#"{"alg":"HS256","typ":"JWT","x-extra":1}"#,
        GOOD_BODY,
        A.as_bytes(),
    );
    assert!(format.open(&token, "id", NOW).is_some());
}

#[test]
fn jwt_refuses_iat_in_the_future_beyond_leeway() {
    let format =
        JwtFormat::new(StatelessKeys::new([A]).unwrap()).leeway(std::time::Duration::from_secs(30));
    let now = NOW.unix_timestamp();
    let token_issued_at = |iat: i64| {
        let body = format!(r#"{{"jti":"x","exp":{},"iat":{iat}}}"#, now + 3600);
        jwt_with_header(r#"{"alg":"HS256"}"#, &body, A.as_bytes())
    };
    assert!(format.open(&token_issued_at(now), "id", NOW).is_some());
    assert!(format.open(&token_issued_at(now + 30), "id", NOW).is_some());
    assert!(format.open(&token_issued_at(now + 31), "id", NOW).is_none());
    assert!(format
        .open(&token_issued_at(now + 3000), "id", NOW)
        .is_none());
    // A non-numeric `iat` is refused too.
    let body = format!(r#"{{"jti":"x","exp":{},"iat":"{now}"}}"#, now + 3600);
    let token = jwt_with_header(r#"{"alg":"HS256"}"#, &body, A.as_bytes());
    assert!(format.open(&token, "id", NOW).is_none());
}

#[test]
fn jwt_registered_claims_must_have_their_types() {
    let format = JwtFormat::new(StatelessKeys::new([A]).unwrap());
    for (key, value) in [
        ("sub", serde_json::json!(42)),
        ("sub", serde_json::json!(["user"])),
        ("sub", serde_json::json!(null)),
        ("iss", serde_json::json!(1)),
        ("iss", serde_json::json!({"name": "me"})),
    ] {
        assert_eq!(
            format.check_key(key, &value),
            Err(RefusedKey::WrongType {
                key: key.into(),
                expected: "a string"
            }),
            "{key}: {value}"
        );
        let mut c = claims();
        c.state.data.insert(key.into(), value.clone());
        assert!(format.issue(&c, "id").is_err(), "issued {key}: {value}");
        // Nor does a token carrying it open, whoever signed it.
        let body = serde_json::json!({"jti": "x", "exp": 1893459600, key: value}).to_string();
        let token = jwt_with_header(r#"{"alg":"HS256"}"#, &body, A.as_bytes());
        assert!(
            format.open(&token, "id", NOW).is_none(),
            "opened {key}: {value}"
        );
    }
    let mut c = claims();
    c.state.data.insert("sub".into(), "user-42".into());
    c.state
        .data
        .insert("iss".into(), "https://me.example".into());
    let token = format.issue(&c, "id").unwrap();
    assert_eq!(format.open(&token, "id", NOW).unwrap().claims, c);
    // Keys that are not registered claims may hold anything.
    assert!(format.check_key("user", &serde_json::json!(42)).is_ok());
}

#[test]
fn jwt_issuer_and_audience_are_written_and_checked() {
    let keys = || StatelessKeys::new([A]).unwrap();
    let format = JwtFormat::new(keys())
        .issuer("https://auth.example")
        .audience("shop");
    let token = format.issue(&claims(), "id").unwrap();
    let body: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["iss"], "https://auth.example");
    assert_eq!(body["aud"], "shop");
    // They are the format's, not the session's.
    assert_eq!(format.open(&token, "id", NOW).unwrap().claims, claims());
    // A format without them refuses a token with an audience (RFC 7519, section 4.1.3).
    assert!(JwtFormat::new(keys()).open(&token, "id", NOW).is_none());
    let base = r#""jti":"x","exp":1893459600"#;
    let opens = |claims: &str| {
        let token = jwt_with_header(r#"{"alg":"HS256"}"#, &format!("{{{claims}}}"), A.as_bytes());
        format.open(&token, "id", NOW).is_some()
    };
    assert!(opens(&format!(
        r#"{base},"iss":"https://auth.example","aud":"shop""#
    )));
    assert!(opens(&format!(
        r#"{base},"iss":"https://auth.example","aud":["blog","shop"]"#
    )));
    for refused in [
        format!(r#"{base},"aud":"shop""#),
        format!(r#"{base},"iss":"https://auth.example""#),
        format!(r#"{base},"iss":"https://evil.example","aud":"shop""#),
        format!(r#"{base},"iss":["https://auth.example"],"aud":"shop""#),
        format!(r#"{base},"iss":"https://auth.example","aud":"blog""#),
        format!(r#"{base},"iss":"https://auth.example","aud":["blog"]"#),
        format!(r#"{base},"iss":"https://auth.example","aud":["shop",1]"#),
        format!(r#"{base},"iss":"https://auth.example","aud":{{"shop":1}}"#),
        format!(r#"{base},"iss":"https://auth.example","aud":null"#),
    ] {
        assert!(!opens(&refused), "accepted {refused}");
    }
}

#[test]
fn every_format_keys_its_own_purpose() {
    // The same secret gives every format its own key: no token opens in another format, and
    // no MAC is keyed by the secret itself.
    let all = formats(&[A]);
    for (i, issuer) in all.iter().enumerate() {
        let token = issuer.issue(&claims(), "id").unwrap();
        for (j, other) in all.iter().enumerate() {
            assert_eq!(other.open(&token, "id", NOW).is_some(), i == j, "{i} {j}");
        }
    }
    let jwt = JwtFormat::new(StatelessKeys::new([A]).unwrap())
        .issue(&claims(), "id")
        .unwrap();
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_ne!(signature, hmac_sha256(A.as_bytes(), input.as_bytes()));
    assert_eq!(
        signature,
        hmac_sha256(
            &hmac_sha256(A.as_bytes(), b"session-core/jwt/v1"),
            input.as_bytes()
        )
    );
    assert_eq!(
        JwtFormat::verification_key(A),
        hmac_sha256(A.as_bytes(), b"session-core/jwt/v1")
    );
    let signed = SignedFormat::new(StatelessKeys::new([A]).unwrap())
        .issue(&claims(), "id")
        .unwrap();
    let (body, mac) = signed.rsplit_once('.').unwrap();
    let input = format!("id\0{body}");
    let mac = URL_SAFE_NO_PAD.decode(mac).unwrap();
    assert_ne!(mac, hmac_sha256(A.as_bytes(), input.as_bytes()));
    assert_eq!(
        mac,
        hmac_sha256(
            &hmac_sha256(A.as_bytes(), b"session-core/signed/v1"),
            input.as_bytes()
        )
    );
}

#[test]
fn encrypted_issues_xchacha20_poly1305_tokens() {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::XChaCha20Poly1305;
    let format = EncryptedFormat::new(StatelessKeys::new([A]).unwrap());
    let token = format.issue(&claims(), "id").unwrap();
    let bytes = URL_SAFE_NO_PAD
        .decode(token.strip_prefix("e2.").expect("the current prefix"))
        .unwrap();
    let (nonce, sealed) = bytes.split_at(24);
    let key = hmac_sha256(
        A.as_bytes(),
        b"session-core/stateless/xchacha20-poly1305/v2",
    );
    let cipher = XChaCha20Poly1305::new(&key.into());
    let nonce = chacha20poly1305::XNonce::try_from(nonce).unwrap();
    let json = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: b"id",
            },
        )
        .expect("decrypts with the documented key and the cookie name");
    let payload: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(payload["j"], "sid-1");
    assert_eq!(payload["d"]["user"], "ann");
    // Nonces are random per token.
    let again = format.issue(&claims(), "id").unwrap();
    assert_ne!(token[3..35], again[3..35]);
}

/// Tokens of the `e1.` (AES-256-GCM) format as issued before, with [`A`] and [`B`] for
/// [`claims`] without `nested`, and the cookie name `id`.
const E1_A: &str = "e1.PDbCUjudyJjAvTgLFMPojWmICyYUwyi2YzvnnwNO28nxCYz-pzACbPSARECFol2PosUFtTj5HM_uyzOgrlcP_TgUyQc64CpR-sm1shlVyQ1BT6JIEpvIssAja-oc10FJA2PoyZqFWgP8OWJUuN43eC1HOm8RVT-UtBDNDA";
const E1_B: &str = "e1.z7LZgHkIegcohc5nYYOfsJ2jwAIUIhwGE8qejU8Oq_X56UE4NvTZf0uMHBW8muMQoxnxvpRpLNcQbyzoSIrp9cEASzX2olNRP5FeYMiMXFcFHrD1T3ggZCBuq4PtTf-cCqx9F71I8pe655m3CUsnjnEvUo-ZA5nELYDcIQ";

#[test]
fn encrypted_opens_aes_gcm_tokens_issued_before() {
    let mut expected = claims();
    expected.state.data.remove("nested");
    let rotated = EncryptedFormat::new(StatelessKeys::new([A, B]).unwrap());
    let opened = rotated
        .open(E1_A, "id", NOW)
        .expect("e1 token with A opens");
    assert_eq!((opened.claims, opened.key_index), (expected.clone(), 0));
    let opened = rotated
        .open(E1_B, "id", NOW)
        .expect("e1 token with B opens");
    assert_eq!((&opened.claims, opened.key_index), (&expected, 1));
    // Still authenticated: another cookie name, a dropped key, an edit or expiry refuse it.
    assert!(rotated.open(E1_A, "other", NOW).is_none());
    let only_a = EncryptedFormat::new(StatelessKeys::new([A]).unwrap());
    assert!(only_a.open(E1_B, "id", NOW).is_none());
    let mut edited = E1_A.as_bytes().to_vec();
    edited[40] = if edited[40] == b'A' { b'B' } else { b'A' };
    assert!(rotated
        .open(std::str::from_utf8(&edited).unwrap(), "id", NOW)
        .is_none());
    assert!(rotated
        .open(E1_A, "id", NOW + time::Duration::HOUR)
        .is_none());
    // An e1 body under the e2 prefix (or the reverse) is not confused for the other scheme.
    assert!(rotated
        .open(&E1_A.replacen("e1.", "e2.", 1), "id", NOW)
        .is_none());
    // Re-issued, it is in the current format.
    let token = rotated.issue(&opened.claims, "id").unwrap();
    assert!(token.starts_with("e2."), "{token}");
    assert_eq!(rotated.open(&token, "id", NOW).unwrap().claims, expected);
}
