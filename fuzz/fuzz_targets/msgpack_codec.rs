#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    session_core::fuzzing::codec(&session_stores::MsgpackCodec, data)
});
