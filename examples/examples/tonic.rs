//! A gRPC counter kept in the caller's session, on tonic (the service is in `src/tonic.rs`).
//!
//! `cargo run -p session-examples --example tonic` serves it on 127.0.0.1:3000; then
//! `cargo run -p session-examples --example tonic -- call` makes a few calls, sending back
//! the session token the first one received.

use session_examples::tonic::counter_client::CounterClient;
use session_examples::tonic::{CountUpRequest, IncrementRequest, TOKEN_HEADER};
use session_tonic::{MemoryStore, SessionManager};
use tonic::metadata::{Ascii, MetadataValue};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = session_examples::addr()?;
    if std::env::args().nth(1).as_deref() == Some("call") {
        return call(&format!("http://{addr}")).await;
    }
    let config = session_examples::tonic::config(session_examples::secret()?)?;
    let manager = SessionManager::builder(config)
        .store(MemoryStore::new())
        .build()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("gRPC on http://{}/", listener.local_addr()?);
    session_examples::tonic::serve(manager, listener).await?;
    Ok(())
}

/// Two increments and a streamed count-up in one session.
async fn call(url: &str) -> anyhow::Result<()> {
    let mut client = CounterClient::connect(url.to_owned()).await?;
    let first = client.increment(IncrementRequest { by: 1 }).await?;
    let token = first.metadata().get(TOKEN_HEADER).cloned();
    println!("count {}, token {token:?}", first.get_ref().count);
    let Some(token) = token else {
        anyhow::bail!("the first call's response has no {TOKEN_HEADER}");
    };
    let second = client
        .increment(with_token(IncrementRequest { by: 1 }, &token))
        .await?;
    println!("count {}", second.get_ref().count);
    let mut stream = client
        .count_up(with_token(CountUpRequest { by: 3 }, &token))
        .await?
        .into_inner();
    while let Some(step) = stream.message().await? {
        println!("counted up to {}", step.count);
    }
    Ok(())
}

/// A request carrying the session token.
fn with_token<T>(message: T, token: &MetadataValue<Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(TOKEN_HEADER, token.clone());
    request
}
