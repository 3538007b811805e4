//! The record formats a store's payloads may be written in.

use std::time::Duration;

use session_core::{
    Codec, CodecError, Config, ExpressCookie, ExpressOptions, JsonCodec, SessionState,
};
use session_stores::{ExpressCodec, MsgpackCodec};
use time::OffsetDateTime;

use crate::error::Failure;

/// A codec by name, as `--codec` and `--to-codec` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CodecName {
    /// session-core's JsonCodec: `{"d":{..},"c":<created ms>,"m":<max-age ms>}`.
    Json,
    /// session-stores' MsgpackCodec.
    Msgpack,
    /// express-session's record (ExpressCodec): the data beside a `cookie` object.
    Express,
}

impl CodecName {
    pub fn name(self) -> &'static str {
        match self {
            CodecName::Json => "json",
            CodecName::Msgpack => "msgpack",
            CodecName::Express => "express",
        }
    }
}

/// One of the codecs, ready to use.
pub enum AnyCodec {
    Json(JsonCodec),
    Msgpack(MsgpackCodec),
    Express(Box<ExpressCodec>),
}

impl AnyCodec {
    /// The codec `name`. The express codec writes express-session's default cookie fields
    /// (`httpOnly`, `path: "/"`), `originalMaxAge` and `expires` from `express_max_age` (a
    /// session's own max-age wins), and keeps the creation time in `_rs` so that nothing is
    /// lost on the way back.
    pub fn new(name: CodecName, express_max_age: Option<Duration>) -> Result<Self, Failure> {
        Ok(match name {
            CodecName::Json => AnyCodec::Json(JsonCodec),
            CodecName::Msgpack => AnyCodec::Msgpack(MsgpackCodec),
            CodecName::Express => {
                let options = ExpressOptions {
                    // The codec signs nothing; a configuration needs a secret all the same.
                    secret: vec!["x".repeat(32)],
                    cookie: ExpressCookie {
                        max_age: express_max_age,
                        ..ExpressCookie::default()
                    },
                    ..ExpressOptions::default()
                };
                let config = Config::builder()
                    .express_session(options)
                    // Any absolute timeout makes the codec keep the creation time.
                    .absolute_timeout(Duration::from_secs(100 * 365 * 86_400))
                    .build()
                    .map_err(|e| Failure::usage(format!("the express codec: {e}")))?;
                AnyCodec::Express(Box::new(ExpressCodec::new(&config)))
            }
        })
    }

    pub fn decode(&self, payload: &[u8]) -> Result<SessionState, CodecError> {
        match self {
            AnyCodec::Json(c) => c.decode(payload),
            AnyCodec::Msgpack(c) => c.decode(payload),
            AnyCodec::Express(c) => c.decode(payload),
        }
    }

    pub fn encode(
        &self,
        state: &SessionState,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<u8>, CodecError> {
        match self {
            AnyCodec::Json(c) => c.encode(state, expires_at),
            AnyCodec::Msgpack(c) => c.encode(state, expires_at),
            AnyCodec::Express(c) => c.encode(state, expires_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips_a_session() {
        let mut data = serde_json::Map::new();
        data.insert("user".into(), "ann".into());
        data.insert("cart".into(), serde_json::json!([1, 2, {"x": null}]));
        let state = SessionState {
            data,
            created_at: time::macros::datetime!(2030-01-01 0:00:00.123 UTC),
            max_age: Some(Duration::from_secs(600)),
        };
        let expires = time::macros::datetime!(2030-01-01 1:00 UTC);
        for name in [CodecName::Json, CodecName::Msgpack, CodecName::Express] {
            let codec = AnyCodec::new(name, Some(Duration::from_secs(3600))).unwrap();
            let bytes = codec.encode(&state, expires).unwrap();
            assert_eq!(codec.decode(&bytes).unwrap(), state, "{}", name.name());
        }
    }
}
