//! What the core needs to know about a request, whatever framework it came from.

use std::net::IpAddr;

/// A read-only view of a request's head. Adapters implement it for their framework's request
/// type; everything else (which cookie, which header, whether to trust a proxy) is decided in
/// the core.
///
/// ```
/// use session_core::RequestView;
/// use std::net::IpAddr;
/// struct Plain<'a> { cookie: &'a [u8] }
/// impl RequestView for Plain<'_> {
///     fn cookie_headers(&self) -> impl Iterator<Item = &[u8]> { std::iter::once(self.cookie) }
///     fn header(&self, _name: &str) -> Option<&[u8]> { None }
///     fn peer_ip(&self) -> Option<IpAddr> { None }
/// }
/// ```
pub trait RequestView {
    /// Every `Cookie` header's value, in the order received.
    fn cookie_headers(&self) -> impl Iterator<Item = &[u8]>;
    /// The first value of the header `name` (given in lower case).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// The address of the direct peer (a proxy, when there is one).
    fn peer_ip(&self) -> Option<IpAddr>;
    /// Whether the connection itself is TLS. Default: false.
    fn is_tls(&self) -> bool {
        false
    }
}

/// [`RequestView`] over an [`http::HeaderMap`], for every stack built on the `http` crate
/// (axum, warp, hyper, tonic).
///
/// ```
/// use session_core::{HttpRequest, RequestView};
/// let mut headers = http::HeaderMap::new();
/// headers.append(http::header::COOKIE, "id=1".parse().unwrap());
/// let view = HttpRequest { headers: &headers, peer: None, tls: false };
/// assert_eq!(view.cookie_headers().count(), 1);
/// ```
#[cfg(feature = "http")]
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The request's headers.
    pub headers: &'a http::HeaderMap,
    /// The direct peer's address, when known.
    pub peer: Option<IpAddr>,
    /// Whether the connection is TLS.
    pub tls: bool,
}

#[cfg(feature = "http")]
impl RequestView for HttpRequest<'_> {
    fn cookie_headers(&self) -> impl Iterator<Item = &[u8]> {
        self.headers
            .get_all(http::header::COOKIE)
            .iter()
            .map(|v| v.as_bytes())
    }
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }
    fn peer_ip(&self) -> Option<IpAddr> {
        self.peer
    }
    fn is_tls(&self) -> bool {
        self.tls
    }
}
