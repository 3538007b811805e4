//! One live connection: commands are appended to a shared buffer, one IO task writes
//! whatever has queued up in a single write and hands the replies back in order.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use redis::{RedisError, RedisResult, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

use super::reply;

/// A handle on one connection; cloning shares it. When the last handle is dropped (the
/// store is gone, or a connect was given up half-way), the connection is closed.
#[derive(Clone)]
pub(super) struct Link {
    owner: Arc<Owner>,
}

/// What the handles share; the IO task holds only the `Shared` inside, so it cannot keep
/// the connection open once no handle is left.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.close(dropped());
    }
}

struct Shared {
    /// Set once the connection is unusable; a request then reconnects.
    closed: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Commands not yet handed to the IO task.
    out: Vec<u8>,
    /// Who gets the next replies, in the order the commands were queued.
    waiting: VecDeque<Waiter>,
    io_task: Option<Waker>,
}

struct Waiter {
    /// Replies to drop first (a transaction's `QUEUED`s).
    skip: usize,
    want: usize,
    got: Vec<Value>,
    reply: oneshot::Sender<RedisResult<Value>>,
}

impl Waiter {
    /// Takes one reply; gives the waiter back until it has all it wants.
    fn take(mut self, value: Value) -> Option<Self> {
        if self.skip > 0 {
            self.skip -= 1;
            if self.skip > 0 || self.want > 0 {
                return Some(self);
            }
            self.answer(Value::Array(Vec::new()));
        } else if self.want == 1 {
            self.answer(value);
        } else {
            self.got.push(value);
            if self.got.len() < self.want {
                return Some(self);
            }
            let got = std::mem::take(&mut self.got);
            self.answer(Value::Array(got));
        }
        None
    }

    fn answer(self, value: Value) {
        // A dropped receiver only means its request gave up (timed out).
        let _ = self.reply.send(Ok(value));
    }
}

impl Link {
    /// Starts the IO task for `stream` on the current tokio runtime.
    pub(super) fn spawn<S>(stream: S) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let shared = Arc::new(Shared {
            closed: AtomicBool::new(false),
            state: Mutex::default(),
        });
        tokio::spawn(Driver {
            shared: shared.clone(),
            stream,
            writing: Vec::new(),
            written: 0,
            read: vec![0; READ_CHUNK],
            filled: 0,
        });
        Self {
            owner: Arc::new(Owner(shared)),
        }
    }

    pub(super) fn is_open(&self) -> bool {
        !self.owner.0.closed.load(Ordering::Acquire)
    }

    /// Queues the command(s) `write` appends and waits for their replies: `skip` replies
    /// are dropped, then one reply is the answer, or `want` replies as an array (empty when
    /// no reply is expected at all).
    pub(super) async fn request(
        &self,
        write: impl FnOnce(&mut Vec<u8>),
        skip: usize,
        want: usize,
    ) -> RedisResult<Value> {
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.owner.0.lock();
            if !self.is_open() {
                return Err(dropped());
            }
            // Only the first command of a batch wakes the IO task: it takes them all.
            let first = state.out.is_empty();
            write(&mut state.out);
            if skip + want > 0 {
                state.waiting.push_back(Waiter {
                    skip,
                    want,
                    got: Vec::new(),
                    reply: tx,
                });
            } else {
                let _ = tx.send(Ok(Value::Array(Vec::new())));
            }
            if let Some(task) = state.io_task.as_ref().filter(|_| first) {
                task.wake_by_ref();
            }
        }
        // The IO task fails every waiter before it ends, so a dropped sender means the
        // runtime it lived on is gone.
        rx.await.unwrap_or_else(|_| Err(dropped()))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        crate::lock::lock(&self.state)
    }

    /// Marks the connection unusable and fails everyone still waiting with `err`.
    fn close(&self, err: RedisError) {
        self.closed.store(true, Ordering::Release);
        let (waiting, task) = {
            let mut state = self.lock();
            state.out.clear();
            (std::mem::take(&mut state.waiting), state.io_task.take())
        };
        for waiter in waiting {
            let _ = waiter.reply.send(Err(err.clone()));
        }
        if let Some(task) = task {
            task.wake();
        }
    }
}

fn dropped() -> RedisError {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the Redis connection was closed",
    )
    .into()
}

const READ_CHUNK: usize = 16 * 1024;

/// The IO task. Dropping it (its runtime shut down) closes the connection.
struct Driver<S> {
    shared: Arc<Shared>,
    stream: S,
    /// Bytes taken from `State::out`, written up to `written`.
    writing: Vec<u8>,
    written: usize,
    /// Received bytes, the first `filled` of them not yet parsed into a reply. Kept
    /// initialised and reused, so reading never zeroes memory (and needs no `unsafe`).
    read: Vec<u8>,
    filled: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// Registers the task to be woken by the next request and, once the last batch is
    /// written, takes the commands queued since.
    fn take_queued(&mut self, cx: &Context<'_>) {
        let mut state = self.shared.lock();
        if !state
            .io_task
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            state.io_task = Some(cx.waker().clone());
        }
        if self.written == self.writing.len() {
            self.writing.clear();
            self.written = 0;
            std::mem::swap(&mut state.out, &mut self.writing);
        }
    }

    /// Writes the batch taken; `Ok(true)` when something was written.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut progressed = false;
        while self.written < self.writing.len() {
            match Pin::new(&mut self.stream).poll_write(cx, &self.writing[self.written..]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.written += n;
                    progressed = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        Ok(progressed)
    }

    /// Reads what has arrived and answers the waiters; `Ok(true)` when something was read.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> RedisResult<bool> {
        let mut progressed = false;
        loop {
            if self.filled == self.read.len() {
                // A reply larger than the buffer: grow it until the reply fits.
                self.read.resize(self.read.len() * 2, 0);
            }
            let mut buf = ReadBuf::new(&mut self.read[self.filled..]);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                    return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into())
                }
                Poll::Ready(Ok(())) => {
                    self.filled += buf.filled().len();
                    progressed = true;
                    self.answer()?;
                }
                Poll::Ready(Err(e)) => return Err(e.into()),
                Poll::Pending => return Ok(progressed),
            }
        }
    }

    /// Hands every complete reply received to the waiter first in line.
    fn answer(&mut self) -> RedisResult<()> {
        let mut at = 0;
        let mut state = self.shared.lock();
        let received = &self.read[..self.filled];
        while let Some(len) = reply::complete_len(&received[at..])? {
            let value = reply::decode(&received[at..at + len])?;
            at += len;
            let waiter = state.waiting.pop_front().ok_or_else(|| {
                RedisError::from((
                    redis::ErrorKind::Parse,
                    "unexpected reply from Redis",
                    "a reply nobody asked for".to_owned(),
                ))
            })?;
            if let Some(waiter) = waiter.take(value) {
                state.waiting.push_front(waiter);
            }
        }
        drop(state);
        self.read.copy_within(at..self.filled, 0);
        self.filled -= at;
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Driver<S> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if this.shared.closed.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            this.take_queued(cx);
            let progressed = this
                .poll_write(cx)
                .map_err(RedisError::from)
                .and_then(|wrote| Ok(this.poll_read(cx)? | wrote));
            match progressed {
                Ok(true) => continue,
                Ok(false) => return Poll::Pending,
                Err(e) => {
                    this.shared.close(e);
                    return Poll::Ready(());
                }
            }
        }
    }
}

impl<S> Drop for Driver<S> {
    fn drop(&mut self) {
        if !self.shared.closed.load(Ordering::Acquire) {
            self.shared.close(dropped());
        }
    }
}
