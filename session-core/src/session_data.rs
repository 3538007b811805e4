//! A loaded session's data, decoded only as far as the handler needs it.
//!
//! Most requests read a key or two and change nothing. Decoding the whole record into a map
//! of JSON values (a `String` and a tree node per key, freed again at the end of the request)
//! was the largest part of a memory-store read after the HMAC (callgrind). So when the codec
//! leaves the data as JSON text (see [`crate::Codec::decode_lazily`]), a read finds its key
//! in that text and deserialises only its value; the first change, or a handler that reads
//! many keys, decodes the map once. The text is checked when it loads (see
//! [`check_finding`]); when a read is what loads it, that same pass decodes the read's value.
//!
//! Figure (`cargo bench -p session-bench --bench fast_paths`, callgrind): on a ~1 KiB session
//! a read costs 78,400 instructions against 139,600 decoded at once (an axum request with its
//! cookie's HMAC is ~28,000 in all), while a read followed by a write costs 226,000 against
//! 164,800, the checking pass paid on top of the decode: kept because most requests only read.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::OnceLock;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::{SessionError, WrongType};
use crate::record::CodecError;

/// Keys read straight from the JSON text before the map is decoded: each read scans the whole
/// object (the last copy of a key wins, as in the map), so a handler that reads many keys is
/// better served by one decode. A read answered by the load's check counts as one.
const TEXT_READS: u8 = 4;

#[derive(Default)]
pub(crate) struct SessionData {
    map: Map<String, Value>,
    /// The loaded record's payload, kept to find what changed if a save conflicts.
    loaded: Vec<u8>,
    /// Where in `loaded` the data's JSON object is while it is not decoded (`map` is then
    /// empty).
    text: Option<Range<usize>>,
    text_reads: u8,
    /// The value the load's check found for the key the session was loaded to read (see
    /// [`SessionData::loaded`]), for that first read. Boxed: only large sessions have one,
    /// and every request moves the handle's state around.
    first_read: Option<Box<FirstRead>>,
}

/// A key and its value (`None`: absent), decoded by the pass that checked the text.
struct FirstRead {
    key: Box<str>,
    value: Option<Value>,
}

impl SessionData {
    /// Data that is already decoded (a new session, a stateless token).
    pub(crate) fn decoded(map: Map<String, Value>) -> Self {
        Self {
            map,
            ..Self::default()
        }
    }

    /// A loaded record's data: `map` as the codec decoded it, or, when `text` is given, the
    /// JSON object at that range of `payload`. `None` when that text is not in the payload or
    /// would not decode (see [`check_finding`]): kept undecoded, it would make a session that
    /// loads and then fails on every change until it expires.
    ///
    /// `first_read` is the key the session was loaded to read, if any: the pass that checks
    /// the text then also decodes that key's value, so the first read costs no second pass.
    pub(crate) fn loaded(
        map: Map<String, Value>,
        payload: Vec<u8>,
        text: Option<Range<usize>>,
        first_read: Option<&str>,
    ) -> Option<Self> {
        let mut first = None;
        if let Some(range) = &text {
            let object = payload.get(range.clone())?;
            let value = check_finding(object, first_read).ok()?;
            first = first_read.map(|key| {
                Box::new(FirstRead {
                    key: key.into(),
                    value,
                })
            });
        }
        Some(Self {
            map,
            loaded: payload,
            text,
            text_reads: 0,
            first_read: first,
        })
    }

    /// The payload the session was loaded from (empty for a new session).
    pub(crate) fn loaded_payload(&self) -> &[u8] {
        &self.loaded
    }

    /// After a merge: the payload the merged data is based on.
    pub(crate) fn set_loaded_payload(&mut self, payload: Vec<u8>) {
        self.loaded = payload;
    }

