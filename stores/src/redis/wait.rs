//! `WAIT` after each write, for `RedisStoreBuilder::wait_for_replicas`.

use std::time::Duration;

use redis::{Cmd, FromRedisValue, ScriptInvocation, Value};
use session_core::{StoreError, StoreErrorKind};

use super::conn::Conn;
use super::error::store_error;

/// How many replicas must acknowledge each write, and how long the master waits for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitForReplicas {
    pub(crate) replicas: u32,
    pub(crate) timeout: Duration,
}

/// A write: one command or one script.
pub(crate) enum Write<'a> {
    Cmd(Cmd),
    Script(&'a ScriptInvocation<'a>),
}

impl WaitForReplicas {
    /// `WAIT`'s timeout in ms; at least 1, since 0 would block for ever.
    fn timeout_ms(&self) -> u64 {
        u64::try_from(self.timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// Runs `write`, then (when `wait` is set) `WAIT` in the same pipeline, on the same
/// connection, so that it waits for this write and not for a connection made since. Fails
/// with [`StoreErrorKind::Timeout`] when fewer replicas than asked acknowledged in time.
pub(crate) async fn run<T: FromRedisValue>(
    conn: &mut Conn,
    write: Write<'_>,
    wait: Option<WaitForReplicas>,
) -> Result<T, StoreError> {
    let Some(wait) = wait else {
        return match write {
            Write::Cmd(cmd) => cmd.query_async(conn).await,
            Write::Script(invocation) => invocation.invoke_async(conn).await,
        }
        .map_err(store_error);
    };
    // A script unknown to the server (after a restart or a failover) is loaded, then run
    // again: pipelines do not fall back to `EVAL` by themselves.
    for attempt in 0..2 {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        match &write {
            Write::Cmd(cmd) => pipe.add_command(cmd.clone()),
            Write::Script(invocation) => pipe.invoke_script(invocation),
        };
        pipe.cmd("WAIT").arg(wait.replicas).arg(wait.timeout_ms());
        let replies: Vec<Value> = pipe.query_async(conn).await.map_err(store_error)?;
        let [reply, acked]: [Value; 2] = replies.try_into().map_err(|_| {
            StoreError::new(
                StoreErrorKind::Corrupt,
                "Redis answered a write and its WAIT with other than two replies",
            )
        })?;
        let reply = match reply.extract_error() {
            Err(err) if attempt == 0 && err.code() == Some("NOSCRIPT") => {
                if let Write::Script(invocation) = &write {
                    invocation.load_async(conn).await.map_err(store_error)?;
                }
                continue;
            }
            reply => reply.map_err(store_error)?,
        };
        let acked = i64::from_redis_value(acked.extract_error().map_err(store_error)?)
            .map_err(|err| store_error(err.into()))?;
        if acked < i64::from(wait.replicas) {
            return Err(StoreError::new(
                StoreErrorKind::Timeout,
                format!(
                    "the write reached the Redis master but only {acked} of the {} replica(s) \
                     asked for acknowledged it within {} ms (`wait_for_replicas`); a failover \
                     now could lose it",
                    wait.replicas,
                    wait.timeout_ms()
                ),
            ));
        }
        return T::from_redis_value(reply).map_err(|err| store_error(err.into()));
    }
    Err(StoreError::new(
        StoreErrorKind::Backend,
        "Redis did not know a script right after loading it",
    ))
}
