//! Requests written byte by byte over a TCP socket, for what an HTTP client refuses to send:
//! NUL, control bytes and invalid UTF-8 in headers.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::context::Ctx;

/// How long a hand-written exchange may take, from connecting to the end of the response.
const RAW_TIMEOUT: Duration = Duration::from_secs(5);

impl Ctx {
    /// An HTTP/1.1 request written by hand (`Connection: close`), whose header values are
    /// raw bytes sent as given.
    ///
    /// ```no_run
    /// # async fn scenario(cx: session_tests::http_suite::Ctx) -> Result<(), String> {
    /// let res = cx.raw("GET", "/get/user").cookie(b"id=s%3A\0bad".to_vec()).send().await?;
    /// // A framework's header parser may refuse the NUL; the session must then stay unset.
    /// assert!(res.status == 400 || res.text() == "null");
    /// assert!(res.set_cookies().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn raw(&self, method: &str, path: &str) -> RawReq {
        RawReq {
            cx: self.clone(),
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
        }
    }
}

/// A hand-written request being built; see [`Ctx::raw`].
///
/// ```no_run
/// # async fn scenario(cx: session_tests::http_suite::Ctx) -> Result<(), String> {
/// let res = cx
///     .raw("GET", "/untouched")
///     .header("x-junk", b"\xff\xfe".to_vec())
///     .cookie(b"a=1".to_vec())
///     .send()
///     .await?;
/// assert_eq!(res.text(), "untouched");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RawReq {
    cx: Ctx,
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl RawReq {
    /// Adds a `Cookie` header with exactly these bytes (one per call).
    pub fn cookie(self, value: impl Into<Vec<u8>>) -> Self {
        self.header("cookie", value)
    }

    /// Adds a header with exactly these bytes as its value.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The request's bytes, head only (no body).
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: 0\r\n",
            self.method,
            self.path,
            self.cx.authority()
        )
        .into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Sends the request, reads the whole response and records the exchange (without its
    /// status, see [`RawResp`]). A connection closed without a response is an error.
    pub async fn send(self) -> Result<RawResp, String> {
        let what = format!("raw {} {}", self.method, self.path);
        let res = tokio::time::timeout(RAW_TIMEOUT, self.exchange())
            .await
            .map_err(|_| format!("{what}: no complete response within {RAW_TIMEOUT:?}"))?
            .map_err(|e| format!("{what}: {e}"))?;
        self.cx
            .record_raw(&self.method, &self.path, &res.set_cookies());
        Ok(res)
    }

    async fn exchange(&self) -> Result<RawResp, String> {
        let mut stream = TcpStream::connect(self.cx.authority())
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        // A server may answer (and close) before reading an oversized head: the response
        // still counts, so a failed write is only reported when no response follows.
        let written = stream.write_all(&self.bytes()).await;
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    received.extend_from_slice(&chunk[..n]);
                    if let Some(res) = RawResp::parse(&received)? {
                        return Ok(res);
                    }
                }
                // A reset after the response began still leaves what was read.
                Err(e) if received.is_empty() => {
                    return Err(match written {
                        Err(w) => format!("write failed ({w}), then read failed ({e})"),
                        Ok(()) => format!("read failed: {e}"),
                    });
                }
                Err(_) => break,
            }
        }
        match RawResp::parse_at_eof(&received)? {
            Some(res) => Ok(res),
            None if received.is_empty() => Err(match written {
                Err(w) => format!("connection closed without a response (write failed: {w})"),
                Ok(()) => "connection closed without a response".to_owned(),
            }),
            None => Err(format!(
                "truncated response: {:?}",
                String::from_utf8_lossy(&received)
            )),
        }
    }
}

/// A response to a hand-written request.
///
/// ```no_run
/// # async fn scenario(cx: session_tests::http_suite::Ctx) -> Result<(), String> {
/// let res = cx.raw("GET", "/get/user").send().await?;
/// assert_eq!((res.status, res.text()), (200, "null".to_owned()));
/// assert!(res.headers.iter().any(|(name, _)| name == "content-length"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RawResp {
    /// HTTP status.
    pub status: u16,
    /// Every header, names in lower case, values as received.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl RawResp {
    /// Every `Set-Cookie` header, in order.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The response, once `buf` holds all of it (by `Content-Length` or the last chunk).
    fn parse(buf: &[u8]) -> Result<Option<Self>, String> {
        let Some((mut res, body)) = Self::head(buf)? else {
            return Ok(None);
        };
        if res.is_chunked() {
            return Ok(dechunk(body).map(|body| {
                res.body = body;
                res
            }));
        }
        match res.content_length()? {
            Some(n) if body.len() >= n => {
                res.body = body[..n].to_vec();
                Ok(Some(res))
            }
            _ => Ok(None),
        }
    }

    /// The response when the server closed the connection: a body without a length ends
    /// there.
    fn parse_at_eof(buf: &[u8]) -> Result<Option<Self>, String> {
        if let Some(res) = Self::parse(buf)? {
            return Ok(Some(res));
        }
        let Some((mut res, body)) = Self::head(buf)? else {
            return Ok(None);
        };
        if res.is_chunked() || res.content_length()?.is_some() {
            return Ok(None);
        }
        res.body = body.to_vec();
        Ok(Some(res))
    }

    /// The status and headers, and the bytes after them; `None` until the head is complete.
    fn head(buf: &[u8]) -> Result<Option<(Self, &[u8])>, String> {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Ok(None);
        };
        let mut lines = buf[..end]
            .split(|&b| b == b'\n')
            .map(|l| l.trim_ascii_end());
        let status_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let headers = lines
            .filter_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                Some((name, line[colon + 1..].trim_ascii().to_vec()))
            })
            .collect();
        let res = Self {
            status,
            headers,
            body: Vec::new(),
        };
        Ok(Some((res, &buf[end + 4..])))
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"))
    }

    fn content_length(&self) -> Result<Option<usize>, String> {
        self.header("content-length")
            .map(|v| {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("bad content-length {:?}", String::from_utf8_lossy(v)))
            })
            .transpose()
    }
}

/// A chunked body, once its last chunk arrived (trailers are not expected).
fn dechunk(mut buf: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = buf.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&buf[..eol]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        buf = &buf[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(buf.get(..size)?);
        buf = buf.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::{dechunk, RawResp};

    #[test]
    fn a_response_is_complete_by_length_or_last_chunk() {
        let sized = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nSet-Cookie: a=1\r\n\r\nnull";
        let res = RawResp::parse(sized).unwrap().unwrap();
        assert_eq!((res.status, res.text()), (200, "null".to_owned()));
        assert_eq!(res.set_cookies(), ["a=1"]);
        assert!(RawResp::parse(&sized[..sized.len() - 1]).unwrap().is_none());
        let chunked =
            b"HTTP/1.1 400 Bad\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        assert_eq!(RawResp::parse(chunked).unwrap().unwrap().text(), "abc");
        assert_eq!(dechunk(b"2\r\nab\r\n"), None);
        let no_length = b"HTTP/1.1 431 Too Large\r\n\r\n";
        assert!(RawResp::parse(no_length).unwrap().is_none());
        assert_eq!(
            RawResp::parse_at_eof(no_length).unwrap().unwrap().status,
            431
        );
    }
}
