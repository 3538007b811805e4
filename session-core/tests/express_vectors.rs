//! Known-answer vectors produced by Node's `cookie-signature` and express-session
//! (`shared/vectors/express-cookie-signature.json`, beside the project root).

mod common;

use serde_json::Value;
use session_core::{
    cookie_values, encode_uri_component_into, Config, DuplicateCookies, Keyring, SessionId,
    SetCookie,
};
use time::macros::datetime;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/express-cookie-signature.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("vectors are JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array of secrets")
        .iter()
        .map(|s| s.as_str().expect("secret is a string").to_owned())
        .collect()
}

#[test]
fn sign_vectors() {
    let all = vectors();
    let name = all["cookie_name"].as_str().unwrap();
    let list = all["sign_vectors"].as_array().unwrap();
    assert!(list.len() >= 19);
    for v in list {
        let case = v["name"].as_str().unwrap();
        let secrets = match v.get("secrets_config") {
            Some(s) => strings(s),
            None => vec![v["secret"].as_str().unwrap().to_owned()],
        };
        let id = v["session_id"].as_str().unwrap();
        let ring = Keyring::new(&secrets).unwrap();
        let signed = ring.sign(id);
        assert_eq!(
            signed,
            v["signed_value"].as_str().unwrap(),
            "{case}: signed value"
        );
        assert_eq!(&signed[2..], v["signed"].as_str().unwrap(), "{case}");
        assert!(
            signed.ends_with(v["hmac_sha256_base64_unpadded"].as_str().unwrap()),
            "{case}"
        );
        let mut value = String::new();
        encode_uri_component_into(&signed, &mut value);
        assert_eq!(
            value,
            v["cookie_value"].as_str().unwrap(),
            "{case}: cookie value"
        );
        assert_eq!(
            format!("{name}={value}"),
            v["cookie_pair"].as_str().unwrap(),
            "{case}"
        );
        let header = SetCookie {
            name,
            value: &value,
            path: Some("/"),
            expires: Some(datetime!(2030-01-01 0:00 UTC)),
            http_only: true,
            ..SetCookie::default()
        }
        .render();
        assert_eq!(
            header,
            v["set_cookie"].as_str().unwrap(),
            "{case}: Set-Cookie"
        );
        // What express-session accepts, we accept; an empty id is "no session" for both.
        let accepts = v["express_session_accepts"].as_bool().unwrap();
        assert_eq!(
            ring.unsign(&signed).is_some(),
            accepts,
            "{case}: round trip"
        );
        assert_eq!(SessionId::parse(id).is_some(), accepts, "{case}: id");
    }
}

/// The verification path alone: first cookie of the name, as express reads it.
#[test]
fn verify_vectors_with_keyring() {
    let all = vectors();
    let name = all["cookie_name"].as_str().unwrap();
    let list = all["verify_vectors"].as_array().unwrap();
    assert!(list.len() >= 46);
    for v in list {
        let case = v["name"].as_str().unwrap();
        let ring = Keyring::new(strings(&v["secrets"])).unwrap();
        let header = v["cookie_header"].as_str().unwrap();
        let got = cookie_values(header.as_bytes(), name)
            .next()
            .and_then(|value| ring.unsign(&value).map(|ok| ok.id.to_owned()));
        assert_eq!(got.as_deref(), v["expect_session_id"].as_str(), "{case}");
        assert_eq!(
            got.is_some(),
            v["expect_valid"].as_bool().unwrap(),
            "{case}"
        );
    }
}

/// The whole in-phase through the manager, configured like express-session.
#[test]
fn verify_vectors_through_manager() {
    let all = vectors();
    let name = all["cookie_name"].as_str().unwrap();
    for v in all["verify_vectors"].as_array().unwrap() {
        let case = v["name"].as_str().unwrap();
        // Express signs with its one (short) secret and takes ids of any shape.
        let mut builder = Config::builder()
            .cookie_name(name)
            .duplicate_cookies(DuplicateCookies::FirstOnly)
            .sign_with_legacy_secret()
            .foreign_ids(true);
        for secret in strings(&v["secrets"]) {
            builder = builder.legacy_secret(secret);
        }
        let config = builder.build().unwrap();
        let id = common::loaded_id(config, v["cookie_header"].as_str().unwrap());
        assert_eq!(id.as_deref(), v["expect_session_id"].as_str(), "{case}");
    }
}

/// Our default differs from express on one vector: the first cookie that verifies wins.
#[test]
fn first_valid_duplicate_wins_by_default() {
    let all = vectors();
    let v = all["verify_vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "reject:first-duplicate-cookie-wins")
        .unwrap();
    let config = Config::builder()
        .legacy_secret("keyboard cat")
        .sign_with_legacy_secret()
        .cookie_name("connect.sid")
        .build()
        .unwrap();
    let id = common::loaded_id(config, v["cookie_header"].as_str().unwrap());
    assert_eq!(id.as_deref(), Some("ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK"));
}