    /// The value under `key`, deserialised.
    pub(crate) fn get<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, SessionError> {
        let wrong_type = |e| SessionError::WrongType(WrongType::new(key, e));
        // Taken by the first read, whatever its key: only a read of the key the load was for
        // (on this handle or a clone) can use it, and later ones find the text as before.
        if let Some(first) = self.first_read.take() {
            if self.text.is_some() && *first.key == *key {
                self.text_reads += 1;
                // As the map answers: `T` from the decoded `Value`.
                return first
                    .value
                    .map(T::deserialize)
                    .transpose()
                    .map_err(wrong_type);
            }
        }
        if self.text_reads < TEXT_READS {
            if let Some(text) = self.text.clone().and_then(|range| self.loaded.get(range)) {
                self.text_reads += 1;
                // Anything unusual (a duplicate key, a value of another type) is answered by
                // the map, which is the reference.
                if let Ok(found) = find(text, key) {
                    return Ok(found);
                }
            }
        }
        self.map()?
            .get(key)
            .map(T::deserialize)
            .transpose()
            .map_err(wrong_type)
    }

    /// The decoded map, decoding it first if needed.
    pub(crate) fn map(&mut self) -> Result<&mut Map<String, Value>, CodecError> {
        if let Some(text) = self.text() {
            self.map = serde_json::from_slice(text).map_err(CodecError::new)?;
            self.text = None;
            self.first_read = None;
        }
        Ok(&mut self.map)
    }

    /// Whether there is no key; needs no decoding.
    pub(crate) fn is_empty(&self) -> bool {
        match self.text() {
            // A checked JSON object: empty when `}` follows `{` and any whitespace.
            Some(text) => text
                .iter()
                .skip(1)
                .find(|b| !b.is_ascii_whitespace())
                .is_none_or(|&b| b == b'}'),
            None => self.map.is_empty(),
        }
    }

    /// Drops every key.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.text = None;
        self.first_read = None;
    }

    fn text(&self) -> Option<&[u8]> {
        self.text.clone().and_then(|range| self.loaded.get(range))
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text {
            Some(_) => f.write_str("<not decoded>"),
            None => write!(f, "{} keys", self.map.len()),
        }
    }
}

/// Checks that `object` is a JSON object that decodes into a map later, building nothing but
/// the value under `key` (the last one, as the map keeps), which it returns.
///
/// Skipping a value (serde's `IgnoredAny`, serde_json's `RawValue`) is more lenient than
/// decoding it into a `Value`: no nesting limit, no range check of numbers, lone surrogates
/// let through. Data that passed the skip but failed to decode would be a session that loads
/// and then fails on its first change, until it expires; so lazily kept data must pass the
/// checks a decode makes, and those are the checks of `deserialize_any`, which `Value` uses.
/// One deserializer runs over the whole object, so the value under `key` is held to the same
/// limits (nesting depth included) as in a decode of the map.
fn check_finding(object: &[u8], key: Option<&str>) -> Result<Option<Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(object);
    // `deserialize_map`, as `Map` itself asks for: anything but an object is refused.
    let found = de.deserialize_map(CheckFinding(key))?;
    de.end()?;
    Ok(found)
}

struct CheckFinding<'k>(Option<&'k str>);

impl<'de> Visitor<'de> for CheckFinding<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    // The data's own keys are plain keys, whatever they say: `Map` reads them so.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Key(key)) = map.next_key()? {
            if self.0 == Some(&*key) {
                found = Some(map.next_value()?);
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(found)
    }
}

/// The prefix of the object keys that serde_json's `Value` does not read as plain keys when
/// some crate in the build turns on its `raw_value` or `arbitrary_precision` feature (axum
/// turns on `raw_value`): `{"$serde_json::private::RawValue": "{\"role\":\"admin\"}"}`
/// would come back as `{"role":"admin"}`. Session data may not hold such keys, so that what
/// an application validated and stored is what it loads.
pub(crate) const SERDE_PRIVATE_KEY: &str = "$serde_json::private::";

/// The first key under `value` (at any depth) that starts with [`SERDE_PRIVATE_KEY`].
pub(crate) fn serde_private_key(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            if key.starts_with(SERDE_PRIVATE_KEY) {
                Some(key.as_str())
            } else {
                serde_private_key(value)
            }
        }),
        Value::Array(items) => items.iter().find_map(serde_private_key),
        _ => None,
    }
}

