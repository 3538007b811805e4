//! The master of a Sentinel-monitored group, asked of the sentinels again after a failover.

use std::sync::{Arc, Mutex};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value,
};

use crate::lock::lock;

/// A cheap-to-clone connection to the current master. A connection that broke, or that
/// reached a node which is no longer the master (`READONLY`, a demoted master coming back),
/// is dropped; the next command asks the sentinels for the master and connects to it.
#[derive(Clone)]
pub(crate) struct SentinelConn {
    inner: Arc<Inner>,
}

struct Inner {
    /// Held while asking the sentinels and connecting, so a burst connects once.
    client: tokio::sync::Mutex<SentinelClient>,
    /// The live connection and its generation (so a late failure drops only its own).
    live: Mutex<Option<(u64, MultiplexedConnection)>>,
    config: AsyncConnectionConfig,
}

impl SentinelConn {
    /// A client for the master `master` that the sentinels at `sentinels` name, logging in to
    /// it with `node`; connects on first use.
    pub(crate) fn new(
        sentinels: &[String],
        master: &str,
        node: SentinelNodeConnectionInfo,
        config: AsyncConnectionConfig,
    ) -> RedisResult<Self> {
        let client = SentinelClient::build(
            sentinels.iter().map(String::as_str).collect(),
            // A `String`: the parameter is `String` without `tls-rustls`, `impl AsRef<str>` with it.
            String::from(master),
            Some(node),
            SentinelServerType::Master,
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                client: tokio::sync::Mutex::new(client),
                live: Mutex::new(None),
                config,
            }),
        })
    }

    /// Connects now, so that sentinels that are down or a master they do not know show at
    /// start-up.
    pub(crate) async fn connect(self) -> RedisResult<Self> {
        self.current().await?;
        Ok(self)
    }

    async fn current(&self) -> RedisResult<(u64, MultiplexedConnection)> {
        if let Some(live) = lock(&self.inner.live).clone() {
            return Ok(live);
        }
        let mut client = self.inner.client.lock().await;
        if let Some(live) = lock(&self.inner.live).clone() {
            return Ok(live);
        }
        let conn = client
            .get_async_connection_with_config(&self.inner.config)
            .await?;
        let next = (next_generation(), conn);
        *lock(&self.inner.live) = Some(next.clone());
        Ok(next)
    }

    /// Drops connection `generation` after `err`, if `err` says it is no use any more.
    fn after_error(&self, generation: u64, err: &RedisError) {
        let stale = err.is_unrecoverable_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_io_error()
            || err.is_timeout()
            || matches!(err.kind(), ErrorKind::Server(_))
                && matches!(err.code(), Some("READONLY" | "MASTERDOWN" | "LOADING"));
        if stale {
            let mut live = lock(&self.inner.live);
            if live.as_ref().is_some_and(|(g, _)| *g == generation) {
                *live = None;
            }
        }
    }
}

/// A fresh number for each connection made.
fn next_generation() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl ConnectionLike for SentinelConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let (generation, mut conn) = self.current().await?;
            let reply = conn.req_packed_command(cmd).await;
            if let Err(err) = &reply {
                self.after_error(generation, err);
            }
            reply
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let (generation, mut conn) = self.current().await?;
            let reply = conn.req_packed_commands(pipeline, offset, count).await;
            match &reply {
                Err(err) => self.after_error(generation, err),
                // A pipeline's server errors come back as values (`wait_for_replicas` sends
                // the write and its `WAIT` as one): a demoted master answers `READONLY` there.
                Ok(values) => {
                    for value in values {
                        if let Value::ServerError(err) = value {
                            self.after_error(generation, &RedisError::from(err.clone()));
                        }
                    }
                }
            }
            reply
        })
    }

    fn get_db(&self) -> i64 {
        // The master is reached with the sentinels' defaults: database 0.
        0
    }
}
