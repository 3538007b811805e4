//! # session-stores
//!
//! [`session_core::Store`] implementations, each behind a cargo feature:
//!
//! | feature | store | for |
//! |---|---|---|
//! | `memory` (default) | [`MemoryStore`] | one process; the embedded default |
//! | `sqlite` | `SqliteStore` | one machine, persistent; the second embedded default |
//! | `redis` | `RedisStore` | many processes; expiry by Redis' own TTL |
//! | `redis-cluster` | `RedisStore` with several seed URLs | Redis Cluster, same type |
//! | `redis-tls` | `RedisStore` on `rediss://` URLs | TLS (rustls), one node or a cluster |
//! | `redis-sentinel` | `RedisStore::builder_sentinel` | the master of a Sentinel group, across failovers |
//! | `postgres` | `PostgresStore` | many processes, sessions next to your data |
//! | `mysql` | `MySqlStore` | the same on MySQL or MariaDB |
//! | `redis` or `postgres` | `CachedStore` | a read cache in front of either, invalidated by the server |
//! | `redis` | `ConnectRedisStore` | sharing sessions with express-session + connect-redis |
//! | `postgres` | `ConnectPgStore` | sharing sessions with express-session + connect-pg-simple |
//!
//! `express` adds `ExpressCodec`, express-session's record format (with `ConnectRedisStore`
//! or `ConnectPgStore`, for a migration from Node). Other features: `tokio` runs the memory
//! sweeper and the SQL cleanup on a tokio task; `metrics` adds `spawn_live_gauge`, the
//! `sessions_live` gauge; `msgpack` adds `MsgpackCodec`, a compact
//! binary [`session_core::Codec`] (the default is the core's JSON codec). Stores keep only
//! bytes, so every codec works with every store.
//!
//! The networked stores give up on each operation after a timeout you set (default 2 s)
//! with [`session_core::StoreErrorKind::Timeout`], and report a refused or dropped
//! connection as [`session_core::StoreErrorKind::Unavailable`]; they recover by themselves
//! once the server is back.
//!
//! Each store (not the wrappers, `CachedStore` and `ExpressCutover`) also implements
//! [`Inventory`]: enumerating and counting its live sessions, page by page, for operators'
//! tools (the `sessions` command line of `sessions-cli`) and migrations between stores.
//!
//! Every store passes the same conformance suite (`session-tests`' `store_suite`).
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(feature = "redis", feature = "postgres"))]
mod cache;
#[cfg(feature = "msgpack")]
mod codec;
#[cfg(feature = "express")]
mod cutover;
#[cfg(any(feature = "redis", feature = "_sql"))]
mod deadline;
#[cfg(feature = "express")]
mod express;
mod inventory;
#[cfg(feature = "metrics")]
mod live_gauge;
#[cfg(any(feature = "memory", feature = "redis", feature = "postgres"))]
mod lock;
#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "_sql")]
pub mod sql;

#[cfg(feature = "redis")]
pub use crate::redis::{ConnectRedisStore, RedisStore, RedisStoreBuilder};
#[cfg(any(feature = "redis", feature = "postgres"))]
pub use cache::{CacheStats, CachedStore, CachedStoreBuilder};
#[cfg(feature = "msgpack")]
pub use codec::MsgpackCodec;
#[cfg(feature = "express")]
pub use cutover::ExpressCutover;
#[cfg(feature = "express")]
pub use express::ExpressCodec;
pub use inventory::{Cursor, Inventory, Page};
#[cfg(feature = "metrics")]
pub use live_gauge::spawn_live_gauge;
#[cfg(feature = "memory")]
pub use memory::{MemoryStore, MemoryStoreBuilder};
#[cfg(feature = "mysql")]
pub use sql::MySqlStore;
#[cfg(feature = "sqlite")]
pub use sql::SqliteStore;
#[cfg(feature = "postgres")]
pub use sql::{ConnectPgStore, PostgresStore};