/// Whether a stored payload holds a key starting with [`SERDE_PRIVATE_KEY`] as written by
/// serde_json or `JSON.stringify` (neither escapes `$`); such a record is not loaded.
pub(crate) fn payload_has_serde_private_key(payload: &[u8]) -> bool {
    memchr::memmem::find(payload, SERDE_PRIVATE_KEY.as_bytes()).is_some()
}

/// The first key of a nested object that serde_json's `Value` reads as the JSON text in its
/// string value (its `raw_value` feature, which this crate needs and so turns on); nothing
/// else may follow it in that object.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// The same for a number written as a string, when another crate in the build turns on
/// serde_json's `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Whether `Value` reads [`NUMBER_TOKEN`] objects as numbers in this build: asked of
/// serde_json once, since features are unified across the whole dependency graph.
fn numbers_from_strings() -> bool {
    static READS: OnceLock<bool> = OnceLock::new();
    *READS.get_or_init(|| {
        serde_json::from_str::<Value>(r#"{"$serde_json::private::Number":"1"}"#)
            .is_ok_and(|value| value.is_number())
    })
}

/// A value checked as `Value` would decode it.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let Some(Key(first)) = map.next_key()? else {
            return Ok(Checked);
        };
        // As `Value` does: the string is read, and the object ends there (the deserializer
        // refuses anything after it, for `Value` and for this check alike).
        if first == RAW_VALUE_TOKEN {
            let Key(json) = map.next_value()?;
            serde_json::from_str::<Checked>(&json).map_err(serde::de::Error::custom)?;
            return Ok(Checked);
        }
        if first == NUMBER_TOKEN && numbers_from_strings() {
            let Key(number) = map.next_value()?;
            number
                .parse::<serde_json::Number>()
                .map_err(serde::de::Error::custom)?;
            return Ok(Checked);
        }
        map.next_value::<Checked>()?;
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

/// The value under `key` in the JSON object `object`, deserialised straight from the text;
/// an error for a key that appears twice, where the map would take the last.
fn find<T: DeserializeOwned>(object: &[u8], key: &str) -> Result<Option<T>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(object);
    let found = de.deserialize_map(Find(key, PhantomData))?;
    de.end()?;
    Ok(found)
}

struct Find<'k, T>(&'k str, PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for Find<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Key(key)) = map.next_key()? {
            if key != self.0 {
                map.next_value::<IgnoredAny>()?;
            } else if found.is_none() {
                found = Some(map.next_value()?);
            } else {
                return Err(serde::de::Error::custom("a key appears twice"));
            }
        }
        Ok(found)
    }
}

