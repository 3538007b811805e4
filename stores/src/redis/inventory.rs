//! Enumerating a Redis store's sessions ([`crate::Inventory`]): `SCAN ... MATCH prefix*`,
//! then one pipeline per page for the values, on the node that `SCAN` ran on.
//!
//! A cursor is `SCAN`'s own on a single node (`"1234"`), and `SCAN`'s on one master with that
//! master's address on a cluster (`"1234@127.0.0.1:7001"`). A page never spans two masters,
//! so its pipeline goes to one node; masters are walked in the order of their addresses.

use redis::{Cmd, Pipeline, Value};
use session_core::{SessionId, StoreError, StoreErrorKind};
use time::OffsetDateTime;

use super::conn::Conn;
use super::error::store_error;
use super::{connect_redis, record, ConnectRedisStore, RedisStore};
use crate::deadline::within;
use crate::{Cursor, Inventory, Page};

/// `SCAN` calls one page makes at most while `MATCH` finds too few keys (a database holding
/// mostly other keys): the page then comes back short, or empty, with a cursor to go on.
const SCANS_PER_PAGE: usize = 16;

/// Bytes of a native record that hold its expiry, whichever layout (see `record`).
const HEADER_WITH_USER: isize = 1 + record::HEADER_LEN as isize;

/// Where `SCAN` runs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    /// The one node of a single-node store.
    Single,
    /// A cluster master, by the address the cluster gives for it.
    #[cfg_attr(not(feature = "redis-cluster"), allow(dead_code))]
    Master(String, u16),
}

/// One page of keys, all on `node`.
struct Keys {
    node: Node,
    /// The keys, prefix included, with the session id each names.
    found: Vec<(String, SessionId)>,
    next: Option<Cursor>,
}

/// What a page reads besides the keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The value (native records carry their expiry).
    Value,
    /// The value and its `PTTL` (connect-redis' layout: the TTL is the expiry).
    ValueAndTtl,
    /// The first bytes of a native record: its expiry, for counting.
    Header,
}

/// `prefix` with `SCAN`'s glob characters escaped, then `*`.
fn pattern(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

fn cursor_of(node: &Node, scan: u64) -> Cursor {
    match node {
        Node::Single => Cursor::new(scan.to_string()),
        Node::Master(host, port) => Cursor::new(format!("{scan}@{host}:{port}")),
    }
}

/// A cursor's node and `SCAN` cursor.
fn parse_cursor(cursor: &Cursor) -> Result<(Node, u64), StoreError> {
    let text = cursor.as_str();
    let (scan, node) = match text.split_once('@') {
        None => (text, Node::Single),
        Some((scan, address)) => {
            let (host, port) = address.rsplit_once(':').ok_or_else(|| cursor.foreign())?;
            let port = port.parse().map_err(|_| cursor.foreign())?;
            (scan, Node::Master(host.to_owned(), port))
        }
    };
    Ok((node, scan.parse().map_err(|_| cursor.foreign())?))
}

fn parse_error(err: redis::ParsingError) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, err)
}

impl RedisStore {
    /// Sends `cmd` to `node`.
    async fn on_node(&self, conn: &mut Conn, node: &Node, cmd: Cmd) -> Result<Value, StoreError> {
        within(self.timeout, async {
            #[cfg(feature = "redis-cluster")]
            if let (Conn::Cluster(c), Node::Master(host, port)) = (&mut *conn, node) {
                use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
                let to = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                return c
                    .route_command(cmd, RoutingInfo::SingleNode(to))
                    .await
                    .map_err(store_error);
            }
            let _ = node;
            cmd.query_async(conn).await.map_err(store_error)
        })
        .await
    }

