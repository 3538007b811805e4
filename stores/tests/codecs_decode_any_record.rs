//! A record read from a store is input: every codec decodes any record to a session or a
//! `CodecError`, never a panic, whatever its instants and durations (years far outside
//! -9999..=9999, max-ages of ±1e300, integer extremes, fields of the wrong type or missing).
//! Whatever decodes must also re-encode to a record that decodes to the same session.
#![cfg(all(feature = "msgpack", feature = "express"))]

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use session_core::{fuzzing, Codec, Config, JsonCodec};
use session_stores::{ExpressCodec, MsgpackCodec};

fn express() -> ExpressCodec {
    let config = Config::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .build()
        .expect("a valid config");
    ExpressCodec::new(&config)
}

/// Decodes (eagerly and lazily) and checks the round trip; a panic fails the property.
fn decodes_without_panic(codec: &dyn Codec, record: &[u8]) {
    let _ = codec.decode_lazily(record);
    fuzzing::codec(codec, record);
}

/// Integers and floats at and near every edge a conversion could trip on.
fn extreme_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(i64::MIN)),
        Just(Value::from(i64::MAX)),
        Just(Value::from(u64::MAX)),
        Just(json!(-9e15)),
        Just(json!(9e15)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(f64::MAX)),
        Just(json!(f64::MIN)),
        Just(json!(f64::MIN_POSITIVE)),
        Just(json!(9.223_372_036_854_776e18)),
        Just(json!(-9.223_372_036_854_776e18)),
        (-1e300..1e300f64).prop_map(Value::from),
        (-1e16..1e16f64).prop_map(Value::from),
    ]
}

/// What a field may hold: an extreme number, or something that is not a number at all.
fn field() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => extreme_number().prop_map(Some),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(json!("NaN"))),
        1 => Just(Some(json!("Infinity"))),
        1 => Just(Some(json!([1, 2]))),
        1 => Just(Some(json!({}))),
        1 => Just(Some(json!(true))),
    ]
}

/// A date the way JavaScript's `toISOString` writes one, for any year (most are beyond what
/// RFC 3339 allows), or text that only looks like one.
fn expires() -> impl Strategy<Value = Option<Value>> {
    let year = prop_oneof![
        -9999i64..=9999,
        any::<i32>().prop_map(i64::from),
        Just(0),
        Just(9999)
    ];
    let date = (year, 1u8..=12, 1u8..=31, 0u8..=23, 0u16..=999).prop_map(|(y, mo, d, h, ms)| {
        let year = if (0..=9999).contains(&y) {
            format!("{y:04}")
        } else {
            format!("{y:+07}")
        };
        json!(format!("{year}-{mo:02}-{d:02}T{h:02}:59:59.{ms:03}Z"))
    });
    prop_oneof![
        6 => date.prop_map(Some),
        1 => Just(Some(json!("9999-12-31T23:59:59.999Z"))),
        1 => Just(Some(json!("0000-01-01T00:00:00.000Z"))),
        1 => Just(Some(json!("not a date"))),
        1 => extreme_number().prop_map(Some),
        1 => Just(None),
    ]
}

fn object(fields: &[(&str, Option<Value>)]) -> Value {
    let map: Map<String, Value> = fields
        .iter()
        .filter_map(|(k, v)| Some(((*k).to_owned(), v.clone()?)))
        .collect();
    Value::Object(map)
}

/// MessagePack of `[data, created, max-age]`, written by hand so that each element can be
/// of any type and value.
fn msgpack_record(created: &Option<Value>, max_age: &Option<Value>) -> Vec<u8> {
    let mut out = vec![0x93, 0x81, 0xa1, b'k', 0x01];
    for value in [created, max_age] {
        match value {
            Some(Value::Number(n)) if n.is_u64() => {
                out.push(0xcf);
                out.extend(n.as_u64().unwrap_or_default().to_be_bytes());
            }
            Some(Value::Number(n)) if n.is_i64() => {
                out.push(0xd3);
                out.extend(n.as_i64().unwrap_or_default().to_be_bytes());
            }
            Some(Value::Number(n)) => {
                out.push(0xcb);
                out.extend(n.as_f64().unwrap_or(f64::NAN).to_be_bytes());
            }
            Some(Value::Bool(b)) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Some(Value::String(_)) => out.extend([0xa1, b'x']),
            // A NaN, which JSON cannot carry but MessagePack can.
            Some(_) => out.extend([0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
            None => out.push(0xc0),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn express_codec_decodes_extreme_cookies_without_panic(
        expires in expires(),
        original_max_age in field(),
        created in field(),
        max_age in field(),
        with_ours in any::<bool>(),
    ) {
        let cookie = object(&[("expires", expires), ("originalMaxAge", original_max_age)]);
        let mut record = json!({"cookie": cookie, "user": "ann"});
        if with_ours {
            record["_rs"] = object(&[("c", created), ("m", max_age)]);
        }
        let bytes = serde_json::to_vec(&record).expect("a JSON value serialises");
        decodes_without_panic(&express(), &bytes);
    }

    #[test]
    fn json_codec_decodes_extreme_instants_without_panic(
        created in field(),
        max_age in field(),
        padding in 0usize..400,
    ) {
        // Padding past 256 bytes takes the lazy decoding path too.
        let data = json!({"pad": "x".repeat(padding)});
        let record = object(&[("d", Some(data)), ("c", created), ("m", max_age)]);
        let bytes = serde_json::to_vec(&record).expect("a JSON value serialises");
        decodes_without_panic(&JsonCodec, &bytes);
    }

    #[test]
    fn msgpack_codec_decodes_extreme_instants_without_panic(
        created in field(),
        max_age in field(),
    ) {
        decodes_without_panic(&MsgpackCodec, &msgpack_record(&created, &max_age));
    }

    #[test]
    fn every_codec_decodes_arbitrary_bytes_without_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        decodes_without_panic(&express(), &bytes);
        decodes_without_panic(&JsonCodec, &bytes);
        decodes_without_panic(&MsgpackCodec, &bytes);
    }
}

/// The records that made the express codec panic: a date near the end of year 9999 minus a
/// negative max-age, and the same past the start of year 0.
#[test]
fn express_codec_refuses_out_of_range_last_touch() {
    let codec = express();
    for record in [
        r#"{"cookie":{"expires":"9999-12-31T00:00:00.000Z","originalMaxAge":-9e15}}"#,
        r#"{"cookie":{"expires":"9999-12-31T00:00:00.000Z","originalMaxAge":-9000000000000000}}"#,
        r#"{"cookie":{"expires":"0000-01-01T00:00:00.000Z","originalMaxAge":9223372036854775807}}"#,
        r#"{"cookie":{"expires":"2030-01-01T00:00:00.000Z","originalMaxAge":-9223372036854775808}}"#,
    ] {
        assert!(codec.decode(record.as_bytes()).is_err(), "{record}");
    }
    // A fractional max-age, which JavaScript allows, counts in whole milliseconds.
    let state = codec
        .decode(br#"{"cookie":{"expires":"2030-01-01T01:00:00.000Z","originalMaxAge":3600000.75}}"#)
        .expect("an in-range record decodes");
    assert_eq!(
        state.created_at,
        time::macros::datetime!(2030-01-01 0:00 UTC)
    );
}
