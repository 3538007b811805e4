//! What a scenario works with: an HTTP client aimed at the server under test, the store and
//! clock behind it, and the record of every `Set-Cookie` it saw.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use session_core::{
    decode_uri_component, encode_uri_component_into, Config, ConfigBuilder, Keyring, Record,
    Secure, SessionId, SessionManager, SessionState, Store,
};
use session_stores::MemoryStore;

use crate::support::{Instrumented, TestClock};

/// The suite's current signing secret.
pub const SECRET: &str = "http-suite secret: thirty-two bytes or more";
/// A retired secret, for rotation scenarios.
pub const OLD_SECRET: &str = "http-suite old secret: also thirty-two bytes+";

/// The configuration every scenario starts from: [`SECRET`] and `Secure::Never` (the suite
/// talks plain HTTP on loopback); everything else at its default.
///
/// ```
/// let config = session_tests::http_suite::base_config().build().unwrap();
/// assert_eq!(config.cookie_name(), "id");
/// ```
pub fn base_config() -> ConfigBuilder {
    // The scenarios seed sessions under readable ids ("fixed-rotation-id"): any shape is
    // accepted, except in the scenario that checks the default refusal.
    Config::builder()
        .secret(SECRET)
        .secure(Secure::Never)
        .foreign_ids(true)
}

/// One scenario's view of one running server. Cheap to clone.
#[derive(Clone)]
pub struct Ctx(Arc<Inner>);

struct Inner {
    base: String,
    http: reqwest::Client,
    jar: reqwest::Client,
    clock: TestClock,
    store: Instrumented<MemoryStore>,
    manager: SessionManager,
    log: Mutex<Log>,
}

/// Every exchange, with `Set-Cookie` values normalised: a value the scenario pinned (one it
/// built itself, so it is the same on every adapter) or an empty one is kept; any other (a
/// random id) becomes `<value#N>`, numbered by first appearance.
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    pinned: Vec<String>,
    seen: Vec<String>,
    /// Response headers besides `Set-Cookie` that carry the credential (token transport).
    watched: Vec<String>,
}

impl Log {
    fn normalise(&mut self, set_cookie: &str) -> String {
        let Some((name, rest)) = set_cookie.split_once('=') else {
            return set_cookie.to_owned();
        };
        let (value, attributes) = rest.split_at(rest.find(';').unwrap_or(rest.len()));
        format!("{name}={}{attributes}", self.value(value))
    }

    fn value(&mut self, value: &str) -> String {
        if value.is_empty() || self.pinned.iter().any(|p| p == value) {
            return value.to_owned();
        }
        let n = match self.seen.iter().position(|s| s == value) {
            Some(n) => n,
            None => {
                self.seen.push(value.to_owned());
                self.seen.len() - 1
            }
        };
        format!("<value#{n}>")
    }
}

impl Ctx {
    /// A context for the server at `base` (e.g. `http://127.0.0.1:4000`).
    pub fn new(
        base: String,
        manager: SessionManager,
        store: Instrumented<MemoryStore>,
        clock: TestClock,
    ) -> Result<Self, String> {
        let client = |jar: bool| {
            reqwest::Client::builder()
                .no_proxy()
                .cookie_store(jar)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        };
        Ok(Self(Arc::new(Inner {
            base,
            http: client(false)?,
            jar: client(true)?,
            clock,
            store,
            manager,
            log: Mutex::default(),
        })))
    }

    /// The clock the server reads: move it to reach timeouts.
    pub fn clock(&self) -> &TestClock {
        &self.0.clock
    }

    /// The server's store (counts calls; can be switched to fail).
    pub fn store(&self) -> &Instrumented<MemoryStore> {
        &self.0.store
    }

    /// The server's configuration.
    pub fn config(&self) -> &Config {
        self.0.manager.config()
    }

    /// Store calls so far.
    pub fn calls(&self) -> usize {
        self.0.store.calls()
    }

    /// A `GET` of `path`.
    pub fn get(&self, path: &str) -> Req {
        self.request("GET", path)
    }

    /// A `POST` to `path`.
    pub fn post(&self, path: &str) -> Req {
        self.request("POST", path)
    }

    fn request(&self, method: &'static str, path: &str) -> Req {
        Req {
            cx: self.clone(),
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: String::new(),
            jar: false,
        }
    }

    /// Marks a cookie value (as it appears in `Set-Cookie`) as the same on every adapter, so
    /// the transcripts compare it byte for byte.
    pub fn pin(&self, value: &str) {
        self.log().pinned.push(value.to_owned());
    }

