//! Sessions on hyper 1 + hyper-util alone: no framework, `session-core` and `MemoryStore`.
//!
//! Run it with `cargo run -p session-examples --example hyper_server`, then open
//! <http://127.0.0.1:3001/> and reload: the counter lives in the session.
//!
//! [`with_session`] is the whole adapter: what a custom server or a new framework adapter
//! does around every request (begin, handler, finish). Everything about policy (which
//! cookie, when to save, what to send back) is decided by the core.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use session_core::{Clock, Config, HttpRequest, Session, SessionError, SessionManager};
use session_stores::MemoryStore;
use tokio::net::TcpListener;

type Body = Full<Bytes>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder()
        // A real server reads its secret from configuration, never from source.
        .secret("example secret, at least thirty-two bytes long")
        .build()?;
    let manager = SessionManager::new(config, MemoryStore::new());
    let listener = TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}/", listener.local_addr()?);
    serve(listener, manager, Arc::new(session_core::SystemClock)).await?;
    Ok(())
}

/// Accepts connections forever, serving each on its own task.
pub async fn serve(
    listener: TcpListener,
    manager: SessionManager,
    clock: Arc<dyn Clock>,
) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let (manager, clock) = (manager.clone(), clock.clone());
        tokio::spawn(async move {
            let service =
                service_fn(move |req| with_session(manager.clone(), clock.clone(), peer, req));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// The adapter: begin, run the handler, finish, apply the outcome.
async fn with_session(
    manager: SessionManager,
    clock: Arc<dyn Clock>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let conflict_status = manager.config().conflict_status();
    // 1. Map the request head. No IO happens here: the store is only called if the handler
    //    uses the session.
    //    `tls` says whether this connection is TLS: true behind an in-process TLS acceptor
    //    (tokio-rustls, say), which a `Secure::Auto` configuration then trusts; this server
    //    speaks plain HTTP.
    let view = HttpRequest {
        headers: req.headers(),
        peer: Some(peer.ip()),
        tls: false,
    };
    let session = manager.begin(&view, clock.now());

    // 2. The application. A session error it returns becomes its status (503 store down).
    let mut res = match handle(&req, &session).await {
        Ok(res) => res,
        Err(e) => error_response(&e, e.status(conflict_status)),
    };

    // 3. Save (store first), then add the cookie. If saving fails, the response the handler
    //    built must not go out as if it had worked.
    let now = session.began_at();
    match manager.finish(session, res.status().as_u16(), now).await {
        Ok(outcome) => {
            if outcome.append_to(res.headers_mut()).is_err() {
                return Ok(text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "bad session header",
                ));
            }
        }
        Err(e) => res = error_response(&e, e.status(conflict_status)),
    }
    Ok(res)
}

/// The application: knows the `Session` handle and nothing about cookies.
async fn handle(
    req: &Request<Incoming>,
    session: &Session,
) -> Result<Response<Body>, SessionError> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => {
            let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
            session.insert("visits", visits).await?;
            Ok(text(StatusCode::OK, &format!("visits: {visits}\n")))
        }
        (&Method::POST, "/logout") => {
            session.destroy();
            Ok(text(StatusCode::OK, "logged out\n"))
        }
        // Never touches the session: no store call, no cookie.
        (&Method::GET, "/health") => Ok(text(StatusCode::OK, "ok\n")),
        _ => Ok(text(StatusCode::NOT_FOUND, "not found\n")),
    }
}

fn error_response(e: &SessionError, status: u16) -> Response<Body> {
    tracing::error!(error = %e, status, "session error");
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    text(status, "session error\n")
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(body.to_owned())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
