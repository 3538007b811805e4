//! The session decisions as pure functions of facts, configuration and `now`.
//!
//! Nothing here does IO or reads the clock; [`crate::SessionManager`] gathers the facts, calls these
//! and applies the result. The table these functions implement is in
//! [`crate::manual::decision_table`], and each of its rows has a test below.

use std::time::Duration;

use time::OffsetDateTime;

use crate::config::{Config, Unset};

/// Whether and how the session was read from the store during the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// The handler never touched the session: no store call was made.
    NotLoaded,
    /// No live record (no valid cookie, unknown id, expired, timed out or undecodable).
    Absent,
    /// A live record was loaded.
    Present,
}

/// What happened during the request, as the out-phase decision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// See [`Loaded`].
    pub loaded: Loaded,
    /// A correctly signed id arrived with the request.
    pub had_cookie: bool,
    /// That id was signed by an old secret and should be re-signed.
    pub resign: bool,
    /// The handler changed data or the session's max-age.
    pub modified: bool,
    /// The session holds no data at the end of the request.
    pub empty: bool,
    /// The handler called `regenerate`.
    pub regenerated: bool,
    /// The handler called `destroy`.
    pub destroyed: bool,
    /// The response is a server error (5xx).
    pub server_error: bool,
    /// Extending the stored expiry now would move it by at least the touch threshold.
    pub touch_due: bool,
    /// The cookie has a lifetime (`Max-Age`), as opposed to a browser-session cookie.
    pub persistent_cookie: bool,
    /// The handler changed the session's cookie lifetime ("remember me" or its undoing).
    pub max_age_changed: bool,
}

/// The store operation to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum StoreOp {
    /// No store call.
    None,
    /// Insert a new record (refusing an existing id).
    Create,
    /// Replace the loaded record (compare-and-set on its version).
    Save,
    /// Move the expiry only.
    Touch,
    /// Remove the record.
    Delete,
    /// Create the record under the new id, then delete the old one (regenerate).
    Replace,
}

/// The `Set-Cookie` to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum CookieOp {
    /// None.
    None,
    /// The signed id with the current attributes and expiry.
    Set,
    /// An expired, empty cookie that removes the browser's copy.
    Clear,
}

/// The out-phase decision: one store operation, at most one cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Plan {
    /// What to do in the store (first).
    pub store: StoreOp,
    /// Which cookie to send (after the store succeeded).
    pub cookie: CookieOp,
}

impl Plan {
    const NOTHING: Plan = Plan::new(StoreOp::None, CookieOp::None);

    const fn new(store: StoreOp, cookie: CookieOp) -> Self {
        Self { store, cookie }
    }
}

/// Decides the out-phase: see the decision table in [`crate::manual::decision_table`].
pub fn decide(config: &Config, f: &Facts) -> Plan {
    use CookieOp as C;
    use StoreOp as S;
    // A logout takes effect whatever the response: a handler that destroys the session and
    // then fails must not leave the old session usable.
    if f.destroyed {
        return match (f.loaded, f.had_cookie) {
            (Loaded::Present, _) | (Loaded::NotLoaded, true) => Plan::new(S::Delete, C::Clear),
            (Loaded::Absent, true) => Plan::new(S::None, C::Clear),
            _ => Plan::NOTHING,
        };
    }
    if f.server_error {
        return Plan::NOTHING;
    }
    match f.loaded {
        // Untouched: no store call and no cookie, not even a re-sign (that waits for a
        // request that uses the session), so that such requests cost nothing.
        Loaded::NotLoaded => Plan::NOTHING,
        Loaded::Absent if f.regenerated => Plan::new(S::Create, C::Set),
        Loaded::Absent => {
            if (f.modified && !f.empty) || config.save_uninitialized {
                Plan::new(S::Create, C::Set)
            } else {
                Plan::NOTHING
            }
        }
        Loaded::Present => {
            // Emptied (a logout, say) ends the session, with or without a new id.
            let emptied = f.modified && f.empty;
            if emptied && config.unset == Unset::Destroy {
                return Plan::new(S::Delete, C::Clear);
            }
            if f.regenerated {
                return Plan::new(S::Replace, C::Set);
            }
            // Unset::Keep: the emptying is ignored, as in express-session.
            let modified = f.modified && !emptied;
            let refresh = config.rolling || f.resign || f.max_age_changed;
            if modified || config.resave {
                let set = refresh || (modified && f.persistent_cookie);
                Plan::new(S::Save, if set { C::Set } else { C::None })
            } else {
                let store = if f.touch_due { S::Touch } else { S::None };
                Plan::new(store, if refresh { C::Set } else { C::None })
            }
        }
    }
}

/// When the record should expire if written or touched at `now`: `now` plus the session's
/// lifetime (custom max-age, else idle timeout, else max-age, else the fallback TTL), never
/// past the absolute deadline.
pub fn store_expiry(
    config: &Config,
    created_at: OffsetDateTime,
    custom_max_age: Option<Duration>,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let expiry = now.saturating_add(to_time(config.lifetime(custom_max_age)));
    match absolute_deadline(config, created_at) {
        Some(deadline) => expiry.min(deadline),
        None => expiry,
    }
}

/// The cookie's `Max-Age` and `Expires` if written at `now`, or `None` for a browser-session
/// cookie. Never past the absolute deadline.
pub fn cookie_expiry(
    config: &Config,
    created_at: OffsetDateTime,
    custom_max_age: Option<Duration>,
    now: OffsetDateTime,
) -> Option<(Duration, OffsetDateTime)> {
    let max_age = config.cookie_max_age(custom_max_age)?;
    let mut expires = now.saturating_add(to_time(max_age));
    if let Some(deadline) = absolute_deadline(config, created_at) {
        expires = expires.min(deadline);
    }
    let secs = (expires - now).whole_seconds().max(0);
    Some((Duration::from_secs(secs.unsigned_abs()), expires))
}

/// Whether a loaded record is still live at `now`: before its stored expiry (which carries
/// the idle timeout) and before the absolute deadline (checked here too, so that a shorter
/// configured timeout applies to records written under a longer one).
pub fn is_live(
    config: &Config,
    expires_at: OffsetDateTime,
    created_at: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    expires_at > now && before_absolute_deadline(config, created_at, now)
}

/// Whether a session created at `created_at` is still within the absolute timeout at `now`.
pub fn before_absolute_deadline(
    config: &Config,
    created_at: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    absolute_deadline(config, created_at).is_none_or(|deadline| deadline > now)
}

/// Whether moving the stored expiry from `stored` to `new` is worth a store write.
pub fn touch_due(
    config: &Config,
    custom_max_age: Option<Duration>,
    stored: OffsetDateTime,
    new: OffsetDateTime,
) -> bool {
    let threshold = to_time(config.touch_threshold(config.lifetime(custom_max_age)));
    new - stored >= threshold && new > stored
}

fn absolute_deadline(config: &Config, created_at: OffsetDateTime) -> Option<OffsetDateTime> {
    config
        .absolute_timeout
        .map(|t| created_at.saturating_add(to_time(t)))
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
