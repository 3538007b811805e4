//! Rendering `Set-Cookie` values.

use std::fmt::Write as _;
use std::time::Duration;

use time::{OffsetDateTime, UtcOffset};

use crate::config::SameSite;

/// The attributes of one `Set-Cookie` header. Rendered in the order of the `cookie` npm
/// package (what express-session emits): `Max-Age`, `Domain`, `Path`, `Expires`, `HttpOnly`,
/// `Secure`, `Partitioned`, `SameSite`.
///
/// ```
/// use session_core::SetCookie;
/// use time::macros::datetime;
/// let header = SetCookie {
///     name: "connect.sid",
///     value: "s%3Aabc.def",
///     path: Some("/"),
///     expires: Some(datetime!(2030-01-01 0:00 UTC)),
///     http_only: true,
///     ..SetCookie::default()
/// }
/// .render();
/// assert_eq!(header, "connect.sid=s%3Aabc.def; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT; HttpOnly");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetCookie<'a> {
    /// Cookie name.
    pub name: &'a str,
    /// Cookie value, already encoded.
    pub value: &'a str,
    /// `Max-Age`, in whole seconds.
    pub max_age: Option<Duration>,
    /// `Domain`.
    pub domain: Option<&'a str>,
    /// `Path`.
    pub path: Option<&'a str>,
    /// `Expires`.
    pub expires: Option<OffsetDateTime>,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `Partitioned`.
    pub partitioned: bool,
    /// `SameSite`.
    pub same_site: Option<SameSite>,
}

impl SetCookie<'_> {
    /// The header value.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 128);
        out.push_str(self.name);
        out.push('=');
        out.push_str(self.value);
        self.push_attributes(&mut out);
        out
    }

    /// Appends everything after the value (`; Max-Age=…` onwards), for a caller that wrote
    /// `name=value` itself into the same buffer.
    pub(crate) fn push_attributes(&self, out: &mut String) {
        // Writing to a String cannot fail.
        if let Some(max_age) = self.max_age {
            let _ = write!(out, "; Max-Age={}", max_age.as_secs());
        }
        if let Some(domain) = self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some(path) = self.path {
            out.push_str("; Path=");
            out.push_str(path);
        }
        if let Some(expires) = self.expires {
            out.push_str("; Expires=");
            write_http_date(expires, out);
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        match self.same_site {
            Some(SameSite::Strict) => out.push_str("; SameSite=Strict"),
            Some(SameSite::Lax) => out.push_str("; SameSite=Lax"),
            Some(SameSite::None) => out.push_str("; SameSite=None"),
            None => {}
        }
    }
}

/// Appends an IMF-fixdate (`Tue, 01 Jan 2030 00:00:00 GMT`), JavaScript's `toUTCString`.
/// Years are clamped to 1970..=9999 so that any instant renders as a valid date.
pub fn write_http_date(at: OffsetDateTime, out: &mut String) {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(UtcOffset::UTC);
    let at = if at.year() < 1970 {
        OffsetDateTime::UNIX_EPOCH
    } else if at.year() > 9999 {
        time::macros::datetime!(9999-12-31 23:59:59 UTC)
    } else {
        at
    };
    let _ = write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(at.weekday().number_days_from_monday())],
        at.day(),
        MONTHS[usize::from(u8::from(at.month()) - 1)],
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn renders_every_attribute_in_order() {
        let s = SetCookie {
            name: "id",
            value: "v",
            max_age: Some(Duration::from_secs(60)),
            domain: Some("example.com"),
            path: Some("/app"),
            expires: Some(datetime!(2026-11-24 10:00:00 UTC)),
            http_only: true,
            secure: true,
            partitioned: true,
            same_site: Some(SameSite::Strict),
        }
        .render();
        assert_eq!(
            s,
            "id=v; Max-Age=60; Domain=example.com; Path=/app; Expires=Tue, 24 Nov 2026 10:00:00 GMT; HttpOnly; Secure; Partitioned; SameSite=Strict"
        );
    }

    #[test]
    fn dates_are_clamped() {
        let mut s = String::new();
        write_http_date(datetime!(1900-01-01 0:00 UTC), &mut s);
        assert_eq!(s, "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