/// A key borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lazy(json: &str) -> SessionData {
        loaded_to_read(json, None).unwrap()
    }

    fn loaded_to_read(json: &str, key: Option<&str>) -> Option<SessionData> {
        let payload = format!(r#"{{"d":{json},"c":0}}"#).into_bytes();
        let range = 5..5 + json.len();
        SessionData::loaded(Map::new(), payload, Some(range), key)
    }

    #[test]
    fn a_read_decoded_by_the_check_matches_the_map() {
        let json = r#"{"n":1,"s":"a\"b","o":{"n":2},"e\u0073c":true,"n2":[1,2],"dup":1,"dup":2}"#;
        let map: Map<String, Value> = serde_json::from_str(json).unwrap();
        for key in ["n", "s", "o", "esc", "n2", "dup", "missing"] {
            let mut data = loaded_to_read(json, Some(key)).unwrap();
            assert!(data.first_read.is_some(), "{key}");
            let first: Option<Value> = data.get(key).unwrap();
            assert_eq!(first.as_ref(), map.get(key), "{key}");
            assert!(data.first_read.is_none(), "{key}");
            // Later reads, of this key or another, are answered as before.
            assert_eq!(data.get::<Value>(key).unwrap().as_ref(), map.get(key));
            assert_eq!(data.get::<Value>("o").unwrap().as_ref(), map.get("o"));
        }
    }

    proptest::proptest! {
        /// Objects built from fragments some of which a decode refuses: whether the data
        /// loads, and what the first read returns, are what a decode of the map gives.
        #[test]
        fn the_first_read_is_the_map_s_answer(
            entries in proptest::collection::vec((0..4usize, 0..14usize, 0..3usize), 0..6),
            read in 0..3usize,
        ) {
            const KEYS: [&str; 4] = ["a", "k", "\\u006b", "zz"];
            const VALUES: [&str; 14] = [
                "1", "-0.5", "1e400", "18446744073709551616", r#""x""#, r#""\ud800""#,
                r#""\u00e9\ud83d\ude00""#, "null", "[]", r#"{"k":[1,{"a":true}]}"#, "[1,]", "{}",
                r#"{"$serde_json::private::RawValue":"[1]"}"#,
                r#"{"$serde_json::private::RawValue":1}"#,
            ];
            let entry = |&(k, v, depth): &(usize, usize, usize)| {
                // 0, 63 or 126 arrays deep: the last crosses serde_json's nesting limit
                // with some values and not with others.
                let (open, close) = ("[".repeat(depth * 63), "]".repeat(depth * 63));
                format!(r#""{}":{open}{}{close}"#, KEYS[k], VALUES[v])
            };
            let json = format!("{{{}}}", entries.iter().map(entry).collect::<Vec<_>>().join(","));
            let key = ["k", "a", "missing"][read];
            let reference = serde_json::from_str::<Map<String, Value>>(&json).ok();
            let checked = loaded_to_read(&json, None);
            proptest::prop_assert_eq!(checked.is_some(), reference.is_some(), "{}", json);
            let data = loaded_to_read(&json, Some(key));
            proptest::prop_assert_eq!(data.is_some(), reference.is_some(), "{}", json);
            if let (Some(mut data), Some(map)) = (data, reference) {
                let first = data.get::<Value>(key).ok();
                let theirs = map.get(key).map(Value::deserialize).transpose().ok();
                proptest::prop_assert_eq!(first, theirs, "{}", json);
            }
        }
    }

    #[test]
    fn objects_that_value_reads_specially_are_checked_as_it_reads_them() {
        // A nested object whose first key is serde_json's raw-value token is the JSON in its
        // string; at the top of the data it is a plain key, as `Map` reads it.
        let cases = [
            r#"{"x":{"$serde_json::private::RawValue":5}}"#,
            r#"{"x":{"$serde_json::private::RawValue":"not json"}}"#,
            r#"{"x":{"$serde_json::private::RawValue":"[1,{\"a\":2}]"}}"#,
            r#"{"x":{"$serde_json::private::RawValue":"1","a":2}}"#,
            r#"{"x":{"a":2,"$serde_json::private::RawValue":"1"}}"#,
            r#"{"x":[{"$serde_json::private::RawValue":"1e400"}]}"#,
            r#"{"$serde_json::private::RawValue":5}"#,
            r#"{"x":{"$serde_json::private::Number":"12"}}"#,
            r#"{"x":{"$serde_json::private::Number":"x"}}"#,
        ];
        for json in cases {
            let map = serde_json::from_str::<Map<String, Value>>(json).ok();
            for key in [None, Some("x"), Some("k")] {
                let data = loaded_to_read(json, key);
                assert_eq!(data.is_some(), map.is_some(), "{json} {key:?}");
                if let (Some(mut data), Some(map), Some(key)) = (data, &map, key) {
                    // serde_json cannot always read such a `Value` back into a `Value` (the
                    // token sorts first in the map): then both answers are the same error.
                    let theirs = map.get(key).map(Value::deserialize).transpose();
                    let ours = data.get::<Value>(key);
                    assert_eq!(ours.ok(), theirs.ok(), "{json} {key}");
                }
            }
        }
    }

    #[test]
    fn the_first_read_answers_only_its_own_key() {
        let mut data = loaded_to_read(r#"{"a":1,"b":2}"#, Some("a")).unwrap();
        assert_eq!(data.get::<u64>("b").unwrap(), Some(2));
        assert!(data.first_read.is_none());
        assert_eq!(data.get::<u64>("a").unwrap(), Some(1));
        let mut decoded = loaded_to_read(r#"{"a":1}"#, Some("a")).unwrap();
        decoded.map().unwrap().insert("a".into(), Value::from(5));
        assert_eq!(decoded.get::<u64>("a").unwrap(), Some(5));
    }

    #[test]
    fn the_check_that_reads_refuses_what_a_decode_refuses() {
        let cases = [
            r#"{"n":1e400}"#,
            r#"{"k":1e400}"#,
            r#"{"s":"\ud800"}"#,
            r#"{"k":"\ud800"}"#,
            r#"{"a":1,}"#,
            "[1]",
        ];
        for json in cases {
            assert!(serde_json::from_str::<Map<String, Value>>(json).is_err());
            assert!(loaded_to_read(json, Some("k")).is_none(), "{json}");
        }
        // Nesting is counted from the data object, whether or not the key is the one read:
        // at serde_json's limit and one past it, ours agrees with its decode.
        let nested =
            |key: &str, n: usize| format!(r#"{{"{key}":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
        let decodes = |json: &str| serde_json::from_str::<Map<String, Value>>(json).is_ok();
        let limit = (1..200).find(|&n| !decodes(&nested("k", n))).unwrap();
        for key in ["k", "other"] {
            for n in [limit - 1, limit] {
                let json = nested(key, n);
                assert_eq!(
                    loaded_to_read(&json, Some("k")).is_some(),
                    decodes(&json),
                    "{key} {n}"
                );
            }
        }
    }

    #[test]
    fn reads_from_the_text_match_reads_from_the_map() {
        let json = r#"{"n":1,"s":"a\"b","o":{"n":2},"e\u0073c":true,"n2":[1,2],"dup":1,"dup":2}"#;
        for key in ["n", "s", "o", "esc", "n2", "dup", "missing"] {
            let mut text = lazy(json);
            let from_text: Option<Value> = text.get(key).unwrap();
            let mut map = lazy(json);
            map.map().unwrap();
            assert_eq!(from_text, map.get::<Value>(key).unwrap(), "{key}");
        }
    }

    #[test]
    fn emptiness_needs_no_decoding() {
        assert!(lazy("{}").is_empty());
        assert!(lazy("{ \n }").is_empty());
        assert!(!lazy(r#"{"a":1}"#).is_empty());
        assert!(!lazy(r#"{ "a":1}"#).is_empty());
    }

    #[test]
    fn many_reads_decode_the_map_once() {
        let mut data = lazy(r#"{"n":1}"#);
        for _ in 0..=TEXT_READS {
            assert_eq!(data.get::<u64>("n").unwrap(), Some(1));
        }
        assert!(data.text.is_none());
    }

    #[test]
    fn the_check_refuses_what_a_decode_refuses() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let cases = [
            r#"{"n":1e400}"#.to_owned(),
            r#"{"s":"\ud800"}"#.to_owned(),
            format!(r#"{{"d":{deep}}}"#),
            r#"{"a":1,}"#.to_owned(),
        ];
        for json in cases {
            assert!(
                serde_json::from_str::<Map<String, Value>>(&json).is_err(),
                "{json}"
            );
            assert!(check_finding(json.as_bytes(), None).is_err(), "{json}");
        }
        let fine = r#"{"n":1.5,"i":-3,"u":18446744073709551615,"s":"\u00e9\ud83d\ude00","a":[null,true,{}]}"#;
        assert!(serde_json::from_str::<Map<String, Value>>(fine).is_ok());
        assert!(check_finding(fine.as_bytes(), None).is_ok());
    }

    #[test]
    fn a_wrong_type_is_a_codec_error_either_way() {
        let mut data = lazy(r#"{"n":"x"}"#);
        assert!(data.get::<u64>("n").is_err());
        data.map().unwrap();
        assert!(data.get::<u64>("n").is_err());
    }
}
