//! A `redis-server` that keeps what it acknowledged across a `SIGKILL` (append-only file,
//! fsynced before every reply), and a raw RESP client to read the store directly.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use session_tests::store_suite::Outage;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// An own `redis-server` on a spare loopback port. [`Outage::stop`] kills it with `SIGKILL`,
/// [`Outage::stall`] and [`Outage::resume`] send `SIGSTOP` and `SIGCONT`, [`Outage::start`]
/// starts it again on the same port and directory, reloading its append-only file.
pub struct DurableRedis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl DurableRedis {
    pub async fn start() -> io::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = std::env::temp_dir().join(format!(
            "session-faults-redis-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.spawn().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    async fn spawn(&mut self) -> io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..200 {
            if let Ok(Resp::Simple(pong)) = command(self.addr(), &[b"PING"]).await {
                if pong == "PONG" {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(io::Error::other(format!(
            "redis-server on port {} did not answer PING",
            self.port
        )))
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status();
            assert!(status.is_ok_and(|s| s.success()), "kill -{signal} failed");
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` is SIGKILL: no shutdown, no final fsync.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Outage for DurableRedis {
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

impl Drop for DurableRedis {
    fn drop(&mut self) {
        // A stopped process cannot act on SIGKILL's cleanup until it runs again.
        self.signal("CONT");
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A RESP reply.
#[derive(Debug, PartialEq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Resp>),
}

/// Sends one command on a fresh connection and reads its reply.
pub async fn command(addr: SocketAddr, args: &[&[u8]]) -> io::Result<Resp> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    stream.write_all(&out).await?;
    let mut reader = BufReader::new(stream);
    tokio::time::timeout(Duration::from_secs(5), read(&mut reader))
        .await
        .map_err(io::Error::other)?
}

fn read(
    reader: &mut BufReader<TcpStream>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<Resp>> + Send + '_>> {
    Box::pin(async move {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end_matches("\r\n");
        let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("bad RESP: {line:?}"));
        let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
        Ok(match kind {
            "+" => Resp::Simple(rest.to_owned()),
            "-" => Resp::Error(rest.to_owned()),
            ":" => Resp::Integer(rest.parse().map_err(|_| bad())?),
            "$" => {
                let len: i64 = rest.parse().map_err(|_| bad())?;
                if len < 0 {
                    Resp::Bulk(None)
                } else {
                    let mut value = vec![0; len as usize + 2];
                    reader.read_exact(&mut value).await?;
                    value.truncate(len as usize);
                    Resp::Bulk(Some(value))
                }
            }
            "*" => {
                let len: i64 = rest.parse().map_err(|_| bad())?;
                let mut items = Vec::new();
                for _ in 0..len.max(0) {
                    items.push(read(reader).await?);
                }
                Resp::Array(items)
            }
            _ => return Err(bad()),
        })
    })
}
