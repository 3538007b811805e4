//! An HTTP client for many sessions at once: cookies are kept by the caller, one per
//! session, instead of in a jar, so one connection pool serves every session.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::Method;

/// How long a request may take before the client gives up: far longer than any store
/// timeout, so a hung server shows as a transport error rather than a hung test.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// A client for one server.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// What the answer did to the cookie: `None` when it sent no `Set-Cookie`.
    pub cookie: Option<CookieChange>,
    pub took: Duration,
}

/// A `Set-Cookie` reduced to what a client does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieChange {
    /// Send `name=value` from now on.
    Set(String),
    /// Forget the cookie.
    Cleared,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        let client = reqwest::Client::builder()
            .timeout(CLIENT_TIMEOUT)
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        Self {
            client,
            base: format!("http://{addr}"),
        }
    }

    /// Sends `method path` with `cookie` (a `name=value` pair) and a JSON `body`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<String>,
    ) -> Result<Reply, reqwest::Error> {
        let started = super::instant();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(cookie_change)
            .next_back();
        let body = response.text().await?;
        Ok(Reply {
            status,
            body,
            cookie,
            took: started.elapsed(),
        })
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Result<Reply, reqwest::Error> {
        self.send(Method::GET, path, cookie, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: Option<String>,
    ) -> Result<Reply, reqwest::Error> {
        self.send(Method::POST, path, cookie, body).await
    }
}

fn cookie_change(header: &str) -> CookieChange {
    let mut parts = header.split(';').map(str::trim);
    let pair = parts.next().unwrap_or_default();
    let value = pair.split_once('=').map_or("", |(_, v)| v);
    let expired = parts.any(|attr| {
        attr.eq_ignore_ascii_case("Max-Age=0") || attr.contains("1970") // Expires in 1970
    });
    if value.is_empty() || expired {
        CookieChange::Cleared
    } else {
        CookieChange::Set(pair.to_owned())
    }
}

/// Applies a reply's cookie change to the cookie a client keeps for one session.
pub fn apply(cookie: &mut Option<String>, reply: &Reply) {
    match &reply.cookie {
        Some(CookieChange::Set(pair)) => *cookie = Some(pair.clone()),
        Some(CookieChange::Cleared) => *cookie = None,
        None => {}
    }
}

#[test]
fn set_cookie_headers_are_read_as_a_browser_would() {
    assert_eq!(
        cookie_change("id=s%3Aabc.def; Path=/; HttpOnly"),
        CookieChange::Set("id=s%3Aabc.def".into())
    );
    assert_eq!(
        cookie_change("id=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        CookieChange::Cleared
    );
    assert_eq!(
        cookie_change("id=x; Path=/; Max-Age=0"),
        CookieChange::Cleared
    );
}
