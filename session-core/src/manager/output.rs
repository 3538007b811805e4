//! What `finish` hands back: the headers to add to the response.

use std::borrow::Cow;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Backend, SessionManager};
use crate::decision::{self, CookieOp};
use crate::encoding::encode_uri_component_into;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::session::{Phase, State};
use crate::set_cookie::SetCookie;
use crate::stateless::Claims;
use crate::transport::TokenHeader;

/// How the credential may travel back to the client.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transport {
    /// The cookie gets `Secure`.
    pub(super) secure: bool,
    /// No `Set-Cookie` is sent (express's `Secure` cookie on plain HTTP).
    pub(super) cookie_withheld: bool,
    /// The token may also go in a response header: cookies are off, or the request's
    /// credential came in a header. Never otherwise: a header is readable by page scripts,
    /// so echoing an `HttpOnly` cookie's value there would hand it to any XSS.
    pub(super) token_header: bool,
}

/// What the adapter must add to the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Outcome {
    set_cookie: Option<String>,
    token: Option<(String, String)>,
}

impl Outcome {
    /// The `Set-Cookie` header value to append, if any.
    pub fn set_cookie(&self) -> Option<&str> {
        self.set_cookie.as_deref()
    }
    /// Takes the `Set-Cookie` header value.
    pub fn into_set_cookie(self) -> Option<String> {
        self.set_cookie
    }
    /// The session-token response header `(name, value)`, when header transport is on, a
    /// token was issued (a session created, regenerated, re-signed or re-issued), and either
    /// cookies are off or the request's credential came in the token header. A session that
    /// travels in an `HttpOnly` cookie never has its credential copied into a header, where
    /// page scripts could read it.
    pub fn token(&self) -> Option<(&str, &str)> {
        self.token
            .as_ref()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
    /// Every header to append to the response, as `(lower-case name, value)`. Adapters apply
    /// all of them, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        let cookie = self.set_cookie.as_deref().map(|v| ("set-cookie", v));
        cookie.into_iter().chain(self.token())
    }

    /// [`Outcome::headers`], owned, for frameworks whose responses take owned names and
    /// values (Rocket's do): nothing is copied.
    ///
    /// ```
    /// let outcome = session_core::Outcome::default();
    /// assert_eq!(outcome.into_headers().count(), 0);
    /// ```
    pub fn into_headers(self) -> impl Iterator<Item = (Cow<'static, str>, String)> {
        let cookie = self.set_cookie.map(|v| (Cow::Borrowed("set-cookie"), v));
        let token = self.token.map(|(name, v)| (Cow::Owned(name), v));
        cookie.into_iter().chain(token)
    }
}

impl SessionManager {
    /// Renders the outcome of a request whose store work is done.
    pub(super) fn outcome(
        &self,
        cookie: CookieOp,
        id: Option<&SessionId>,
        state: &mut State,
        transport: Transport,
        now: OffsetDateTime,
    ) -> Result<Outcome, SessionError> {
        let secure = transport.secure;
        let config = &self.inner.config;
        let id = match (cookie, id) {
            (CookieOp::Set, Some(id)) => id,
            (CookieOp::Clear, _) => {
                let expiry = Some((Duration::ZERO, OffsetDateTime::UNIX_EPOCH));
                let set_cookie = config
                    .cookie_transport
                    .then(|| self.attributes("", secure, expiry).render());
                return Ok(Outcome {
                    set_cookie,
                    token: None,
                });
            }
            _ => return Ok(Outcome::default()),
        };
        // The credential is written straight after `name=`, into the buffer that becomes the
        // `Set-Cookie` value: one string a new cookie, where rendering a separate credential
        // and copying it cost an allocation and a copy.
        let mut out = String::with_capacity(config.name.len() + 1 + 160);
        if config.cookie_transport {
            out.push_str(&config.name);
            out.push('=');
        }
        let start = out.len();
        self.credential_into(id, state, now, &mut out)?;
        let credential = &out[start..];
        if credential.len() > config.max_cookie_bytes {
            // A token re-issued only to move its expiry or re-sign it (nothing written) is
            // kept as the client has it: the request succeeds and the session ends at the
            // old token's expiry, rather than a read turning into an error.
            if !state.modified && !state.regenerated && state.phase != Phase::Absent {
                return Ok(Outcome::default());
            }
            return Err(SessionError::TooLarge {
                size: credential.len(),
                limit: config.max_cookie_bytes,
            });
        }
        let token = config
            .token_header
            .as_ref()
            .filter(|_| transport.token_header);
        let token = token.map(|header| {
            let name = match (&config.token_response_header, header) {
                (Some(name), _) => name.clone(),
                (None, TokenHeader::Named(name)) => name.to_ascii_lowercase(),
                (None, TokenHeader::Bearer) => "x-session-token".to_owned(),
            };
            (name, credential.to_owned())
        });
        let set_cookie = (config.cookie_transport && !transport.cookie_withheld).then(|| {
            let expiry = decision::cookie_expiry(config, state.created_at, state.max_age, now);
            self.attributes("", secure, expiry)
                .push_attributes(&mut out);
            out
        });
        Ok(Outcome { set_cookie, token })
    }

    /// Appends the cookie value (also the header token) to `out`: the percent-encoded signed
    /// id, or the whole session as a stateless token.
    fn credential_into(
        &self,
        id: &SessionId,
        state: &mut State,
        now: OffsetDateTime,
        out: &mut String,
    ) -> Result<(), SessionError> {
        let config = &self.inner.config;
        match &self.inner.backend {
            Backend::Store(_) => config.keyring.sign_uri_encoded_into(id.as_str(), out),
            Backend::Stateless { format, .. } => {
                let expires_at =
                    decision::store_expiry(config, state.created_at, state.max_age, now);
                let raw = state.with_snapshot(|snapshot| {
                    let claims = Claims {
                        id: id.clone(),
                        state: snapshot.clone(),
                        expires_at,
                        issued_at: now,
                    };
                    format.issue(&claims, &config.name)
                })??;
                out.reserve(raw.len() + 16);
                encode_uri_component_into(&raw, out);
            }
        }
        Ok(())
    }

    fn attributes<'a>(
        &'a self,
        value: &'a str,
        secure: bool,
        expiry: Option<(Duration, OffsetDateTime)>,
    ) -> SetCookie<'a> {
        let config = &self.inner.config;
        SetCookie {
            name: &config.name,
            value,
            // express's cookies carry `Expires` only.
            max_age: expiry
                .filter(|_| config.express.is_none())
                .map(|(max_age, _)| max_age),
            domain: config.domain.as_deref(),
            path: Some(&config.path),
            expires: expiry.map(|(_, expires)| expires),
            http_only: config.http_only,
            secure,
            partitioned: config.partitioned,
            same_site: config.same_site,
        }
    }
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::Outcome;

    #[test]
    fn a_refused_header_writes_none_of_them() {
        let outcome = Outcome {
            set_cookie: Some("id=s%3Aabc; Path=/".to_owned()),
            token: Some(("x-session-token".to_owned(), "bad\nvalue".to_owned())),
        };
        let mut headers = http::HeaderMap::new();
        let error = outcome.append_to(&mut headers).unwrap_err();
        assert_eq!(error.name(), "x-session-token");
        assert!(headers.is_empty());
    }
}
