//! One connection type for every way of reaching Redis, so `RedisStore` is one type.
//!
//! One connection type for every Redis: redis-rs' `ConnectionManager`; the hand-written
//! pipelined link it replaced served `read` at 0.52 of bare against 0.48 and `rw` at 0.33
//! against 0.31 (`bench/run.sh paired`), under the 10% that would have kept it.

use redis::aio::ConnectionLike;
use redis::{Cmd, Pipeline, RedisFuture, Value};

/// A cheap-to-clone connection to one node or to a cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    /// A single node (`redis://`, `redis+unix://`, `rediss://`), or the application's own
    /// `ConnectionManager`: redis-rs reconnects.
    Manager(redis::aio::ConnectionManager),
    /// The application's own `MultiplexedConnection`: never reconnected by the store.
    Multiplexed(redis::aio::MultiplexedConnection),
    /// The master that the sentinels name, found again after a failover.
    #[cfg(feature = "redis-sentinel")]
    Sentinel(super::sentinel::SentinelConn),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl Conn {
    /// Whether this is a cluster (scripts may not touch keys of several slots).
    pub(crate) fn is_cluster(&self) -> bool {
        #[cfg(feature = "redis-cluster")]
        if let Conn::Cluster(_) = self {
            return true;
        }
        false
    }

    /// What kind of connection this is, for `Debug`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Conn::Manager(_) => "connection manager",
            Conn::Multiplexed(_) => "multiplexed connection",
            #[cfg(feature = "redis-sentinel")]
            Conn::Sentinel(_) => "sentinel",
            #[cfg(feature = "redis-cluster")]
            Conn::Cluster(_) => "cluster",
        }
    }
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

macro_rules! each {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Manager($c) => $body,
            Conn::Multiplexed($c) => $body,
            #[cfg(feature = "redis-sentinel")]
            Conn::Sentinel($c) => $body,
            #[cfg(feature = "redis-cluster")]
            Conn::Cluster($c) => $body,
        }
    };
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        each!(self, c => c.req_packed_command(cmd))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        each!(self, c => c.req_packed_commands(pipeline, offset, count))
    }

    fn get_db(&self) -> i64 {
        each!(self, c => c.get_db())
    }
}
