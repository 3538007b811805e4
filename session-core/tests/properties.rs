//! Property tests: signatures, parsing, and the decision table.

use proptest::prelude::*;
use session_core::decision::{decide, CookieOp, Facts, Loaded, Plan, StoreOp};
use session_core::{
    cookie_values, decode_uri_component, encode_uri_component_into, Config, Keyring, Unset,
};

fn ring() -> Keyring {
    Keyring::new(["0123456789abcdef0123456789abcdef", "an older secret"]).unwrap()
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(id in "\\PC{1,64}") {
        let ring = ring();
        let signed = ring.sign(&id);
        let verified = ring.unsign(&signed).unwrap();
        prop_assert_eq!(verified.id, id.as_str());
        prop_assert_eq!(verified.key_index, 0);
        // Through the cookie encoding too.
        let mut value = String::new();
        encode_uri_component_into(&signed, &mut value);
        let header = format!("a=b; id={value}");
        let read: Vec<_> = cookie_values(header.as_bytes(), "id").collect();
        prop_assert_eq!(read.len(), 1);
        prop_assert_eq!(&*read[0], signed.as_str());
    }

    #[test]
    fn any_byte_change_is_rejected(id in "[A-Za-z0-9_-]{32}", pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let ring = ring();
        let signed = ring.sign(&id);
        let mut bytes = signed.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(ring.unsign(&changed).is_none(), "accepted {:?}", changed);
        }
    }

    #[test]
    fn verifier_never_panics(value in any::<String>()) {
        let _ = ring().unsign(&value);
    }

    #[test]
    fn cookie_parser_never_panics(header in any::<Vec<u8>>(), name in "[a-z.]{1,8}") {
        for value in cookie_values(&header, &name) {
            let _ = ring().unsign(&value);
        }
    }

    #[test]
    fn percent_decoding_inverts_encoding(text in any::<String>()) {
        let mut encoded = String::new();
        encode_uri_component_into(&text, &mut encoded);
        prop_assert_eq!(decode_uri_component(&encoded).unwrap(), text);
    }

    #[test]
    fn decisions_match_the_table(f in facts(), rolling: bool, resave: bool, save_uninitialized: bool, keep: bool) {
        let config = Config::builder()
            .secret("0123456789abcdef0123456789abcdef")
            .rolling(rolling)
            .resave(resave)
            .save_uninitialized(save_uninitialized)
            .unset(if keep { Unset::Keep } else { Unset::Destroy })
            .build()
            .unwrap();
        prop_assert_eq!(decide(&config, &f), table(&f, rolling, resave, save_uninitialized, keep));
    }
}

fn facts() -> impl Strategy<Value = Facts> {
    let loaded = prop_oneof![
        Just(Loaded::NotLoaded),
        Just(Loaded::Absent),
        Just(Loaded::Present)
    ];
    (loaded, any::<[bool; 10]>()).prop_map(|(loaded, b)| Facts {
        loaded,
        had_cookie: b[0],
        resign: b[1],
        modified: b[2],
        empty: b[3],
        regenerated: b[4],
        destroyed: b[5],
        server_error: b[6],
        touch_due: b[7],
        persistent_cookie: b[8],
        max_age_changed: b[9],
    })
}

/// The table of `manual::decision_table`, written row by row, independently of `decide`.
fn table(f: &Facts, rolling: bool, resave: bool, save_uninitialized: bool, keep: bool) -> Plan {
    use CookieOp as C;
    use Loaded::*;
    use StoreOp as S;
    let p = |store, cookie| Plan { store, cookie };
    let refresh = if rolling || f.resign || f.max_age_changed {
        C::Set
    } else {
        C::None
    };
    let rows: [(bool, Plan); 15] = [
        (
            f.destroyed && (f.loaded == Present || (f.loaded == NotLoaded && f.had_cookie)),
            p(S::Delete, C::Clear),
        ),
        (
            f.destroyed && f.loaded == Absent && f.had_cookie,
            p(S::None, C::Clear),
        ),
        (f.destroyed, p(S::None, C::None)),
        (f.server_error, p(S::None, C::None)),
        (f.loaded == NotLoaded, p(S::None, C::None)),
        (f.loaded == Absent && f.regenerated, p(S::Create, C::Set)),
        (
            f.loaded == Absent && f.modified && !f.empty,
            p(S::Create, C::Set),
        ),
        (
            f.loaded == Absent && save_uninitialized,
            p(S::Create, C::Set),
        ),
        (f.loaded == Absent, p(S::None, C::None)),
        (f.modified && f.empty && !keep, p(S::Delete, C::Clear)),
        (f.regenerated, p(S::Replace, C::Set)),
        (
            f.modified && !f.empty,
            p(
                S::Save,
                if rolling || f.resign || f.max_age_changed || f.persistent_cookie {
                    C::Set
                } else {
                    C::None
                },
            ),
        ),
        (resave, p(S::Save, refresh)),
        (f.touch_due, p(S::Touch, refresh)),
        (true, p(S::None, refresh)),
    ];
    rows.into_iter()
        .find(|(when, _)| *when)
        .map(|(_, plan)| plan)
        .unwrap()
}
