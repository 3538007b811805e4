//! OS randomness read ahead for a few ids at a time.
//!
//! The system call that reads the OS CSPRNG cost ~0.5 µs per new session in the HTTP
//! benchmark's profile, more than signing the cookie. Reading for 16 ids at once pays it
//! once per 16. The bytes are still the OS CSPRNG's, used once each and wiped when taken;
//! a forked child (which inherits the buffer) notices the fork and reads afresh, so parent
//! and child never hand out the same id.
//!
//! The fork is noticed through a `pthread_atfork` hook (the `forkguard` crate) rather than
//! by comparing process ids: `getpid` is a system call, ~160 ns per id on the benchmark
//! machine, half of what generating an id costs. Where the hook cannot be registered, the
//! process id is compared after all.
use std::cell::RefCell;

use super::{RandomnessUnavailable, ID_BYTES};

const IDS: usize = 16;

struct Pool {
    bytes: [u8; ID_BYTES * IDS],
    next: usize,
    /// Made before the first read, so that a fork at any later point is seen.
    fork: Option<ForkCheck>,
}

enum ForkCheck {
    Hook(forkguard::Guard),
    Pid(forkguard::pid::Guard),
}

impl ForkCheck {
    fn new() -> Self {
        match forkguard::Guard::try_new() {
            Ok(hook) => Self::Hook(hook),
            Err(_) => Self::Pid(forkguard::pid::Guard::default()),
        }
    }

    fn forked(&mut self) -> bool {
        match self {
            Self::Hook(guard) => guard.detected_fork(),
            Self::Pid(guard) => guard.detected_fork(),
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; ID_BYTES * IDS], next: IDS, fork: None })
    };
}

pub(super) fn take() -> Result<[u8; ID_BYTES], RandomnessUnavailable> {
    POOL.with(|pool| {
        let pool = &mut *pool.borrow_mut();
        let fork = pool.fork.get_or_insert_with(ForkCheck::new);
        if fork.forked() {
            // The parent holds the same bytes: drop them, even if the read below fails.
            pool.next = IDS;
        }
        if pool.next == IDS {
            getrandom::fill(&mut pool.bytes).map_err(|_| RandomnessUnavailable)?;
            pool.next = 0;
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
