#![no_main]
use std::sync::LazyLock;

use session_core::Config;
use session_stores::ExpressCodec;

static CODEC: LazyLock<ExpressCodec> = LazyLock::new(|| {
    let config = Config::builder()
        .secret("fuzzing secret number one, 32 bytes")
        .max_age(Some(std::time::Duration::from_secs(3600)))
        .build()
        .expect("valid config");
    ExpressCodec::new(&config)
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| session_core::fuzzing::codec(&*CODEC, data));
