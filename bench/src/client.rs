//! A minimal HTTP/1.1 client over loopback, enough to collect session cookies and to check
//! that a server answers (no client library, so its cost never mixes with the servers').

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

/// A response: status, `Set-Cookie` values (as `name=value`, attributes dropped) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Each `Set-Cookie`'s `name=value` part.
    pub cookies: Vec<String>,
    /// The body (as text).
    pub body: String,
}

/// `GET path` on `127.0.0.1:port`, with a `Cookie` header when `cookie` is given. One
/// connection per request (`Connection: close`).
///
/// ```no_run
/// let reply = session_bench::client::get(8080, "/new", None).unwrap();
/// assert_eq!(reply.status, 200);
/// ```
pub fn get(port: u16, path: &str, cookie: Option<&str>) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let cookie = cookie
        .map(|c| format!("cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{cookie}connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&String::from_utf8_lossy(&raw))
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP reply"))
}

/// Parses a complete HTTP/1.1 response (a `Content-Length` or close-delimited body).
///
/// ```
/// let raw = "HTTP/1.1 200 OK\r\nset-cookie: id=abc; Path=/\r\ncontent-length: 1\r\n\r\n1";
/// let reply = session_bench::client::parse(raw).unwrap();
/// assert_eq!((reply.status, reply.cookies[0].as_str(), reply.body.as_str()), (200, "id=abc", "1"));
/// ```
pub fn parse(raw: &str) -> Option<Reply> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let cookies = lines
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| cookie_pair(value).to_owned())
        .collect();
    Some(Reply {
        status,
        cookies,
        body: body.to_owned(),
    })
}

/// The `name=value` part of a `Set-Cookie` value, attributes dropped.
///
/// ```
/// assert_eq!(session_bench::client::cookie_pair(" id=abc; Path=/; HttpOnly"), "id=abc");
/// ```
pub fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap_or_default().trim()
}

/// The `i`-th made-up cookie for a bare server: the length of our session cookie, so that
/// bare and session requests are the same size.
///
/// ```
/// assert_eq!(session_bench::client::made_up_cookie(7).len(), 83);
/// ```
pub fn made_up_cookie(i: usize) -> String {
    format!("id=s%3A{i:032}.{}", "A".repeat(43))
}
