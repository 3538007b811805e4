//! A loopback TCP proxy a test can cut, to take a database away without owning its process.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::outage::Outage;

/// Forwards connections from its own loopback port to `upstream`. [`Outage::stop`] closes
/// the port and drops every connection (clients see refused and reset connections);
/// [`Outage::stall`] keeps connections open but forwards nothing (clients see a hung
/// server). Runs on the current tokio runtime; dropping it stops it.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use session_tests::store_suite::TcpProxy;
/// let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await?;
/// let url = format!("postgres://postgres@{}/test", proxy.addr());
/// # Ok(()) }
/// ```
pub struct TcpProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    stalled: Arc<watch::Sender<bool>>,
    tasks: JoinSet<()>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut proxy = Self {
            addr: listener.local_addr()?,
            upstream,
            stalled: Arc::new(watch::channel(false).0),
            tasks: JoinSet::new(),
        };
        proxy.serve(listener);
        Ok(proxy)
    }

    /// The address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts a proxy to the server of a database URL (`scheme://[user@]host[:port]/...`,
    /// `default_port` when it names none) and returns it with the URL rewritten to go
    /// through it.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use session_tests::store_suite::TcpProxy;
    /// let (proxy, url) = TcpProxy::for_url("mysql://root@127.0.0.1/test", 3306).await?;
    /// assert!(url.contains(&proxy.addr().to_string()));
    /// # Ok(()) }
    /// ```
    pub async fn for_url(url: &str, default_port: u16) -> io::Result<(Self, String)> {
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a server URL: {url}"),
            )
        };
        let start = url.find("://").ok_or_else(bad)? + 3;
        let end = url[start..]
            .find(['/', '?'])
            .map_or(url.len(), |i| start + i);
        let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
        let host_port = &url[host_start..end];
        let upstream = if host_port.contains(':') {
            tokio::net::lookup_host(host_port).await?.next()
        } else {
            tokio::net::lookup_host((host_port, default_port))
                .await?
                .next()
        }
        .ok_or_else(bad)?;
        let proxy = Self::start(upstream).await?;
        let rewritten = format!("{}{}{}", &url[..host_start], proxy.addr(), &url[end..]);
        Ok((proxy, rewritten))
    }

    fn serve(&mut self, listener: TcpListener) {
        let upstream = self.upstream;
        let stalled = self.stalled.clone();
        self.tasks.spawn(async move {
            // Connections live in this set, so stopping the proxy (aborting this task)
            // drops them all.
            let mut connections = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(forward(client, upstream, stalled.subscribe()));
                while connections.try_join_next().is_some() {}
            }
        });
    }
}

impl Outage for TcpProxy {
    async fn stop(&mut self) {
        self.tasks.shutdown().await;
    }

    async fn start(&mut self) {
        // The port was ours a moment ago; retry briefly in case the OS holds it.
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the proxy could not listen on {} again", self.addr);
    }

    async fn stall(&mut self) {
        self.stalled.send_replace(true);
    }

    async fn resume(&mut self) {
        self.stalled.send_replace(false);
    }
}

async fn forward(client: TcpStream, upstream: SocketAddr, stalled: watch::Receiver<bool>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = pump(client_read, server_write, stalled.clone()) => {}
        _ = pump(server_read, client_write, stalled) => {}
    }
}

async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        // A stalled proxy holds what it read until it resumes: the peer sees no answer.
        if stalled.wait_for(|s| !*s).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
