//! What the core reports about its work, for operators: `tracing` spans and events always,
//! and with the `metrics` feature counters and histograms through the `metrics` facade (any
//! exporter plugs in: Prometheus, StatsD, OpenTelemetry).
//!
//! **Metrics** (feature `metrics`):
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `sessions_created_total` | counter | |
//! | `sessions_destroyed_total` | counter | |
//! | `sessions_regenerated_total` | counter | |
//! | `session_cookie_rejected_total` | counter | `reason`: `malformed`, `bad_signature`, `too_large`, `expired`, `revoked`, `invalid_token` |
//! | `session_conflicts_total` | counter | `resolution`: `merged`, `overwritten`, `refused` |
//! | `session_store_operation_seconds` | histogram | `op`, `backend` |
//! | `session_store_errors_total` | counter | `op`, `backend`, `kind` |
//!
//! `bad_signature` covers both a tampered value and one signed with a secret the
//! configuration no longer holds (a MAC cannot tell them apart); `expired` is a verified id
//! whose record the store no longer has (expired, or destroyed elsewhere); `invalid_token` a
//! stateless token its format refused (bad signature, malformed or expired: the formats do
//! not say which). Store errors count failures only (`unavailable`, `timeout`, `corrupt`,
//! `backend`, `unsupported`), not the conflicts and missing records of compare-and-set.
//!
//! **Tracing**: a `session.finish` span per finished request (`status`, `op`: the store
//! operation decided, `cookie`: `set`, `clear` or `none`) and a `session.store` span per
//! store call (`op`, `backend`, `outcome`, `micros`), at `DEBUG`; events for rejected
//! credentials (`DEBUG`: their volume is the client's to choose), conflicts and store
//! failures (`WARN`). Sessions are named by a [`Fingerprint`], never by their id.

use std::fmt;
use std::future::Future;
use std::time::Instant;

use tracing::field::Empty;
use tracing::Instrument;

use crate::decision::{CookieOp, StoreOp};
use crate::id::SessionId;
use crate::signing::{hmac_sha256, HmacSha256, Keyring};
use crate::store::{StoreError, StoreErrorKind};

/// The label the fingerprint key is derived with from the signing secret.
const FINGERPRINT_LABEL: &str = "session-core/log-fingerprint/v1";

/// The key of the [`Fingerprint`]s, derived from the signing secret.
#[derive(Clone)]
pub(crate) struct FingerprintKey(HmacSha256);

impl FingerprintKey {
    pub(crate) fn new(keyring: &Keyring) -> Self {
        Self(hmac_sha256(&keyring.derived(FINGERPRINT_LABEL)))
    }

    pub(crate) fn of<'a>(&'a self, id: &'a SessionId) -> Fingerprint<'a> {
        Fingerprint { key: self, id }
    }
}

/// A session's name in logs and traces: the first 6 bytes of an HMAC of its id under a key
/// derived from the signing secret, as 12 hex digits. It tells one session's lines from
/// another's and cannot be turned back into the id (nor, without the secret, computed from
/// one), so logs hand out no credential. It changes when the signing secret does.
/// [`SessionManager::fingerprint`](crate::SessionManager::fingerprint) gives the same for an
/// application's own logs. Computed only when a subscriber formats it.
#[derive(Clone, Copy)]
pub struct Fingerprint<'a> {
    key: &'a FingerprintKey,
    id: &'a SessionId,
}

impl fmt::Display for Fingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use hmac::Mac as _;
        let mut mac = self.key.0.clone();
        mac.update(self.id.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        for byte in &digest[..6] {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Why a request's credential was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    Malformed,
    BadSignature,
    TooLarge,
    Expired,
    Revoked,
    InvalidToken,
}

impl Rejection {
    fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadSignature => "bad_signature",
            Self::TooLarge => "too_large",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::InvalidToken => "invalid_token",
        }
    }
}

/// A credential was refused; the request goes on with a new session.
pub(crate) fn rejected(reason: Rejection) {
    tracing::debug!(reason = reason.as_str(), "session credential rejected");
    #[cfg(feature = "metrics")]
    metrics::counter!("session_cookie_rejected_total", "reason" => reason.as_str()).increment(1);
}

/// What a save did about a concurrent change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution {
    Merged,
    Overwritten,
    Refused,
}

/// A save met a concurrent change to `session`.
pub(crate) fn conflict(resolution: Resolution, session: Fingerprint<'_>) {
    let resolution = match resolution {
        Resolution::Merged => "merged",
        Resolution::Overwritten => "overwritten",
        Resolution::Refused => "refused",
    };
    tracing::warn!(session = %session, resolution, "concurrent change to a session");
    #[cfg(feature = "metrics")]
    metrics::counter!("session_conflicts_total", "resolution" => resolution).increment(1);
}

/// The span of one request's `finish`; `op` and `cookie` are recorded once decided.
pub(crate) fn finish_span(status: u16) -> tracing::Span {
    tracing::debug_span!("session.finish", status, op = Empty, cookie = Empty)
}

