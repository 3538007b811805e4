//! Moving sessions off express-session's format without logging anyone out.

use std::sync::Arc;

use session_core::{Codec, Record, SessionId, Store, StoreError, StoreErrorKind};
use time::OffsetDateTime;

use crate::ExpressCodec;

/// A store for the day a service stops sharing sessions with express: it keeps sessions in
/// `native` (a `RedisStore`, a SQL store, with the manager's own codec), and reads
/// a session it does not find there from `legacy` (a `ConnectRedisStore` or
/// `ConnectPgStore` holding express-session's records). A session found only in
/// `legacy` is moved on that first load: decoded with [`ExpressCodec`], encoded with
/// `codec` (the manager's), created in `native` with its expiry, and deleted from `legacy`.
/// So every session created on Node survives the switch, and each is native from its
/// first request on; the cookie (`connect.sid`, signed with the express secret) does not
/// change.
///
/// What Node sees of a moved session:
/// - by default, nothing: it is gone from `legacy`, and a request routed to Node starts a
///   new session there (switch all traffic at once, or route by path so that a user is
///   not sent back);
/// - with [`ExpressCutover::keep_node_copy`], a copy in express's format, rewritten on
///   every save and touch and deleted with the session: Node keeps reading the sessions
///   (and sees Rust's writes) while traffic moves over. Node's own writes to such a
///   session are not read back once it is native: during that window, keep Node to reads.
///
/// The manager's codec must be `codec`. Two requests moving one session at once are safe:
/// `native`'s create refuses the second, which then reads the moved record.
///
/// ```no_run
/// use session_core::{Config, ExpressOptions, JsonCodec, SessionManager};
/// use session_stores::{ConnectRedisStore, ExpressCodec, ExpressCutover, RedisStore};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let express = Config::express(ExpressOptions {
///     secret: vec!["the express app's secret".into()],
///     sign_with_short_secret: true,
///     ..ExpressOptions::default()
/// })?;
/// // Native records under another prefix than express's `sess:`.
/// let native = RedisStore::builder(["redis://127.0.0.1:6379"]).prefix("session:").connect().await?;
/// let legacy = ConnectRedisStore::new(RedisStore::connect("redis://127.0.0.1:6379").await?);
/// let store = ExpressCutover::new(native, legacy, ExpressCodec::new(&express), JsonCodec);
/// let manager = SessionManager::builder(express).store(store).codec(JsonCodec).build()?;
/// # Ok(()) }
/// ```
pub struct ExpressCutover<N, L> {
    native: N,
    legacy: L,
    express: ExpressCodec,
    codec: Arc<dyn Codec>,
    node_copy: bool,
}

impl<N, L> std::fmt::Debug for ExpressCutover<N, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpressCutover")
            .field("node_copy", &self.node_copy)
            .finish_non_exhaustive()
    }
}

impl<N: Store, L: Store> ExpressCutover<N, L> {
    /// Sessions in `native` (encoded with `codec`, the manager's codec), and those still in
    /// express's format in `legacy` (read with `express`).
    pub fn new(native: N, legacy: L, express: ExpressCodec, codec: impl Codec) -> Self {
        Self {
            native,
            legacy,
            express,
            codec: Arc::new(codec),
            node_copy: false,
        }
    }

    /// Keeps a copy of every session in express's format in `legacy`, rewritten on each save
    /// and touch, so that the Node app still reads them while traffic moves over.
    #[must_use]
    pub fn keep_node_copy(mut self, on: bool) -> Self {
        self.node_copy = on;
        self
    }

    /// `record` (native) re-encoded in express's format, for the Node copy.
    fn express_copy(&self, record: &Record) -> Result<Record, StoreError> {
        let state = self.codec.decode(&record.payload).map_err(malformed)?;
        let payload = self
            .express
            .encode(&state, record.expires_at)
            .map_err(malformed)?;
        Ok(Record::new(payload, record.expires_at, record.version).with_user(record.user.clone()))
    }

    /// Rewrites the Node copy of `id` from `record`.
    async fn write_node_copy(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        let copy = self.express_copy(record)?;
        self.legacy.delete(id).await?;
        match self.legacy.create(id, &copy).await {
            // Node wrote it in between: its write stands until the next save.
            Err(e) if e.kind() == StoreErrorKind::DuplicateId => Ok(()),
            other => other,
        }
    }

    /// Moves `id` from `legacy` to `native`, if `legacy` has it.
    async fn take_over(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        let Some(old) = self.legacy.load(id, now).await? else {
            return Ok(None);
        };
        let state = self.express.decode(&old.payload).map_err(malformed)?;
        let payload = self
            .codec
            .encode(&state, old.expires_at)
            .map_err(malformed)?;
        let record = Record::new(payload, old.expires_at, 1).with_user(old.user);
        match self.native.create(id, &record).await {
            Ok(()) => {}
            // Another request moved it first.
            Err(e) if e.kind() == StoreErrorKind::DuplicateId => {
                return self.native.load(id, now).await;
            }
            Err(e) => return Err(e),
        }
        if self.node_copy {
            self.write_node_copy(id, &record).await?;
        } else {
            self.legacy.delete(id).await?;
        }
        Ok(Some(record))
    }
}

fn malformed(e: session_core::CodecError) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, e)
}

impl<N: Store, L: Store> Store for ExpressCutover<N, L> {
    fn backend_name(&self) -> &'static str {
        "express-cutover"
    }

    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        match self.native.load(id, now).await? {
            Some(record) => Ok(Some(record)),
            None => self.take_over(id, now).await,
        }
    }

    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.native.create(id, record).await?;
        if self.node_copy {
            self.write_node_copy(id, record).await?;
        }
        Ok(())
    }

    async fn save(&self, id: &SessionId, record: &Record, expected: u64) -> Result<(), StoreError> {
        self.native.save(id, record, expected).await?;
        if self.node_copy {
            self.write_node_copy(id, record).await?;
        }
        Ok(())
    }

    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.native.touch(id, expires_at).await?;
        if self.node_copy {
            self.legacy.touch(id, expires_at).await?;
        }
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.native.delete(id).await?;
        self.legacy.delete(id).await
    }

    async fn user_sessions(
        &self,
        user: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(SessionId, Record)>, StoreError> {
        self.native.user_sessions(user, now).await
    }

    async fn delete_user_sessions(
        &self,
        user: &str,
        except: Option<&SessionId>,
    ) -> Result<u64, StoreError> {
        self.native.delete_user_sessions(user, except).await
    }
}
