//! The floor: the least work per request of any session layer that signs its cookie the way
//! express-session does (`s:<id>.<base64 HMAC-SHA256>`) and keeps sessions in this process's
//! memory, on axum. It is not a product: it is what a missed target is weighed against, the
//! least that any such layer can cost.
//!
//! It keeps only what no such layer can leave out:
//! - per request: one shared handle in the request's extensions, loaded on first use;
//! - a read: find the cookie, percent-decode it, one HMAC verification, one map look-up
//!   under a shard's lock, the expiry compared, the stored JSON decoded into a map;
//! - a write: the map encoded, the entry replaced;
//! - a new session: 24 bytes from a buffered CSPRNG, the id signed, one insert, one
//!   `Set-Cookie`.
//!
//! Left out, because the benchmark's scenarios do not need them but a real layer does: secret
//! rotation, a second cookie or a header token, version checks on save (lost updates are
//! silent here), idle and absolute timeouts, rolling, `regenerate`, `destroy`, a typed error
//! for a failing store, and user indexes. So the floor is below what a real layer can reach.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::{Extension, Router};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http::{header, HeaderValue, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tower::{Layer, Service};

/// A session id: 24 random bytes as 32 base64url characters.
type Id = [u8; 32];

/// How long a session lives (never reached in a run).
const LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// The routes of [`super::axum`]'s apps, on the floor's handle.
pub(super) fn routes() -> Router {
    type S = Extension<Arc<FloorSession>>;
    async fn rw(Extension(s): S) -> String {
        let n = s.counter().unwrap_or(0) + 1;
        s.set_counter(n);
        n.to_string()
    }
    async fn read(Extension(s): S) -> String {
        s.counter().unwrap_or(0).to_string()
    }
    async fn new(Extension(s): S) -> String {
        s.set_counter(1);
        "1".to_owned()
    }
    Router::new()
        .route("/rw", get(rw))
        .route("/read", get(read))
        .route("/new", get(new))
        .route("/untouched", get(|| async { "ok" }))
}

/// The floor's layer: see the module docs.
#[derive(Clone)]
pub(super) struct FloorLayer(Arc<Shared>);

struct Shared {
    key: Hmac<Sha256>,
    shards: Box<[Mutex<HashMap<Id, Entry>>]>,
    hasher: RandomState,
}

struct Entry {
    expires_ms: i64,
    payload: Box<[u8]>,
}

impl FloorLayer {
    pub(super) fn new() -> Self {
        let Ok(key) = Hmac::<Sha256>::new_from_slice(crate::SECRET.as_bytes()) else {
            unreachable!("HMAC takes keys of any length")
        };
        Self(Arc::new(Shared {
            key,
            shards: (0..256).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }))
    }
}

impl Shared {
    fn shard(&self, id: &Id) -> MutexGuard<'_, HashMap<Id, Entry>> {
        let index = self.hasher.hash_one(id) as usize % self.shards.len();
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn mac(&self, id: &[u8]) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(id);
        mac.finalize().into_bytes().into()
    }

    /// The id in a `Cookie` header's `id=` value, if its signature is good.
    fn verify(&self, cookie_header: &[u8]) -> Option<Id> {
        let raw = cookie_header
            .split(|&b| b == b';')
            .find_map(|pair| pair.trim_ascii_start().strip_prefix(b"id="))?;
        let mut decoded = [0u8; 96];
        let value = percent_decode(raw, &mut decoded)?;
        let signed = value.strip_prefix(b"s:")?;
        let dot = memchr::memrchr(b'.', signed)?;
        let (id, mac) = (&signed[..dot], &signed[dot + 1..]);
        let mut provided = [0u8; 32];
        if STANDARD_NO_PAD.decode_slice(mac, &mut provided) != Ok(32) {
            return None;
        }
        let ok: bool = self.mac(id).ct_eq(&provided).into();
        ok.then(|| id.try_into().ok()).flatten()
    }
}

/// `%XX` escapes decoded into `out`; `None` when the value does not fit or is malformed.
fn percent_decode<'a>(raw: &[u8], out: &'a mut [u8; 96]) -> Option<&'a [u8]> {
    let (mut i, mut n) = (0, 0);
    while i < raw.len() {
        let byte = match raw[i] {
            b'%' => {
                let digit = |at: usize| char::from(*raw.get(at)?).to_digit(16);
                let (high, low) = (digit(i + 1)?, digit(i + 2)?);
                i += 2;
                u8::try_from(high * 16 + low).ok()?
            }
            b => b,
        };
        *out.get_mut(n)? = byte;
        (i, n) = (i + 1, n + 1);
    }
    Some(&out[..n])
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh id from a buffered CSPRNG (one `getrandom` call per 170 ids).
fn generate_id() -> Option<Id> {
    thread_local! {
        static POOL: RefCell<([u8; 4080], usize)> = const { RefCell::new(([0; 4080], 4080)) };
    }
    POOL.with_borrow_mut(|(bytes, used)| {
        if *used == bytes.len() {
            getrandom::fill(bytes).ok()?;
            *used = 0;
        }
        let mut id = [0u8; 32];
        URL_SAFE_NO_PAD
            .encode_slice(&bytes[*used..*used + 24], &mut id)
            .ok()?;
        *used += 24;
        Some(id)
    })
}

