//! PostgreSQL's `LISTEN/NOTIFY`: a trigger on `http_sessions` notifies every change
//! (`UPDATE`: a save or a touch; `DELETE`: a logout, a revocation, a sweep), from any
//! instance or tool, and one listening connection per instance drops what it names.
//!
//! Why this is exact: PostgreSQL signals the listening backends when the writing
//! transaction commits, before the writer has its reply, and a backend sends what it was
//! signalled before it answers its next query. So before a cached record is served, the
//! listening connection runs one query ([`PgLink::fence`]); every notification of a commit
//! anyone could have seen arrives before that query's answer. The fences of concurrent
//! requests share one query: a fence sent after a request arrived covers it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use session_core::{StoreError, StoreErrorKind};
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::table::Table;

/// The channel the trigger notifies.
pub(crate) const CHANNEL: &str = "http_sessions_changed";

const TRIGGER: &str = "
CREATE OR REPLACE FUNCTION http_sessions_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('http_sessions_changed', OLD.id::text);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER http_sessions_changed AFTER UPDATE OR DELETE ON http_sessions
    FOR EACH ROW EXECUTE FUNCTION http_sessions_notify_change();
";

pub(crate) struct PgLink {
    listening: tokio::sync::Mutex<Listening>,
    pool: PgPool,
    table: Arc<Table>,
    /// Fences asked for, and the number up to which they are answered.
    asked: AtomicU64,
    answered: AtomicU64,
    timeout: Duration,
}

struct Listening {
    /// None after a failure: the next fence listens on a new connection.
    listener: Option<PgListener>,
    /// The listening backend: another one means notifications may have been missed.
    pid: Option<i32>,
}

impl PgLink {
    /// Installs the trigger (once per database), listens, and keeps the link checked on a
    /// tokio task every `heartbeat`.
    pub(crate) async fn start(
        table: Arc<Table>,
        pool: &PgPool,
        heartbeat: Duration,
        timeout: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let setup = async {
            install_trigger(pool).await?;
            listen(pool).await
        };
        let listener = tokio::time::timeout(timeout, setup)
            .await
            .map_err(|_| {
                StoreError::new(
                    StoreErrorKind::Timeout,
                    "session cache: setting up LISTEN on PostgreSQL timed out",
                )
            })?
            .map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Unavailable,
                    format!("session cache: cannot listen for changes on PostgreSQL: {e}"),
                )
            })?;
        let link = Arc::new(Self {
            listening: tokio::sync::Mutex::new(Listening {
                listener: Some(listener),
                pid: None,
            }),
            pool: pool.clone(),
            table,
            asked: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            timeout,
        });
        if !link.fence().await {
            return Err(StoreError::new(
                StoreErrorKind::Unavailable,
                "session cache: the PostgreSQL listening connection did not answer",
            ));
        }
        let weak = Arc::downgrade(&link);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(heartbeat).await;
                let Some(link) = weak.upgrade() else { return };
                link.fence().await;
            }
        });
        Ok(link)
    }

    /// Applies every notification of a commit made before this call; false when the link
    /// is down.
    pub(crate) async fn fence(&self) -> bool {
        let ticket = self.asked.fetch_add(1, Ordering::AcqRel) + 1;
        let mut listening = self.listening.lock().await;
        if self.answered.load(Ordering::Acquire) >= ticket {
            return self.table.is_up();
        }
        // Every fence asked for so far was asked before this query goes out.
        let covers = self.asked.load(Ordering::Acquire);
        let listening = &mut *listening;
        let asked = async {
            let listener = match &mut listening.listener {
                Some(listener) => listener,
                empty => empty.insert(listen(&self.pool).await?),
            };
            sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
                .fetch_one(listener)
                .await
        };
        let failure = match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(pid)) => {
                let fresh = listening.pid != Some(pid);
                listening.pid = Some(pid);
                if let Some(listener) = &mut listening.listener {
                    while let Some(note) = listener.next_buffered() {
                        self.table.invalidate(note.payload());
                    }
                }
                if fresh {
                    // A new connection: what changed before its LISTEN was never sent.
                    self.table.link_up();
                }
                self.answered.fetch_max(covers, Ordering::AcqRel);
                return true;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        if self.table.is_up() {
            tracing::warn!(error = %failure, "session cache: the PostgreSQL listening connection failed; serving from the store until it is back");
        }
        listening.listener = None;
        self.table.link_down();
        false
    }
}

impl Drop for PgLink {
    fn drop(&mut self) {
        // sqlx's listener hands its connection back to the pool on a task it spawns, which
        // panics off a tokio runtime (a server's last values are dropped after its runtime
        // stopped). Off one, the connection is simply left to close with the process.
        if tokio::runtime::Handle::try_current().is_err() {
            if let Some(listener) = self.listening.get_mut().listener.take() {
                std::mem::forget(listener);
            }
        }
    }
}

/// A new connection listening on [`CHANNEL`].
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Creates the trigger unless it exists, one instance at a time.
async fn install_trigger(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('http_sessions_changed'))")
        .execute(&mut *tx)
        .await?;
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'http_sessions_changed' \
         AND tgrelid = 'http_sessions'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        sqlx::raw_sql(TRIGGER).execute(&mut *tx).await?;
    }
    tx.commit().await
}
