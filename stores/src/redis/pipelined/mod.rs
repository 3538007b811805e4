//! The single-node connection: every command of every request goes down one connection,
//! written in batches by one IO task, and a connection that broke is replaced by the next
//! request that needs it.
//!
//! It speaks to the rest of the store through redis-rs' `ConnectionLike`, so commands,
//! scripts (with their `NOSCRIPT` fallback) and typed replies stay redis-rs'. What it
//! replaces is redis-rs' multiplexed connection and its connection manager, which per
//! command sent a message through a channel to their IO task, cloned a shared future and
//! ran a second timer beside the store's own. End to end against a store on redis-rs'
//! `ConnectionManager` (`bench/run.sh paired`, `ours-axum-redis` and `ours-axum-redis-client`,
//! same server and run): `read` at 0.52 of bare against 0.48, `rw` at 0.33 against 0.31.

mod backoff;
mod link;
mod reply;

use std::sync::{Arc, Mutex};

use redis::aio::ConnectionLike;
use redis::{
    Cmd, ConnectionAddr, ConnectionInfo, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult,
    Value,
};

use crate::lock::lock;
pub(crate) use backoff::Backoff;
use link::Link;

/// A cheap-to-clone, reconnecting connection to one Redis node.
#[derive(Clone)]
pub(crate) struct Pipelined {
    inner: Arc<Inner>,
}

struct Inner {
    info: ConnectionInfo,
    live: Mutex<Option<Link>>,
    /// Held while connecting, so a burst of requests after an outage connects once.
    connecting: tokio::sync::Mutex<()>,
    /// Shared by every connection to this node.
    backoff: Arc<Backoff>,
}

/// Refuses addresses this connection cannot reach, when the store is built.
pub(crate) fn check(info: &ConnectionInfo) -> RedisResult<()> {
    match info.addr() {
        ConnectionAddr::Tcp(..) => Ok(()),
        #[cfg(unix)]
        ConnectionAddr::Unix(_) => Ok(()),
        _ => Err(unsupported()),
    }
}

fn unsupported() -> RedisError {
    RedisError::from((
        ErrorKind::InvalidClientConfig,
        "unsupported Redis address",
        "use redis://, redis+unix:// or (feature `redis-tls`) rediss://".to_owned(),
    ))
}

impl Pipelined {
    /// A connection to `info`, made on first use; see [`check`] for the addresses it takes.
    pub(crate) fn new(info: ConnectionInfo, backoff: Arc<Backoff>) -> Self {
        Self {
            inner: Arc::new(Inner {
                info,
                live: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
                backoff,
            }),
        }
    }

    /// Connects now, so a bad address or a server that is down shows at start-up.
    pub(crate) async fn connect(self) -> RedisResult<Self> {
        self.link().await?;
        Ok(self)
    }

    fn current(&self) -> Option<Link> {
        let live = lock(&self.inner.live);
        live.as_ref().filter(|link| link.is_open()).cloned()
    }

    /// The live connection, made first if there is none or the last one broke, unless a
    /// connect to the node failed too recently (see [`Backoff`]).
    async fn link(&self) -> RedisResult<Link> {
        if let Some(link) = self.current() {
            return Ok(link);
        }
        self.inner.backoff.check()?;
        let _connecting = self.inner.connecting.lock().await;
        if let Some(link) = self.current() {
            return Ok(link);
        }
        // The connect this request waited for may just have failed.
        self.inner.backoff.check()?;
        let attempt = self.inner.backoff.attempt();
        let link = match self.open().await {
            Ok(link) => link,
            Err(err) => {
                attempt.failed(&err);
                return Err(err);
            }
        };
        attempt.succeeded();
        let mut live = lock(&self.inner.live);
        *live = Some(link.clone());
        Ok(link)
    }

    async fn open(&self) -> RedisResult<Link> {
        let link = match self.inner.info.addr() {
            ConnectionAddr::Tcp(host, port) => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                stream.set_nodelay(true)?;
                Link::spawn(stream)
            }
            #[cfg(unix)]
            ConnectionAddr::Unix(path) => Link::spawn(tokio::net::UnixStream::connect(path).await?),
            _ => return Err(unsupported()),
        };
        let settings = self.inner.info.redis_settings();
        let mut handshake = redis::pipe();
        if let Some(password) = settings.password() {
            let auth = handshake.cmd("AUTH");
            if let Some(user) = settings.username() {
                auth.arg(user);
            }
            auth.arg(password);
        }
        if settings.db() != 0 {
            handshake.cmd("SELECT").arg(settings.db());
        }
        let steps = handshake.len();
        if steps > 0 {
            let replies = link
                .request(|out| out.extend(handshake.get_packed_pipeline()), 0, steps)
                .await?;
            // On an error, dropping `link` closes the connection.
            replies.extract_error()?;
        }
        Ok(link)
    }
}

impl ConnectionLike for Pipelined {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let link = self.link().await?;
            link.request(|out| cmd.write_packed_command(out), 0, 1)
                .await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let link = self.link().await?;
            let packed = pipeline.get_packed_pipeline();
            let replies = link.request(|out| out.extend(packed), offset, count);
            match (count, replies.await?) {
                (1, one) => Ok(vec![one]),
                (_, Value::Array(all)) => Ok(all),
                (_, other) => Ok(vec![other]),
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.info.redis_settings().db()
    }
}
