//! Redis' server-assisted client-side caching: one RESP3 connection in broadcast tracking
//! mode for the store's key prefix, so every write to a session key anywhere in the fleet
//! reaches this instance as an `invalidate` push.
//!
//! Why this is exact: Redis queues broadcast invalidations before it writes the replies of
//! the same event-loop turn, so the push for a write is in this instance's socket before
//! the writer has its reply. Before a cached record is served, the socket is drained
//! without waiting ([`RedisLink::fence`]), so any write whose reply anyone could have seen
//! is applied first. A link that closes is seen by that drain; a link that goes silent is
//! caught by a heartbeat (`PING` every `heartbeat`, down after `2 × heartbeat` unanswered).

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use redis::{ConnectionAddr, PushKind, Value, ValueCodec};
use session_core::{StoreError, StoreErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::Decoder;

use super::table::Table;
use crate::lock::lock;
use crate::redis::TrackingTarget;

/// The name the link's connection carries in `CLIENT LIST`.
pub(crate) const CLIENT_NAME: &str = "session-cache-invalidations";

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Stream {
    /// A `recv` on the socket now (it is non-blocking), whatever tokio last saw of it.
    fn recv_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        let socket = match self {
            Stream::Tcp(s) => socket2::SockRef::from(s),
            Stream::Unix(s) => socket2::SockRef::from(s),
        };
        (&*socket).read(buf)
    }

    /// tokio's `try_read`: also clears the readiness tokio keeps once it finds nothing.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Unix(s) => s.try_read(buf),
        }
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_write(buf),
            Stream::Unix(s) => s.try_write(buf),
        }
    }

    async fn readable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.readable().await,
            Stream::Unix(s) => s.readable().await,
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(buf).await,
            Stream::Unix(s) => s.write_all(buf).await,
        }
    }

    async fn read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read_buf(buf).await,
            Stream::Unix(s) => s.read_buf(buf).await,
        }
    }
}

/// The connection and what was read of it but not yet parsed.
struct Reader {
    stream: Arc<Stream>,
    buf: BytesMut,
    codec: ValueCodec,
    /// A `PING` was sent and its `PONG` not yet read.
    awaiting_pong: bool,
}

pub(crate) struct RedisLink {
    reader: Mutex<Option<Reader>>,
    table: Arc<Table>,
    target: TrackingTarget,
    heartbeat: Duration,
}

impl RedisLink {
    /// Opens the link (fails when Redis refuses it) and keeps it up on a tokio task.
    pub(crate) async fn start(
        table: Arc<Table>,
        target: TrackingTarget,
        heartbeat: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let link = Arc::new(Self {
            reader: Mutex::new(None),
            table,
            target,
            heartbeat,
        });
        link.open().await?;
        tokio::spawn(Self::run(Arc::downgrade(&link)));
        Ok(link)
    }

