//! Design notes: why the core is shaped the way it is. Doc-only.

/// # The decision table
///
/// The out-phase ([`crate::decision::decide`]) turns what happened during a request into one
/// store operation and at most one `Set-Cookie`. Rows are tried top to bottom; the first that
/// matches wins. "Cookie: set" sends the signed id with the current attributes (and a fresh
/// `Max-Age`/`Expires` for a persistent cookie); "clear" sends an empty, expired cookie.
///
/// | # | situation | store | cookie |
/// |---|---|---|---|
/// | 1 | `destroy`, record loaded, or a valid cookie and never loaded (a read after `destroy`, or one still loading when it came, loads nothing), whatever the status | delete | clear |
/// | 2 | `destroy`, valid cookie but no live record | nothing | clear |
/// | 3 | `destroy`, no valid cookie | nothing | none |
/// | 4 | response is 5xx | nothing | none |
/// | 5 | handler never touched the session | nothing (zero store calls) | none |
/// | 6 | no live record, `regenerate` called | create | set |
/// | 7 | no live record, data written (and not empty) | create | set |
/// | 8 | no live record, nothing written, `save_uninitialized` | create | set |
/// | 9 | no live record, nothing written | nothing | none |
/// | 10 | record loaded, emptied, `unset = Destroy` (`regenerate` called or not: a logout) | delete | clear |
/// | 11 | record loaded, `regenerate` called | create new id, delete old | set |
/// | 12 | record loaded, modified (`unset = Keep` ignores an emptying) | save (compare-and-set) | set if rolling, re-sign, max-age changed or persistent cookie |
/// | 13 | record loaded, unchanged, `resave` | save | set if rolling, re-sign or max-age changed |
/// | 14 | record loaded, unchanged, touch due | touch | set if rolling, re-sign or max-age changed |
/// | 15 | record loaded, unchanged, touch not due | nothing | set if rolling, re-sign or max-age changed |
///
/// "Re-sign" means the cookie verified with an old secret of the keyring. "Touch due" means
/// the new expiry is at least the touch threshold (default 1% of the lifetime) later than the
/// stored one, so a busy session is not rewritten on every request.
///
/// ## Expiry
///
/// - The stored expiry is `now + lifetime`, where the lifetime is the session's own max-age
///   ("remember me"), else the idle timeout, else the configured max-age, else the fallback TTL
///   (24 h), and never later than `created + absolute timeout`.
/// - On load a record is absent if `expires_at <= now` (this carries the idle timeout) or if
///   `created + absolute timeout <= now`, whatever the store still holds.
/// - The cookie's `Max-Age`/`Expires` is the max-age (session's own, else configured), capped
///   at the absolute deadline; with neither, it is a browser-session cookie.
///
/// ## Differences from express-session
///
/// - Defaults: `resave` and `save_uninitialized` are off (express: on), cookie name `id`,
///   `Secure` and `SameSite=Lax` on.
/// - express touches every unchanged session on every request; we skip the touch while it
///   would move the expiry by less than the touch threshold.
/// - Several cookies with the session's name: express reads only the first; by default we use
///   the first that verifies ([`crate::DuplicateCookies::FirstOnly`] restores express').
/// - A handler that never uses the session is not loaded and not re-signed.
pub mod decision_table {}

/// # Rotating secrets
///
/// 1. Generate a new secret of at least 32 random bytes.
/// 2. Deploy with the new secret first and the old one after it:
///    `Config::builder().secret(new).secret(old)`. New cookies are signed with `new`; cookies
///    signed with `old` still verify and are re-signed with `new` the next time their session
///    is used.
/// 3. After the longest cookie lifetime has passed, drop `old`.
///
/// A secret shorter than 32 bytes can only be added with `legacy_secret`, to keep verifying
/// cookies of an existing express deployment during step 2.
pub mod key_rotation {}