#[derive(Deserialize)]
struct Wire {
    d: Map<String, Value>,
    c: i64,
}

#[derive(Serialize)]
struct WireRef<'a> {
    d: &'a Map<String, Value>,
    c: i64,
}

/// One request's session, as handlers see it.
pub(super) struct FloorSession {
    shared: Arc<Shared>,
    cookie: Option<HeaderValue>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    loaded: bool,
    id: Option<Id>,
    data: Map<String, Value>,
    created_ms: i64,
    modified: bool,
}

impl FloorSession {
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.loaded {
            state.loaded = true;
            self.load(&mut state);
        }
        state
    }

    fn load(&self, state: &mut State) {
        let now = now_ms();
        state.created_ms = now;
        let Some(id) = self
            .cookie
            .as_ref()
            .and_then(|c| self.shared.verify(c.as_bytes()))
        else {
            return;
        };
        let shard = self.shared.shard(&id);
        let Some(entry) = shard.get(&id).filter(|e| e.expires_ms > now) else {
            return;
        };
        if let Ok(wire) = serde_json::from_slice::<Wire>(&entry.payload) {
            (state.id, state.data, state.created_ms) = (Some(id), wire.d, wire.c);
        }
    }

    fn counter(&self) -> Option<u64> {
        self.lock().data.get("n").and_then(Value::as_u64)
    }

    fn set_counter(&self, n: u64) {
        let mut state = self.lock();
        state.data.insert("n".to_owned(), n.into());
        state.modified = true;
    }

    /// Saves a changed session; the `Set-Cookie` of a new one.
    fn finish(&self) -> Option<HeaderValue> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.modified {
            return None;
        }
        let payload = serde_json::to_vec(&WireRef {
            d: &state.data,
            c: state.created_ms,
        })
        .ok()?
        .into_boxed_slice();
        let (id, new) = match state.id {
            Some(id) => (id, false),
            None => (generate_id()?, true),
        };
        state.id = Some(id);
        let entry = Entry {
            expires_ms: now_ms() + LIFETIME_MS,
            payload,
        };
        self.shared.shard(&id).insert(id, entry);
        new.then(|| self.set_cookie(&id)).flatten()
    }

    fn set_cookie(&self, id: &Id) -> Option<HeaderValue> {
        let mut mac = [0u8; 43];
        STANDARD_NO_PAD
            .encode_slice(self.shared.mac(id), &mut mac)
            .ok()?;
        let mut value = Vec::with_capacity(128);
        value.extend_from_slice(b"id=s%3A");
        value.extend_from_slice(id);
        value.push(b'.');
        for &b in &mac {
            match b {
                b'+' => value.extend_from_slice(b"%2B"),
                b'/' => value.extend_from_slice(b"%2F"),
                b => value.push(b),
            }
        }
        value.extend_from_slice(b"; Path=/; HttpOnly; SameSite=Lax");
        HeaderValue::from_maybe_shared(axum::body::Bytes::from(value)).ok()
    }
}

impl<S> Layer<S> for FloorLayer {
    type Service = FloorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FloorService {
            inner,
            shared: self.0.clone(),
        }
    }
}

/// The service [`FloorLayer`] makes.
#[derive(Clone)]
pub(super) struct FloorService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S, B, R> Service<Request<B>> for FloorService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = FloorFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let session = Arc::new(FloorSession {
            shared: self.shared.clone(),
            cookie: req.headers().get(header::COOKIE).cloned(),
            state: Mutex::default(),
        });
        req.extensions_mut().insert(session.clone());
        FloorFuture {
            inner: self.inner.call(req),
            session,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner response, then [`FloorSession::finish`] (no IO: the store is in memory).
    pub(super) struct FloorFuture<F> {
        #[pin]
        inner: F,
        session: Arc<FloorSession>,
    }
}

impl<F, R, E> std::future::Future for FloorFuture<F>
where
    F: std::future::Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut res = ready!(this.inner.poll(cx))?;
        if let Some(cookie) = this.session.finish() {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Poll::Ready(Ok(res))
    }
}
