//! Captures every `tracing` event of the process, so a test can check that the adapters
//! logged why they answered 503. The faults tests run one at a time (see `serial`), so what
//! is captured during a test is that test's.

use std::io::Write;
use std::sync::{Mutex, MutexGuard, OnceLock};

static LINES: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn buffer() -> MutexGuard<'static, Vec<u8>> {
    // A test that failed while appending leaves whole lines; keep reading them.
    LINES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        buffer().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber (once per process) and forgets what it captured so far.
pub fn start() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(|| Capture)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    buffer().clear();
}

/// The lines captured since [`start`].
pub fn lines() -> Vec<String> {
    String::from_utf8_lossy(&buffer())
        .lines()
        .map(str::to_owned)
        .collect()
}
