//! A forked child inherits the parent's id read-ahead; it must not hand out the ids the
//! parent is about to.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use session_core::SessionId;

#[test]
fn a_forked_child_never_repeats_the_parents_next_id() {
    // Fill the read-ahead, so that both processes hold the same unused bytes after the fork.
    SessionId::generate().expect("the OS has a CSPRNG");
    let (mut parent_end, mut child_end) = UnixStream::pair().expect("a socket pair");
    // SAFETY: the child only generates an id, writes it and exits without unwinding.
    match unsafe { libc::fork() } {
        -1 => panic!("fork failed: {}", std::io::Error::last_os_error()),
        0 => {
            let id = SessionId::generate().map(|id| id.as_str().to_owned());
            let _ = child_end.write_all(id.unwrap_or_default().as_bytes());
            // SAFETY: ends the child at once, skipping the test harness's exit handlers.
            unsafe { libc::_exit(0) }
        }
        child => {
            drop(child_end);
            let mut from_child = String::new();
            parent_end
                .read_to_string(&mut from_child)
                .expect("the child's id");
            let mut status = 0;
            // SAFETY: waits for the child forked above.
            unsafe { libc::waitpid(child, &mut status, 0) };
            let ours = SessionId::generate().expect("the OS has a CSPRNG");
            assert_eq!(from_child.len(), 32, "the child generated an id");
            assert_ne!(
                from_child,
                ours.as_str(),
                "parent and child handed out one id"
            );
        }
    }
}
