//! Runs the `tonic` example's service on loopback and calls it with a real tonic client: the
//! session token comes back in the response metadata and carries the session.

use std::net::Ipv4Addr;
use std::pin::Pin;

use futures_util::Stream;
use session_examples::tonic::counter_client::CounterClient;
use session_examples::tonic::counter_server::{self, CounterServer};
use session_examples::tonic::{CountReply, CountUpRequest, IncrementRequest, TOKEN_HEADER};
use session_tests::support::Instrumented;
use session_tonic::{MemoryStore, Session, SessionLayer, SessionManager};
use tonic::transport::server::TcpIncoming;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

const SECRET: &str = "a test secret of at least thirty-two bytes";

fn manager(store: Instrumented<MemoryStore>) -> SessionManager {
    let config = session_examples::tonic::config(SECRET).expect("config");
    SessionManager::new(config, store)
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind")
}

async fn client(listener: &tokio::net::TcpListener) -> CounterClient<Channel> {
    let addr = listener.local_addr().expect("address");
    CounterClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

/// The example's server on its own store; a client for it.
async fn start(store: Instrumented<MemoryStore>) -> CounterClient<Channel> {
    let listener = listener().await;
    let client = client(&listener).await;
    tokio::spawn(session_examples::tonic::serve(manager(store), listener));
    client
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    let token = token.parse().expect("an ASCII token");
    request.metadata_mut().insert(TOKEN_HEADER, token);
    request
}

fn token_of<T>(response: &Response<T>) -> Option<String> {
    let token = response.metadata().get(TOKEN_HEADER)?;
    Some(token.to_str().expect("an ASCII token").to_owned())
}

#[tokio::test]
async fn the_token_in_the_metadata_carries_the_session() {
    let mut client = start(Instrumented::new(MemoryStore::new())).await;
    let first = client
        .increment(IncrementRequest { by: 1 })
        .await
        .expect("a first call");
    assert_eq!(first.get_ref().count, 1);
    let token = token_of(&first).expect("a new session's token");

    let second = client
        .increment(with_token(IncrementRequest { by: 2 }, &token))
        .await
        .expect("a call with the token");
    assert_eq!(second.get_ref().count, 3);
    assert_eq!(token_of(&second), None, "the token stays valid");

    let without = client.increment(IncrementRequest { by: 1 }).await;
    assert_eq!(without.expect("a call").get_ref().count, 1, "a new session");
}

#[tokio::test]
async fn a_tampered_or_garbage_token_starts_a_new_session() {
    let mut client = start(Instrumented::new(MemoryStore::new())).await;
    let first = client.increment(IncrementRequest { by: 5 }).await;
    let token = token_of(&first.expect("a first call")).expect("a token");
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    for forged in [tampered.as_str(), "garbage", "s%3A.", "s:x.y"] {
        let response = client
            .increment(with_token(IncrementRequest { by: 1 }, forged))
            .await
            .unwrap_or_else(|status| panic!("{forged}: {status}"));
        assert_eq!(response.get_ref().count, 1, "{forged}");
        let new = token_of(&response).expect("a new token");
        assert_ne!(new, token);
    }
}

#[tokio::test]
async fn a_streaming_call_has_the_token_in_its_initial_metadata() {
    let mut client = start(Instrumented::new(MemoryStore::new())).await;
    let response = client
        .count_up(CountUpRequest { by: 3 })
        .await
        .expect("a streaming call");
    let token = token_of(&response).expect("the token, before any message");
    let mut stream = response.into_inner();
    let mut counts = Vec::new();
    while let Some(step) = stream.message().await.expect("a message") {
        counts.push(step.count);
    }
    assert_eq!(counts, [1, 2, 3]);

    let next = client
        .increment(with_token(IncrementRequest { by: 1 }, &token))
        .await
        .expect("a call with the streamed token");
    assert_eq!(next.get_ref().count, 4);

    let too_many = client.count_up(CountUpRequest { by: 1_000 }).await;
    let status = too_many.expect_err("too many steps");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_store_down_is_unavailable() {
    let store = Instrumented::new(MemoryStore::new());
    let mut client = start(store.clone()).await;
    let first = client.increment(IncrementRequest { by: 1 }).await;
    let token = token_of(&first.expect("a first call")).expect("a token");
    store.set_failing(true);

    // Saving a new session fails after the method has answered; loading a session fails in
    // the method.
    let new = client.increment(IncrementRequest { by: 1 }).await;
    let status = new.expect_err("no session saved");
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert!(status.metadata().get(TOKEN_HEADER).is_none());
    let stored = client
        .increment(with_token(IncrementRequest { by: 1 }, &token))
        .await;
    let status = stored.expect_err("no session loaded");
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    let streamed = client.count_up(CountUpRequest { by: 1 }).await;
    assert_eq!(streamed.err().map(|s| s.code()), Some(Code::Unavailable));

    store.set_failing(false);
    let back = client
        .increment(with_token(IncrementRequest { by: 1 }, &token))
        .await
        .expect("the store is back");
    assert_eq!(back.get_ref().count, 2, "the failed calls changed nothing");
}

/// A counter whose stream writes to the session after its method returned.
struct LateWriter;

#[tonic::async_trait]
impl counter_server::Counter for LateWriter {
    async fn increment(
        &self,
        request: Request<IncrementRequest>,
    ) -> Result<Response<CountReply>, Status> {
        session_examples::tonic::Counter.increment(request).await
    }

    type CountUpStream = Pin<Box<dyn Stream<Item = Result<CountReply, Status>> + Send>>;

    async fn count_up(
        &self,
        request: Request<CountUpRequest>,
    ) -> Result<Response<Self::CountUpStream>, Status> {
        let session = Session::from_request(&request)?;
        let late = async move {
            match session.insert("count", 1_000u64).await {
                Err(session_core::SessionError::Finished) => {
                    Err(Status::failed_precondition("finished"))
                }
                other => Err(Status::internal(format!("{other:?}"))),
            }
        };
        Ok(Response::new(Box::pin(futures_util::stream::once(late))))
    }
}

#[tokio::test]
async fn a_write_from_the_stream_is_an_error_not_a_silent_loss() {
    let listener = listener().await;
    let mut client = client(&listener).await;
    let server = tonic::transport::Server::builder()
        .layer(SessionLayer::new(manager(Instrumented::new(
            MemoryStore::new(),
        ))))
        .add_service(CounterServer::new(LateWriter))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(server);

    let first = client.increment(IncrementRequest { by: 1 }).await;
    let token = token_of(&first.expect("a first call")).expect("a token");
    let response = client
        .count_up(with_token(CountUpRequest { by: 1 }, &token))
        .await
        .expect("the stream starts");
    let late = response.into_inner().message().await;
    let status = late.expect_err("the late write failed");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status}");

    let next = client
        .increment(with_token(IncrementRequest { by: 1 }, &token))
        .await
        .expect("a call");
    assert_eq!(next.get_ref().count, 2, "the late write changed nothing");
}