    /// Sends `pipe` (`count` commands, errors kept as values) to `node`.
    async fn pipe_on_node(
        &self,
        conn: &mut Conn,
        node: &Node,
        pipe: Pipeline,
        count: usize,
    ) -> Result<Vec<Value>, StoreError> {
        within(self.timeout, async {
            #[cfg(feature = "redis-cluster")]
            if let (Conn::Cluster(c), Node::Master(host, port)) = (&mut *conn, node) {
                use redis::cluster_routing::SingleNodeRoutingInfo;
                let to = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                return c
                    .route_pipeline(pipe, 0, count, to)
                    .await
                    .map_err(store_error);
            }
            let _ = (node, count);
            pipe.query_async(conn).await.map_err(store_error)
        })
        .await
    }

    /// The cluster's masters, in the order of their addresses (`CLUSTER NODES`); the single
    /// node for a single-node store.
    async fn nodes(&self, conn: &mut Conn) -> Result<Vec<Node>, StoreError> {
        #[cfg(feature = "redis-cluster")]
        if let Conn::Cluster(c) = conn {
            use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
            let mut cmd = redis::cmd("CLUSTER");
            cmd.arg("NODES");
            let reply = within(self.timeout, async {
                c.route_command(cmd, RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random))
                    .await
                    .map_err(store_error)
            })
            .await?;
            let text: String = redis::from_redis_value(reply).map_err(parse_error)?;
            let mut masters = masters_of(&text);
            masters.sort();
            masters.dedup();
            if masters.is_empty() {
                return Err(StoreError::new(
                    StoreErrorKind::Unavailable,
                    "CLUSTER NODES lists no master that is up",
                ));
            }
            return Ok(masters);
        }
        let _ = conn;
        Ok(vec![Node::Single])
    }

    /// One page of session keys after `after`.
    async fn scan_keys(
        &self,
        conn: &mut Conn,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Keys, StoreError> {
        let nodes = self.nodes(conn).await?;
        let (mut node, mut scan) = match after {
            None => (nodes[0].clone(), 0),
            Some(cursor) => {
                let (node, scan) = parse_cursor(cursor)?;
                // A single node's cursor on a cluster, or a master's on a single node.
                if (node == Node::Single) != (nodes[0] == Node::Single) {
                    return Err(cursor.foreign());
                }
                (node, scan)
            }
        };
        if !nodes.contains(&node) {
            // The master is gone (a failover, a resharding): go on with the next address.
            match nodes.iter().find(|n| **n > node) {
                Some(next) => (node, scan) = (next.clone(), 0),
                None => {
                    return Ok(Keys {
                        node,
                        found: Vec::new(),
                        next: None,
                    })
                }
            }
        }
        let pattern = pattern(&self.prefix);
        let user_keys = format!("{}user:", self.prefix);
        let mut found = Vec::new();
        for _ in 0..SCANS_PER_PAGE {
            let mut cmd = redis::cmd("SCAN");
            cmd.arg(scan)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(limit);
            let reply = self.on_node(conn, &node, cmd).await?;
            let (next, keys): (u64, Vec<Vec<u8>>) =
                redis::from_redis_value(reply).map_err(parse_error)?;
            for key in keys {
                // Keys that are not text were not written by this store.
                let Ok(key) = String::from_utf8(key) else {
                    continue;
                };
                if key.starts_with(&user_keys) {
                    continue;
                }
                let id = key.get(self.prefix.len()..).and_then(SessionId::parse);
                if let Some(id) = id {
                    found.push((key, id));
                }
            }
            scan = next;
            if scan == 0 || found.len() >= limit {
                break;
            }
        }
        let next = if scan != 0 {
            Some(cursor_of(&node, scan))
        } else {
            // This node is done; the next master, if any, starts from its beginning.
            nodes
                .iter()
                .find(|n| **n > node)
                .map(|next| cursor_of(next, 0))
        };
        Ok(Keys { node, found, next })
    }

    /// For each key, what `read` asks for: the value (or header) and the `PTTL`, `None` for a
    /// key that is gone or holds something else than a string.
    async fn read(
        &self,
        conn: &mut Conn,
        keys: &Keys,
        read: Read,
    ) -> Result<Vec<(Option<Vec<u8>>, i64)>, StoreError> {
        if keys.found.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for (key, _) in &keys.found {
            match read {
                Read::Value => pipe.cmd("GET").arg(key),
                Read::ValueAndTtl => pipe.cmd("GET").arg(key).cmd("PTTL").arg(key),
                Read::Header => pipe
                    .cmd("GETRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(HEADER_WITH_USER - 1),
            };
        }
        let per_key = if read == Read::ValueAndTtl { 2 } else { 1 };
        let count = keys.found.len() * per_key;
        let replies = self.pipe_on_node(conn, &keys.node, pipe, count).await?;
        if replies.len() != count {
            return Err(StoreError::new(
                StoreErrorKind::Corrupt,
                format!("{} replies to a pipeline of {count}", replies.len()),
            ));
        }
        let mut out = Vec::with_capacity(keys.found.len());
        let mut replies = replies.into_iter();
        while let Some(value) = replies.next() {
            let value = match value {
                Value::BulkString(bytes) => Some(bytes),
                // Gone since `SCAN`, or another type of key (a `WRONGTYPE` error).
                _ => None,
            };
            let ttl = if per_key == 2 {
                match replies.next() {
                    Some(Value::Int(ttl)) => ttl,
                    _ => -2,
                }
            } else {
                0
            };
            out.push((value, ttl));
        }
        Ok(out)
    }
}

/// The address of every master `CLUSTER NODES` lists as up.
#[cfg(feature = "redis-cluster")]
fn masters_of(nodes: &str) -> Vec<Node> {
    let mut masters = Vec::new();
    for line in nodes.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(address), Some(flags)) = (fields.get(1), fields.get(2)) else {
            continue;
        };
        let flags: Vec<&str> = flags.split(',').collect();
        if !flags.contains(&"master") || flags.iter().any(|f| f.starts_with("fail")) {
            continue;
        }
        // `ip:port@cport[,hostname]`
        let address = address.split(['@', ',']).next().unwrap_or_default();
        let Some((host, port)) = address.rsplit_once(':') else {
            continue;
        };
        if let (false, Ok(port)) = (host.is_empty(), port.parse()) {
            masters.push(Node::Master(host.to_owned(), port));
        }
    }
    masters
}

