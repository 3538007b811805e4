//! Requests of one session take turns on this instance (see [`crate::SessionTurns`]): from
//! loading the session to finishing it, so that their compare-and-set saves never race
//! each other and conflicts come only from other instances.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::lock::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::id::SessionId;

/// The sessions some request on this instance holds or waits for, each with its queue.
/// An entry lives while a request holds or awaits its turn, so the map holds only busy
/// sessions. Keyed by a keyed hash of the id (no copy of it to allocate): two sessions whose
/// 64-bit hashes meet would only share a queue.
#[derive(Default)]
pub(crate) struct Turns {
    hasher: RandomState,
    queues: Mutex<HashMap<u64, Arc<AsyncMutex<()>>>>,
}

impl Turns {
    fn queues(&self) -> MutexGuard<'_, HashMap<u64, Arc<AsyncMutex<()>>>> {
        // The map holds no invariant a panic could break halfway.
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until no other request of `id` on this instance holds its turn. Another
    /// session's requests never wait here: each session has its own queue.
    pub(crate) async fn take(self: &Arc<Self>, id: &SessionId) -> Turn {
        let key = self.hasher.hash_one(id.as_str());
        let queue = Arc::clone(self.queues().entry(key).or_default());
        let guard = queue.lock_owned().await;
        Turn {
            guard: Some(guard),
            key,
            turns: Arc::clone(self),
        }
    }
}

/// A request's turn at its session, given up when dropped (when `finish` has applied its
/// store call, or with the session's handle).
pub(crate) struct Turn {
    guard: Option<OwnedMutexGuard<()>>,
    key: u64,
    turns: Arc<Turns>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut queues = self.turns.queues();
        drop(self.guard.take());
        // The map's reference is the last one: nobody holds or waits for this session.
        if queues
            .get(&self.key)
            .is_some_and(|queue| Arc::strong_count(queue) == 1)
        {
            queues.remove(&self.key);
        }
    }
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Turn")
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn one_session_waits_for_its_turn_and_others_do_not() {
        let turns = Arc::new(Turns::default());
        let (a, b) = (
            SessionId::generate().unwrap(),
            SessionId::generate().unwrap(),
        );
        let first = turns.take(&a).now_or_never().expect("a free session");
        let mut second = Box::pin(turns.take(&a));
        assert!(
            (&mut second).now_or_never().is_none(),
            "a's second request waits"
        );
        let other = turns.take(&b).now_or_never();
        assert!(other.is_some(), "b never waits on a");
        drop(other);
        drop(first);
        let second = second.now_or_never().expect("its turn came");
        drop(second);
        assert!(turns.queues().is_empty(), "no session is busy any more");
    }
}