/// Records the decision on a [`finish_span`].
pub(crate) fn decided(span: &tracing::Span, op: StoreOp, cookie: CookieOp) {
    if span.is_disabled() {
        return;
    }
    span.record("op", op_name(op));
    span.record(
        "cookie",
        match cookie {
            CookieOp::Set => "set",
            CookieOp::Clear => "clear",
            CookieOp::None => "none",
        },
    );
}

fn op_name(op: StoreOp) -> &'static str {
    match op {
        StoreOp::None => "none",
        StoreOp::Touch => "touch",
        StoreOp::Save => "save",
        StoreOp::Create => "create",
        StoreOp::Replace => "replace",
        StoreOp::Delete => "delete",
    }
}

fn kind_name(kind: StoreErrorKind) -> &'static str {
    match kind {
        StoreErrorKind::Unavailable => "unavailable",
        StoreErrorKind::Timeout => "timeout",
        StoreErrorKind::Conflict => "conflict",
        StoreErrorKind::DuplicateId => "duplicate_id",
        StoreErrorKind::NotFound => "not_found",
        StoreErrorKind::Corrupt => "corrupt",
        StoreErrorKind::Backend => "backend",
        StoreErrorKind::Unsupported => "unsupported",
    }
}

/// A store operation, as metrics and spans name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Load,
    Create,
    Save,
    Touch,
    Delete,
}

impl Op {
    #[cfg(feature = "metrics")]
    const ALL: [Op; 5] = [Op::Load, Op::Create, Op::Save, Op::Touch, Op::Delete];

    fn as_str(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::Create => "create",
            Self::Save => "save",
            Self::Touch => "touch",
            Self::Delete => "delete",
        }
    }
}

/// A manager's instruments: its store's `backend` label and, with the `metrics` feature,
/// its metric handles, resolved from the installed recorder on first use (a handle looked
/// up per call, by name and labels, cost 4% of an in-memory `rw` request under the
/// Prometheus recorder; held, it costs what recording does). So install the recorder before
/// the first request.
pub(crate) struct Instruments {
    backend: &'static str,
    #[cfg(feature = "metrics")]
    handles: std::sync::OnceLock<Handles>,
}

#[cfg(feature = "metrics")]
struct Handles {
    /// `session_store_operation_seconds`, by [`Op`].
    seconds: [metrics::Histogram; 5],
    created: metrics::Counter,
    destroyed: metrics::Counter,
    regenerated: metrics::Counter,
}

impl Instruments {
    pub(crate) fn new(backend: &'static str) -> Self {
        Self {
            backend,
            #[cfg(feature = "metrics")]
            handles: std::sync::OnceLock::new(),
        }
    }

    #[cfg(feature = "metrics")]
    fn handles(&self) -> &Handles {
        self.handles.get_or_init(|| {
            let backend = self.backend;
            Handles {
                seconds: Op::ALL.map(|op| {
                    metrics::histogram!(
                        "session_store_operation_seconds",
                        "op" => op.as_str(),
                        "backend" => backend
                    )
                }),
                created: metrics::counter!("sessions_created_total"),
                destroyed: metrics::counter!("sessions_destroyed_total"),
                regenerated: metrics::counter!("sessions_regenerated_total"),
            }
        })
    }

    /// A finished request's store operation went through: counts what it did to the
    /// session.
    pub(crate) fn applied(&self, op: StoreOp, had_session: bool) {
        #[cfg(feature = "metrics")]
        match op {
            StoreOp::Create => self.handles().created.increment(1),
            StoreOp::Replace if had_session => self.handles().regenerated.increment(1),
            StoreOp::Replace => self.handles().created.increment(1),
            StoreOp::Delete => self.handles().destroyed.increment(1),
            StoreOp::None | StoreOp::Touch | StoreOp::Save => {}
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (op, had_session);
    }

    /// One store call, timed and traced. Costs two clock reads when metrics or its span are
    /// on, nothing more otherwise; a store that never waits still finishes in its first
    /// poll.
    pub(crate) async fn store_call<T>(
        &self,
        op: Op,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let (name, backend) = (op.as_str(), self.backend);
        let span = tracing::debug_span!(
            "session.store",
            op = name,
            backend,
            outcome = Empty,
            micros = Empty
        );
        let timed = cfg!(feature = "metrics") || !span.is_disabled();
        // A duration for operators, never an input to a session decision (those take `now`).
        #[allow(clippy::disallowed_methods)]
        let started = timed.then(Instant::now);
        let result = call.instrument(span.clone()).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => kind_name(e.kind()),
        };
        if let Some(started) = started {
            let elapsed = started.elapsed();
            if !span.is_disabled() {
                span.record("outcome", outcome);
                span.record(
                    "micros",
                    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                );
            }
            #[cfg(feature = "metrics")]
            self.handles().seconds[op as usize].record(elapsed.as_secs_f64());
        }
        if let Err(e) = &result {
            let expected = matches!(
                e.kind(),
                StoreErrorKind::Conflict | StoreErrorKind::DuplicateId | StoreErrorKind::NotFound
            );
            if !expected {
                tracing::warn!(op = name, backend, kind = outcome, error = %e, "session store call failed");
                #[cfg(feature = "metrics")]
                metrics::counter!(
                    "session_store_errors_total",
                    "op" => name,
                    "backend" => backend,
                    "kind" => outcome
                )
                .increment(1);
            }
        }
        result
    }
}
