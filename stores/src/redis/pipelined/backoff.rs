//! Waiting between connect attempts to a server that is down.
//!
//! While Redis is down, requests fail at once instead of each trying again (and, against a
//! host that drops packets, each waiting out its timeout in turn behind the one connect in
//! progress). One `Backoff` serves every connection to the same node, including those of
//! `RedisStore::with_own_connection`, since it is the server that is unreachable.

use std::sync::Mutex;
use std::time::Duration;

use redis::{RedisError, RedisResult};
use tokio::time::Instant;

use crate::lock::lock;

/// The wait after the first failed connect, doubled after each further one.
const FIRST_WAIT: Duration = Duration::from_millis(25);
/// The longest wait, so a server that is back is found within it.
const LONGEST_WAIT: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(crate) struct Backoff {
    failed: Mutex<Option<Failed>>,
}

struct Failed {
    next_try: Instant,
    wait: Duration,
    /// Why the last attempt failed, for the errors of the requests turned away meanwhile.
    cause: String,
}

impl Backoff {
    /// An "unavailable" error (an IO error to redis-rs) while the wait lasts.
    pub(crate) fn check(&self) -> RedisResult<()> {
        match lock(&self.failed).as_ref() {
            Some(f) if Instant::now() < f.next_try => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                format!(
                    "Redis is unreachable ({}); the next connect is tried within {:?}",
                    f.cause, f.wait
                ),
            ))),
            _ => Ok(()),
        }
    }

    /// Starts an attempt; see [`Attempt`].
    pub(crate) fn attempt(&self) -> Attempt<'_> {
        Attempt {
            backoff: self,
            outcome: None,
        }
    }
}

/// A connect in progress. Dropped after [`Attempt::succeeded`] it ends the wait; otherwise
/// (an error, or the request's deadline cancelling it half-way) it starts or doubles it.
pub(crate) struct Attempt<'a> {
    backoff: &'a Backoff,
    outcome: Option<Result<(), String>>,
}

impl Attempt<'_> {
    pub(crate) fn succeeded(mut self) {
        self.outcome = Some(Ok(()));
    }

    /// A connect that failed. Only a server that could not be reached starts or doubles the
    /// wait: one that answered (a refused password, a database it does not have) is up, and
    /// its requests should get that error, not "unreachable".
    pub(crate) fn failed(mut self, err: &RedisError) {
        let unreachable = err.is_io_error()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
            || err.is_timeout();
        self.outcome = Some(if unreachable {
            Err(err.to_string())
        } else {
            Ok(())
        });
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut failed = lock(&self.backoff.failed);
        let cause = match self.outcome.take() {
            Some(Ok(())) => {
                *failed = None;
                return;
            }
            Some(Err(cause)) => cause,
            None => "the connect was given up at the store's timeout".to_owned(),
        };
        let wait = failed
            .as_ref()
            .map_or(FIRST_WAIT, |last| (last.wait * 2).min(LONGEST_WAIT));
        *failed = Some(Failed {
            next_try: Instant::now() + wait,
            wait,
            cause,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_after(backoff: &Backoff) -> Option<Duration> {
        lock(&backoff.failed).as_ref().map(|f| f.wait)
    }

    #[tokio::test(start_paused = true)]
    async fn failures_double_the_wait_up_to_the_longest_and_a_success_ends_it() {
        let backoff = Backoff::default();
        assert!(backoff.check().is_ok());
        let mut expected = FIRST_WAIT;
        for _ in 0..8 {
            drop(backoff.attempt()); // given up half-way
            assert_eq!(wait_after(&backoff), Some(expected));
            let err = backoff.check().unwrap_err();
            assert!(err.is_io_error(), "{err}");
            tokio::time::advance(expected).await;
            assert!(backoff.check().is_ok(), "tried again once the wait is over");
            expected = (expected * 2).min(LONGEST_WAIT);
        }
        assert_eq!(wait_after(&backoff), Some(LONGEST_WAIT));
        backoff.attempt().succeeded();
        assert_eq!(wait_after(&backoff), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_cause_is_in_the_errors_meanwhile() {
        let backoff = Backoff::default();
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        backoff.attempt().failed(&refused);
        let err = backoff.check().unwrap_err().to_string();
        assert!(err.contains(&refused.to_string()), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_answers_is_not_waited_for() {
        let backoff = Backoff::default();
        drop(backoff.attempt());
        let refused_password = RedisError::from((
            redis::ErrorKind::AuthenticationFailed,
            "WRONGPASS invalid username-password pair",
        ));
        backoff.attempt().failed(&refused_password);
        assert_eq!(wait_after(&backoff), None);
        assert!(backoff.check().is_ok());
    }
}