impl Inventory for RedisStore {
    async fn scan(
        &self,
        after: Option<&Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Page, StoreError> {
        let mut conn = self.conn().await?;
        let keys = self.scan_keys(&mut conn, after, limit.max(1)).await?;
        let values = self.read(&mut conn, &keys, Read::Value).await?;
        let mut entries = Vec::with_capacity(values.len());
        for ((_, id), (value, _)) in keys.found.into_iter().zip(values) {
            // A value that is not a record of this layout is someone else's key.
            let Some(Ok(found)) = value.map(record::decode) else {
                continue;
            };
            if found.expires_at > now {
                entries.push((id, found));
            }
        }
        Ok(Page::new(entries, keys.next))
    }

    async fn count(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let now_ms = session_core::unix_millis(now);
        let (mut count, mut after) = (0, None);
        loop {
            let keys = self.scan_keys(&mut conn, after.as_ref(), 1000).await?;
            for (header, _) in self.read(&mut conn, &keys, Read::Header).await? {
                if header
                    .as_deref()
                    .and_then(expiry_of)
                    .is_some_and(|e| e > now_ms)
                {
                    count += 1;
                }
            }
            match keys.next {
                Some(next) => after = Some(next),
                None => return Ok(count),
            }
        }
    }
}

/// The expiry (Unix ms) in the first bytes of a native record, either layout.
fn expiry_of(header: &[u8]) -> Option<i64> {
    let start = if header.first() == Some(&0xFF) { 1 } else { 0 };
    let bytes = header.get(start + 8..start + 16)?;
    let mut expiry = [0u8; 8];
    expiry.copy_from_slice(bytes);
    Some(i64::from_be_bytes(expiry))
}

/// connect-redis' layout: the value is the payload, the key's TTL the expiry (a key without
/// one counts as a day, as `load` has it).
impl Inventory for ConnectRedisStore {
    async fn scan(
        &self,
        after: Option<&Cursor>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Result<Page, StoreError> {
        let store = &self.inner;
        let mut conn = store.conn().await?;
        let keys = store.scan_keys(&mut conn, after, limit.max(1)).await?;
        let values = store.read(&mut conn, &keys, Read::ValueAndTtl).await?;
        let mut entries = Vec::with_capacity(values.len());
        for ((_, id), (value, pttl)) in keys.found.into_iter().zip(values) {
            let Some(value) = value else { continue };
            if pttl == -2 {
                continue;
            }
            if let Some(record) = connect_redis::record_of(value, pttl, now) {
                entries.push((id, record));
            }
        }
        Ok(Page::new(entries, keys.next))
    }

    async fn count(&self, _now: OffsetDateTime) -> Result<u64, StoreError> {
        // Every string key under the prefix is live: its TTL is its expiry, which Redis
        // enforces. Other types (and the user-index sets) are not sessions.
        let store = &self.inner;
        let mut conn = store.conn().await?;
        let (mut count, mut after) = (0, None);
        loop {
            let keys = store.scan_keys(&mut conn, after.as_ref(), 1000).await?;
            if !keys.found.is_empty() {
                let mut pipe = redis::pipe();
                for (key, _) in &keys.found {
                    pipe.cmd("TYPE").arg(key);
                }
                let n = keys.found.len();
                let types = store.pipe_on_node(&mut conn, &keys.node, pipe, n).await?;
                count += types
                    .iter()
                    .filter(|t| matches!(t, Value::SimpleString(s) if s == "string"))
                    .count() as u64;
            }
            match keys.next {
                Some(next) => after = Some(next),
                None => return Ok(count),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_core::Record;

    #[test]
    fn patterns_escape_globs() {
        assert_eq!(pattern("sess:"), "sess:*");
        assert_eq!(pattern("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\*");
    }

    #[test]
    fn cursors_round_trip() {
        let single = cursor_of(&Node::Single, 42);
        assert_eq!(single.as_str(), "42");
        assert!(matches!(parse_cursor(&single), Ok((Node::Single, 42))));
        let master = cursor_of(&Node::Master("::1".into(), 7001), 9);
        assert_eq!(master.as_str(), "9@::1:7001");
        let (node, scan) = parse_cursor(&master).ok().unwrap();
        assert!(node == Node::Master("::1".into(), 7001) && scan == 9);
        for bad in ["", "x", "1@host", "1@host:port", "-1"] {
            assert!(parse_cursor(&Cursor::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_give_the_expiry_of_either_layout() {
        let at = time::macros::datetime!(2030-01-01 0:00 UTC);
        let plain = record::encode(&Record::new(b"{}".to_vec(), at, 3)).unwrap();
        let user = Record::new(b"{}".to_vec(), at, 3).with_user(Some("ann".into()));
        let user = record::encode(&user).unwrap();
        for value in [plain, user] {
            let header = &value[..(HEADER_WITH_USER as usize).min(value.len())];
            assert_eq!(expiry_of(header), Some(session_core::unix_millis(at)));
        }
        assert_eq!(expiry_of(b"short"), None);
    }

    #[cfg(feature = "redis-cluster")]
    #[test]
    fn masters_come_from_cluster_nodes() {
        let nodes = "\
a 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
b 127.0.0.1:7002@17002,host2 master - 0 0 2 connected 5461-10922
c 127.0.0.1:7003@17003 slave b 0 0 2 connected
d 127.0.0.1:7004@17004 master,fail - 0 0 3 disconnected
";
        let masters = masters_of(nodes);
        assert_eq!(masters.len(), 2);
        assert!(masters[1] == Node::Master("127.0.0.1".into(), 7002));
    }
}
