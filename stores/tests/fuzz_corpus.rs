//! Replays the committed fuzz corpora of the store crate's codecs (`fuzz/corpus/<target>/`)
//! through the same target bodies the fuzzers run.
#![cfg(all(feature = "msgpack", feature = "express"))]

use std::path::Path;

use session_core::{fuzzing, Config};
use session_stores::{ExpressCodec, MsgpackCodec};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let inputs: Vec<Vec<u8>> = entries
        .map(|e| std::fs::read(e.expect("entry").path()).expect("readable corpus file"))
        .collect();
    assert!(!inputs.is_empty(), "corpus {target} is empty");
    inputs
}

#[test]
fn replay_codec_corpora() {
    let config = Config::builder()
        .secret("fuzzing secret number one, 32 bytes")
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .build()
        .expect("valid config");
    let express = ExpressCodec::new(&config);
    for input in corpus("express_codec") {
        fuzzing::codec(&express, &input);
    }
    for input in corpus("msgpack_codec") {
        fuzzing::codec(&MsgpackCodec, &input);
    }
}
