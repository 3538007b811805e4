//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the same target bodies
//! the fuzzers run, so every `cargo test` re-checks every input the fuzzers ever kept.

use std::path::Path;

use session_core::fuzzing;

fn replay(target: &str, body: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.expect("readable corpus entry").path();
        body(&std::fs::read(&path).expect("readable corpus file"));
        n += 1;
    }
    assert!(n > 0, "corpus {target} is empty");
    n
}

#[test]
fn replay_corpora() {
    let counts = [
        (
            "cookie_header",
            replay("cookie_header", fuzzing::cookie_header),
        ),
        (
            "signed_value",
            replay("signed_value", fuzzing::signed_value),
        ),
        ("token", replay("token", fuzzing::token)),
        ("json_codec", replay("json_codec", fuzzing::json_codec)),
    ];
    println!("replayed {counts:?}");
}