    /// Records the response header `name` (lower case) in the transcript too, normalised like
    /// cookie values: for session tokens sent in a header.
    pub fn watch_header(&self, name: &str) {
        self.log().watched.push(name.to_owned());
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.0.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The normalised transcript so far.
    pub fn transcript(&self) -> Vec<String> {
        self.log().lines.clone()
    }

    /// `name=value` for `id` signed with `secret` and percent-encoded; the value is pinned.
    pub fn signed_cookie(&self, id: &str, secret: &str) -> String {
        let value = encode(&keyring(secret).sign(id));
        self.pin(&value);
        format!("{}={value}", self.config().cookie_name())
    }

    /// Stores a session under the fixed `id` (created now, expiring as the configuration
    /// says) straight into the store, and returns its cookie signed with [`SECRET`].
    pub async fn seed(&self, id: &str, data: Value) -> Result<String, String> {
        let now = session_core::Clock::now(&self.0.clock);
        let data = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let expires_at = session_core::decision::store_expiry(self.config(), now, None, now);
        let state = SessionState {
            data,
            created_at: now,
            max_age: None,
        };
        let payload = self
            .0
            .manager
            .codec()
            .encode(&state, expires_at)
            .map_err(|e| format!("cannot encode the seed: {e}"))?;
        let id = SessionId::parse(id).ok_or("empty id")?;
        Store::create(
            self.0.store.inner(),
            &id,
            &Record::new(payload, expires_at, 1),
        )
        .await
        .map_err(|e| format!("cannot seed the store: {e}"))?;
        Ok(self.signed_cookie(id.as_str(), SECRET))
    }

    /// The stored record for `id` as of the clock's now (not counted as a call).
    pub async fn record(&self, id: &SessionId) -> Option<Record> {
        let now = session_core::Clock::now(&self.0.clock);
        Store::load(self.0.store.inner(), id, now).await.ok()?
    }

    /// The stored session data for `id`, decoded.
    pub async fn data(&self, id: &SessionId) -> Option<Map<String, Value>> {
        let record = self.record(id).await?;
        let state = self.0.manager.codec().decode(&record.payload).ok()?;
        Some(state.data)
    }

    /// The session id inside a `name=value` cookie pair or a `Set-Cookie` line.
    pub fn id_of(&self, cookie: &str) -> Option<SessionId> {
        let (_, rest) = cookie.split_once('=')?;
        let value = rest.split(';').next()?;
        let decoded = decode_uri_component(value)?;
        let verified = self.config().keyring().unsign(&decoded)?;
        SessionId::parse(verified.id)
    }

    /// How many records the store holds.
    pub fn stored(&self) -> usize {
        self.0.store.inner().len()
    }

    /// The server's `host:port`, for requests written by hand ([`Ctx::raw`]).
    pub(super) fn authority(&self) -> &str {
        self.0.base.trim_start_matches("http://")
    }

    /// Records a hand-written exchange. Its status is left out: raw-parser rejections may
    /// differ between frameworks (400 or 431), the `Set-Cookie` headers may not.
    pub(super) fn record_raw(&self, method: &str, path: &str, set_cookies: &[String]) {
        let mut log = self.log();
        let cookies: Vec<String> = set_cookies.iter().map(|c| log.normalise(c)).collect();
        let line = format!("raw {method} {path} | {}", cookies.join(" || "));
        log.lines.push(line);
    }
}

fn keyring(secret: &str) -> Keyring {
    // The suite's secrets are constants, never empty.
    Keyring::new([secret]).unwrap_or_else(|_| unreachable!("a constant secret"))
}

/// `encodeURIComponent`, as the core encodes cookie values.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    encode_uri_component_into(value, &mut out);
    out
}

/// A request being built.
pub struct Req {
    cx: Ctx,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    jar: bool,
}

impl Req {
    /// Adds a `Cookie` header (one per call, so two calls send two headers).
    pub fn cookie(self, cookie: &str) -> Self {
        self.header("cookie", cookie)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, value: Value) -> Self {
        self.body = value.to_string();
        self
    }

    /// Sets an HTML form body (`application/x-www-form-urlencoded`) with `fields`.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let mut form = form_urlencoded::Serializer::new(String::new());
        self.body = form.extend_pairs(fields).finish();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    /// Sends through the client with a cookie jar (a browser), instead of raw headers only.
    pub fn jar(mut self) -> Self {
        self.jar = true;
        self
    }

    /// Sends the request and records the exchange.
    pub async fn send(self) -> Result<Resp, String> {
        let inner = &self.cx.0;
        let client = if self.jar { &inner.jar } else { &inner.http };
        let method = reqwest::Method::from_bytes(self.method.as_bytes())
            .map_err(|e| format!("bad method: {e}"))?;
        let mut req = client.request(method, format!("{}{}", inner.base, self.path));
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let res = req
            .body(self.body)
            .send()
            .await
            .map_err(|e| format!("{} {}: request failed: {e}", self.method, self.path))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let set_cookies: Vec<String> = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let body = res
            .text()
            .await
            .map_err(|e| format!("{} {}: cannot read the body: {e}", self.method, self.path))?;
        let mut log = self.cx.log();
        let mut cookies: Vec<String> = set_cookies.iter().map(|c| log.normalise(c)).collect();
        for name in log.watched.clone() {
            for value in headers.get_all(name.as_str()) {
                let value = log.value(&String::from_utf8_lossy(value.as_bytes()));
                cookies.push(format!("{name}: {value}"));
            }
        }
        let line = format!(
            "{} {} -> {status} | {}",
            self.method,
            self.path,
            cookies.join(" || ")
        );
        log.lines.push(line);
        Ok(Resp {
            status,
            body,
            set_cookies,
            headers,
        })
    }
}

/// A response as the scenario sees it.
#[derive(Debug, Clone)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
    /// Every `Set-Cookie` header, raw, in order.
    pub set_cookies: Vec<String>,
    /// Every response header.
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// The only `Set-Cookie` header, if there is exactly one.
    pub fn set_cookie(&self) -> Option<&str> {
        match self.set_cookies.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The first value of the response header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `name=value` pair of the only `Set-Cookie`, to send back in a `Cookie` header.
    pub fn cookie(&self) -> Option<String> {
        self.set_cookie()
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::Log;

    #[test]
    fn random_values_are_numbered_and_pinned_or_empty_values_kept() {
        let mut log = Log::default();
        log.pinned.push("s%3Afixed.mac".to_owned());
        assert_eq!(log.normalise("id=abc; Path=/"), "id=<value#0>; Path=/");
        assert_eq!(log.normalise("id=def; Path=/"), "id=<value#1>; Path=/");
        assert_eq!(log.normalise("id=abc"), "id=<value#0>");
        assert_eq!(
            log.normalise("id=s%3Afixed.mac; Path=/"),
            "id=s%3Afixed.mac; Path=/"
        );
        assert_eq!(log.normalise("id=; Max-Age=0"), "id=; Max-Age=0");
    }
}
