//! `redis-server` processes a test owns: for outages and for a throwaway cluster.

use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::outage::Outage;

/// A `redis-server` on a spare loopback port, in its own temporary directory, without
/// persistence. Stopped by its pid ([`Outage::stop`] kills it, [`Outage::start`] starts it
/// again on the same port, [`Outage::stall`] and [`Outage::resume`] send `SIGSTOP` and
/// `SIGCONT`); killed and cleaned up on drop. Needs `redis-server` on the `PATH`.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let server = session_tests::store_suite::RedisServer::start().await?;
/// let url = server.url();
/// # Ok(()) }
/// ```
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    cluster: bool,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a spare port; returns once it answers `PING`.
    pub async fn start() -> io::Result<Self> {
        Self::launch(spare_port(false)?, false).await
    }

    async fn launch(port: u16, cluster: bool) -> io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("session-tests-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut server = Self {
            port,
            dir,
            cluster,
            child: None,
        };
        server.spawn().await?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `redis+unix://<socket path>`: the same server over its Unix socket.
    pub fn unix_url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("redis.sock").display())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    async fn spawn(&mut self) -> io::Result<()> {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(self.dir.join("redis.sock"))
            .args(["--unixsocketperm", "700"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.cluster {
            command.args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            ]);
        }
        self.child = Some(command.spawn()?);
        for _ in 0..100 {
            if self.cli(&["PING"]).is_ok_and(|out| out.trim() == "PONG") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(io::Error::other(format!(
            "redis-server on port {} did not answer PING",
            self.port
        )))
    }

    /// Runs `redis-cli` against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> io::Result<String> {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stderr(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!("redis-cli {args:?} failed")));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Resume a stopped process first, or it could not act on the kill.
            self.signal("CONT");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .status();
        }
    }
}

impl Outage for RedisServer {
    async fn stop(&mut self) {
        self.kill();
    }

    async fn start(&mut self) {
        if let Err(err) = self.spawn().await {
            panic!("could not restart redis-server: {err}");
        }
    }

    async fn stall(&mut self) {
        self.signal("STOP");
    }

    async fn resume(&mut self) {
        self.signal("CONT");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A throwaway Redis Cluster: three masters on spare loopback ports, joined with
/// `redis-cli --cluster create ... --cluster-yes`. Needs `redis-server` and `redis-cli`.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let cluster = session_tests::store_suite::RedisCluster::start().await?;
/// let seeds: Vec<String> = cluster.urls();
/// # Ok(()) }
/// ```
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three masters and waits until the cluster reports `cluster_state:ok`.
    pub async fn start() -> io::Result<Self> {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(RedisServer::launch(spare_port(true)?, true).await?);
        }
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !out.success() {
            return Err(io::Error::other("redis-cli --cluster create failed"));
        }
        for _ in 0..200 {
            let ready = nodes.iter().all(|n| {
                n.cli(&["CLUSTER", "INFO"])
                    .is_ok_and(|info| info.contains("cluster_state:ok"))
            });
            if ready {
                return Ok(Self { nodes });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(io::Error::other(
            "the Redis Cluster never reached cluster_state:ok",
        ))
    }

    /// The nodes' URLs, to use as seeds.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }
}

/// A loopback port nobody listens on (and, for a cluster node, whose bus port, 10000
/// higher, is free too).
fn spare_port(with_bus: bool) -> io::Result<u16> {
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if !with_bus {
            return Ok(port);
        }
        if let Some(bus) = port.checked_add(10_000) {
            if TcpListener::bind(("127.0.0.1", bus)).is_ok() && port < 55_000 {
                return Ok(port);
            }
        }
    }
    Err(io::Error::other("no spare loopback port"))
}