    fn reader(&self) -> MutexGuard<'_, Option<Reader>> {
        lock(&self.reader)
    }

    /// Applies every invalidation already in the socket; false when the link is down.
    pub(crate) fn fence(&self) -> bool {
        let mut reader = self.reader();
        let Some(r) = reader.as_mut() else {
            return false;
        };
        match self.drain(r) {
            Ok(()) => self.table.is_up(),
            Err(e) => {
                tracing::warn!(error = %e, "session cache: the invalidation link broke; serving from the store until it is back");
                *reader = None;
                self.table.link_down();
                false
            }
        }
    }

    fn drain(&self, r: &mut Reader) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        // First what the kernel holds now (the fence), then through tokio, so that its
        // readiness is cleared once empty and the reading task sleeps until more comes.
        for read in [Stream::recv_now, Stream::try_read] {
            loop {
                match read(&r.stream, &mut chunk) {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => r.buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        while let Some(value) = r.codec.decode(&mut r.buf).map_err(io::Error::other)? {
            self.apply(r, value)?;
        }
        Ok(())
    }

    fn apply(&self, r: &mut Reader, value: Value) -> io::Result<()> {
        match value {
            Value::Push {
                kind: PushKind::Invalidate,
                data,
            } => match data.into_iter().next() {
                Some(Value::Array(keys)) => {
                    for key in keys {
                        if let Value::BulkString(key) = key {
                            if let Some(id) = key
                                .strip_prefix(self.target.prefix.as_bytes())
                                .and_then(|id| std::str::from_utf8(id).ok())
                            {
                                self.table.invalidate(id);
                            }
                        }
                    }
                }
                // A null: the server dropped everything (FLUSHALL, FLUSHDB).
                _ => self.table.flush(),
            },
            Value::SimpleString(s) if s == "PONG" => r.awaiting_pong = false,
            Value::ServerError(e) => return Err(io::Error::other(format!("{e:?}"))),
            _ => {}
        }
        Ok(())
    }

    /// Connects, subscribes and marks the cache up.
    async fn open(&self) -> Result<(), StoreError> {
        let reader = tokio::time::timeout(self.target.timeout, self.connect())
            .await
            .map_err(|_| {
                StoreError::new(
                    StoreErrorKind::Timeout,
                    "session cache: connecting the invalidation link timed out",
                )
            })??;
        *self.reader() = Some(reader);
        self.table.link_up();
        Ok(())
    }

    async fn connect(&self) -> Result<Reader, StoreError> {
        let failed = |e: io::Error| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                format!("session cache: cannot open the invalidation link: {e}"),
            )
        };
        let mut stream = match &self.target.addr {
            ConnectionAddr::Tcp(host, port) => Stream::Tcp(
                tokio::net::TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(failed)?,
            ),
            ConnectionAddr::Unix(path) => Stream::Unix(
                tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(failed)?,
            ),
            _ => return Err(unsupported()),
        };
        let mut hello = redis::cmd("HELLO");
        hello.arg(3);
        if let Some(password) = &self.target.password {
            hello
                .arg("AUTH")
                .arg(self.target.username.as_deref().unwrap_or("default"))
                .arg(password);
        }
        let mut setup = hello.get_packed_command();
        setup.extend(
            redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg(CLIENT_NAME)
                .get_packed_command(),
        );
        setup.extend(
            redis::cmd("CLIENT")
                .arg("TRACKING")
                .arg("ON")
                .arg("BCAST")
                .arg("PREFIX")
                .arg(&*self.target.prefix)
                .get_packed_command(),
        );
        stream.write_all(&setup).await.map_err(failed)?;
        let mut buf = BytesMut::with_capacity(4096);
        let mut codec = ValueCodec::default();
        for _ in 0..3 {
            let reply = loop {
                if let Some(v) = codec
                    .decode(&mut buf)
                    .map_err(|e| failed(io::Error::other(e)))?
                {
                    break v;
                }
                if stream.read_buf(&mut buf).await.map_err(failed)? == 0 {
                    return Err(failed(io::ErrorKind::UnexpectedEof.into()));
                }
            };
            if let Value::ServerError(e) = reply {
                return Err(StoreError::new(
                    StoreErrorKind::Backend,
                    format!(
                        "session cache: Redis refused the invalidation link ({e:?}); it needs \
                         Redis 6 or later (RESP3 and CLIENT TRACKING)"
                    ),
                ));
            }
        }
        Ok(Reader {
            stream: Arc::new(stream),
            buf,
            codec,
            awaiting_pong: false,
        })
    }

    /// Reads pushes as they come, sends the heartbeat, reconnects after a loss.
    async fn run(weak: std::sync::Weak<Self>) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let Some(link) = weak.upgrade() else { return };
            if link.reader().is_none() {
                match link.open().await {
                    Ok(()) => backoff = Duration::from_millis(50),
                    Err(e) => {
                        tracing::warn!(error = %e, "session cache: the invalidation link is still down");
                        let wait = backoff;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                        drop(link);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
            }
            let heartbeat = link.heartbeat;
            let readable = link.wait_readable(heartbeat);
            drop(link);
            let woke_by_data = readable.await;
            let Some(link) = weak.upgrade() else { return };
            if !link.fence() {
                continue;
            }
            if !woke_by_data {
                link.beat();
            }
        }
    }

    /// Waits until the socket has data (true) or `timeout` passed (false).
    fn wait_readable(&self, timeout: Duration) -> impl std::future::Future<Output = bool> {
        // The stream is shared so that this wait needs no lock the fences take.
        let stream = self.reader().as_ref().map(|r| r.stream.clone());
        async move {
            match stream {
                Some(stream) => tokio::time::timeout(timeout, stream.readable())
                    .await
                    .is_ok_and(|r| r.is_ok()),
                None => false,
            }
        }
    }

    /// Sends a `PING`; a `PING` still unanswered from the last beat means the link is lost.
    fn beat(&self) {
        let mut reader = self.reader();
        let Some(r) = reader.as_mut() else { return };
        let lost = if r.awaiting_pong {
            true
        } else {
            r.awaiting_pong = true;
            // Fourteen bytes into an idle socket: accepted whole or the socket is broken.
            !matches!(r.stream.try_write(b"*1\r\n$4\r\nPING\r\n"), Ok(14))
        };
        if lost {
            tracing::warn!("session cache: the invalidation link stopped answering; serving from the store until it is back");
            *reader = None;
            self.table.link_down();
        }
    }
}

pub(crate) fn unsupported() -> StoreError {
    StoreError::new(
        StoreErrorKind::Unsupported,
        "session cache: the invalidation link needs a `redis://` or `redis+unix://` store \
         (not `rediss://`, Sentinel, Cluster or the application's own connection)",
    )
}
