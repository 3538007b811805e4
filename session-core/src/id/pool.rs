//! OS randomness read ahead for a few ids at a time.
//!
//! The system call that reads the OS CSPRNG cost ~0.5 µs per new session in the HTTP
//! benchmark's profile, more than signing the cookie. Reading for 16 ids at once pays it
//! once per 16. The bytes are still the OS CSPRNG's, used once each and wiped when taken;
//! a forked child (which inherits the buffer) notices the new process id and reads afresh,
//! so parent and child never hand out the same id.
use std::cell::RefCell;

use super::{RandomnessUnavailable, ID_BYTES};

const IDS: usize = 16;

struct Pool {
    bytes: [u8; ID_BYTES * IDS],
    next: usize,
    pid: u32,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; ID_BYTES * IDS], next: IDS, pid: 0 })
    };
}

pub(super) fn take() -> Result<[u8; ID_BYTES], RandomnessUnavailable> {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let pid = std::process::id();
        if pool.next == IDS || pool.pid != pid {
            getrandom::fill(&mut pool.bytes).map_err(|_| RandomnessUnavailable)?;
            pool.next = 0;
            pool.pid = pid;
        }
        let at = pool.next * ID_BYTES;
        let mut id = [0u8; ID_BYTES];
        let slot = &mut pool.bytes[at..at + ID_BYTES];
        id.copy_from_slice(slot);
        slot.fill(0);
        pool.next += 1;
        Ok(id)
    })
}
