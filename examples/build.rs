//! Generates the `tonic` example's gRPC service (server and client) from its description in
//! Rust, so no `protoc` is needed: the messages are written by hand in `src/tonic.rs`.

use tonic_build::manual::{Builder, Method, Service};

fn method(name: &str, route: &str, input: &str) -> tonic_build::manual::MethodBuilder {
    Method::builder()
        .name(name)
        .route_name(route)
        .input_type(format!("crate::tonic::{input}"))
        .output_type("crate::tonic::CountReply")
        .codec_path("tonic_prost::ProstCodec")
}

fn main() {
    let counter = Service::builder()
        .name("Counter")
        .package("counter")
        .comment("A counter kept in the caller's session.")
        .method(
            method("increment", "Increment", "IncrementRequest")
                .comment("Adds `by` (1 when 0) to the session's count.")
                .build(),
        )
        .method(
            method("count_up", "CountUp", "CountUpRequest")
                .comment("Adds `by` to the session's count, streaming every step.")
                .server_streaming()
                .build(),
        )
        .build();
    Builder::new().compile(&[counter]);
    println!("cargo::rerun-if-changed=build.rs");
}
