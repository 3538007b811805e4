//! What an adapter provides to be tested: a way to start its server.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use session_core::{Clock, SessionManager};

/// An adapter under test. Implement it by starting a real server of your framework on
/// `127.0.0.1:0`, with your adapter wired to `manager` and `clock`, serving the routes of
/// [`crate::http_suite`] (hand them to [`crate::http_suite::respond`]).
///
/// ```
/// use std::sync::Arc;
/// use futures_util::future::BoxFuture;
/// use session_core::{Clock, SessionManager};
/// use session_tests::http_suite::{AdapterHarness, ServerHandle};
///
/// struct MyFramework;
/// impl AdapterHarness for MyFramework {
///     fn name(&self) -> &'static str {
///         "my-framework"
///     }
///     fn spawn(
///         &self,
///         manager: SessionManager,
///         clock: Arc<dyn Clock>,
///     ) -> BoxFuture<'static, Result<ServerHandle, String>> {
///         Box::pin(async move {
///             // Bind 127.0.0.1:0, start the server with the adapter and the suite's routes,
///             // then report the bound address and how to stop it.
///             # let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
///             # drop((manager, clock));
///             Ok(ServerHandle::new(addr, || { /* stop the server */ }))
///         })
///     }
/// }
/// ```
pub trait AdapterHarness: Send + Sync {
    /// Named in every failure message.
    fn name(&self) -> &'static str;

    /// Starts a server. Every scenario starts its own, with a fresh store and clock.
    fn spawn(
        &self,
        manager: SessionManager,
        clock: Arc<dyn Clock>,
    ) -> BoxFuture<'static, Result<ServerHandle, String>>;
}

/// A running test server: its address, and what stops it (run on drop).
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use session_tests::http_suite::ServerHandle;
/// let stopped = Arc::new(AtomicBool::new(false));
/// let flag = stopped.clone();
/// let handle = ServerHandle::new("127.0.0.1:8080".parse().unwrap(), move || flag.store(true, Ordering::SeqCst));
/// assert_eq!(handle.addr().port(), 8080);
/// drop(handle);
/// assert!(stopped.load(Ordering::SeqCst));
/// ```
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl ServerHandle {
    /// A server listening on `addr`, stopped by `stop`.
    pub fn new(addr: SocketAddr, stop: impl FnOnce() + Send + 'static) -> Self {
        Self {
            addr,
            stop: Some(Box::new(stop)),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
