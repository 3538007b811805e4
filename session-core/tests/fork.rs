//! A forked child must not hand out the ids the parent is about to: ids are read from the
//! OS per id, so nothing the child inherits decides them.
//!
//! Keep this file to one test: the fork happens while libtest's main thread waits for this
//! test's thread, and only because that thread is idle (and glibc's allocator resets its
//! locks in the child) may the child allocate.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use session_core::SessionId;

#[test]
fn a_forked_child_never_repeats_the_parents_next_id() {
    // Generated once before the fork, as a server that forks workers would have.
    SessionId::generate().expect("the OS has a CSPRNG");
    let (mut parent_end, mut child_end) = UnixStream::pair().expect("a socket pair");
    parent_end
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    // SAFETY: see the module comment; the child never returns into the test harness.
    match unsafe { libc::fork() } {
        -1 => panic!("fork failed: {}", std::io::Error::last_os_error()),
        0 => {
            let sent = std::panic::catch_unwind(move || {
                let id = SessionId::generate().expect("the OS has a CSPRNG");
                child_end.write_all(id.as_str().as_bytes()).is_ok()
            });
            // SAFETY: ends the child at once, skipping the copied harness's exit handlers.
            unsafe { libc::_exit(if matches!(sent, Ok(true)) { 0 } else { 1 }) }
        }
        child => {
            // The child's copy is the only writer left: its exit ends the read.
            drop(child_end);
            let mut from_child = String::new();
            let read = parent_end.read_to_string(&mut from_child);
            let mut status = 0;
            // SAFETY: waits for the child forked above, which exits at once.
            let waited = unsafe { libc::waitpid(child, &mut status, 0) };
            read.expect("the child's id within 10 s");
            assert_eq!(waited, child, "waitpid failed");
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "the child failed (status {status})"
            );
            let ours = SessionId::generate().expect("the OS has a CSPRNG");
            assert_eq!(from_child.len(), 32, "the child sent a whole id");
            assert_ne!(
                from_child,
                ours.as_str(),
                "parent and child handed out one id"
            );
        }
    }
}
