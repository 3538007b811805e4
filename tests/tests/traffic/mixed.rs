//! The mixed workload: many clients, each owning many sessions, reading, writing,
//! regenerating and destroying them, and checking that every session only ever shows what
//! that client last wrote into it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::client::{apply, CookieChange, Http, Reply};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent clients.
    pub clients: usize,
    /// Sessions in all, shared out evenly between the clients.
    pub sessions: usize,
    /// How long the mixed phase runs (after every session has logged in).
    pub duration: Duration,
}

/// What happened, summed over every client.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub requests: u64,
    pub logins: u64,
    pub reads: u64,
    pub writes: u64,
    pub regenerates: u64,
    pub destroys: u64,
    /// Requests of the mixed phase only, for the rate.
    pub mixed_requests: u64,
    pub server_errors: u64,
    pub unexpected: u64,
    pub transport_errors: u64,
    /// A session showed data that was not its client's latest: crossed or lost.
    pub crossed: u64,
    pub max_latency: Duration,
    pub login_phase: Duration,
    pub mixed_phase: Duration,
    /// The first few problems, for the failure message.
    pub problems: Vec<String>,
}

impl Tally {
    fn note(&mut self, problem: String) {
        if self.problems.len() < 12 {
            self.problems.push(problem);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.logins += other.logins;
        self.reads += other.reads;
        self.writes += other.writes;
        self.regenerates += other.regenerates;
        self.destroys += other.destroys;
        self.mixed_requests += other.mixed_requests;
        self.server_errors += other.server_errors;
        self.unexpected += other.unexpected;
        self.transport_errors += other.transport_errors;
        self.crossed += other.crossed;
        self.max_latency = self.max_latency.max(other.max_latency);
        self.login_phase = self.login_phase.max(other.login_phase);
        self.mixed_phase = self.mixed_phase.max(other.mixed_phase);
        for problem in other.problems {
            self.note(problem);
        }
    }

    /// Requests per second in the mixed phase.
    pub fn rate(&self) -> f64 {
        self.mixed_requests as f64 / self.mixed_phase.as_secs_f64().max(1e-9)
    }

    /// One line of figures.
    pub fn summary(&self) -> String {
        format!(
            "{} requests ({} in the mixed phase over {:.1?}: {:.0} req/s); ops: {} logins, {} reads, \
             {} writes, {} regenerates, {} destroys; 5xx: {}, unexpected: {}, transport errors: {}, \
             crossed/lost: {}; max latency {:.1?}; login phase {:.1?}",
            self.requests,
            self.mixed_requests,
            self.mixed_phase,
            self.rate(),
            self.logins,
            self.reads,
            self.writes,
            self.regenerates,
            self.destroys,
            self.server_errors,
            self.unexpected,
            self.transport_errors,
            self.crossed,
            self.max_latency,
            self.login_phase,
        )
    }

    /// Panics naming `what` unless every request was answered as expected and no session
    /// showed another's data.
    pub fn assert_clean(&self, what: &str) {
        assert!(
            self.server_errors == 0
                && self.unexpected == 0
                && self.transport_errors == 0
                && self.crossed == 0,
            "{what}: {}\nfirst problems:\n{}",
            self.summary(),
            self.problems.join("\n")
        );
        assert!(self.reads > 0 && self.writes > 0 && self.regenerates > 0 && self.destroys > 0);
    }
}

/// Runs `plan` against the server behind `http`.
pub async fn run(http: &Http, plan: Plan) -> Tally {
    let barrier = Arc::new(Barrier::new(plan.clients));
    let mut tasks = JoinSet::new();
    for id in 0..plan.clients {
        let sessions =
            plan.sessions / plan.clients + usize::from(id < plan.sessions % plan.clients);
        let worker = Worker {
            http: http.clone(),
            id,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            slots: Vec::with_capacity(sessions),
            tally: Tally::default(),
        };
        tasks.spawn(worker.run(sessions, plan.duration, barrier.clone()));
    }
    let mut total = Tally::default();
    while let Some(tally) = tasks.join_next().await {
        total.merge(tally.expect("a load client panicked"));
    }
    total
}

struct Slot {
    cookie: Option<String>,
    marker: String,
    n: u64,
    generation: u32,
}

struct Worker {
    http: Http,
    id: usize,
    rng: u64,
    slots: Vec<Slot>,
    tally: Tally,
}

impl Worker {
    async fn run(mut self, sessions: usize, duration: Duration, barrier: Arc<Barrier>) -> Tally {
        let started = super::instant();
        for i in 0..sessions {
            self.slots.push(Slot {
                cookie: None,
                marker: String::new(),
                n: 0,
                generation: 0,
            });
            self.login(i).await;
        }
        self.tally.login_phase = started.elapsed();
        // Every client starts mixing at once, with every session in place.
        barrier.wait().await;
        let started = super::instant();
        let before = self.tally.requests;
        while started.elapsed() < duration {
            let slot = (self.next() % self.slots.len() as u64) as usize;
            match self.next() % 100 {
                0..60 => self.read(slot).await,
                60..85 => self.write(slot).await,
                85..95 => self.regenerate(slot).await,
                _ => self.destroy(slot).await,
            }
        }
        self.tally.mixed_phase = started.elapsed();
        self.tally.mixed_requests = self.tally.requests - before;
        self.tally
    }

    /// xorshift64*: a reproducible mix per client without a dependency.
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Sends a request and counts it; `None` when it failed (counted and noted).
    async fn call(
        &mut self,
        post: bool,
        path: &str,
        cookie: Option<String>,
        body: Option<Value>,
    ) -> Option<Reply> {
        self.tally.requests += 1;
        let body = body.map(|b| b.to_string());
        let result = if post {
            self.http.post(path, cookie.as_deref(), body).await
        } else {
            self.http.get(path, cookie.as_deref()).await
        };
        match result {
            Err(err) => {
                self.tally.transport_errors += 1;
                self.tally
                    .note(format!("client {}: {path}: transport error {err}", self.id));
                None
            }
            Ok(reply) => {
                self.tally.max_latency = self.tally.max_latency.max(reply.took);
                if reply.status >= 500 {
                    self.tally.server_errors += 1;
                    self.tally.note(format!(
                        "client {}: {path}: {} {}",
                        self.id, reply.status, reply.body
                    ));
                    return None;
                }
                if reply.status != 200 {
                    self.unexpected(format!("{path}: {} {}", reply.status, reply.body));
                    return None;
                }
                Some(reply)
            }
        }
    }

    fn unexpected(&mut self, what: String) {
        self.tally.unexpected += 1;
        self.tally.note(format!("client {}: {what}", self.id));
    }

    fn expected(&self, slot: usize) -> Value {
        json!({"o": self.slots[slot].marker, "n": self.slots[slot].n})
    }

    /// A new session for `slot`, holding a marker no other session ever holds.
    async fn login(&mut self, slot: usize) {
        self.tally.logins += 1;
        let s = &mut self.slots[slot];
        s.generation += 1;
        s.marker = format!("client{}-slot{slot}-gen{}", self.id, s.generation);
        s.n = 0;
        s.cookie = None;
        let value = self.expected(slot);
        let Some(reply) = self.call(true, "/set/m", None, Some(value)).await else {
            return;
        };
        match &reply.cookie {
            Some(CookieChange::Set(_)) => apply(&mut self.slots[slot].cookie, &reply),
            other => self.unexpected(format!("login gave no cookie: {other:?}")),
        }
    }

    /// Logs in again after a failure left the slot's state unknown.
    async fn resync(&mut self, slot: usize) {
        self.login(slot).await;
    }

    async fn read(&mut self, slot: usize) {
        self.tally.reads += 1;
        let cookie = self.slots[slot].cookie.clone();
        let Some(reply) = self.call(false, "/get/m", cookie, None).await else {
            return self.resync(slot).await;
        };
        let got: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
        let want = self.expected(slot);
        if got != want {
            self.tally.crossed += 1;
            self.tally.note(format!(
                "client {}: slot {slot}: read {got}, expected {want}",
                self.id
            ));
            return self.resync(slot).await;
        }
        apply(&mut self.slots[slot].cookie, &reply);
    }

    async fn write(&mut self, slot: usize) {
        self.tally.writes += 1;
        let cookie = self.slots[slot].cookie.clone();
        let value = json!({"o": self.slots[slot].marker, "n": self.slots[slot].n + 1});
        let Some(reply) = self.call(true, "/set/m", cookie, Some(value)).await else {
            return self.resync(slot).await;
        };
        self.slots[slot].n += 1;
        apply(&mut self.slots[slot].cookie, &reply);
    }

    async fn regenerate(&mut self, slot: usize) {
        self.tally.regenerates += 1;
        let old = self.slots[slot].cookie.clone();
        let Some(reply) = self.call(true, "/regenerate", old.clone(), None).await else {
            return self.resync(slot).await;
        };
        match &reply.cookie {
            Some(CookieChange::Set(new)) if Some(new) != old.as_ref() => {
                apply(&mut self.slots[slot].cookie, &reply);
            }
            other => {
                self.unexpected(format!("regenerate gave {other:?}"));
                return self.resync(slot).await;
            }
        }
        self.old_cookie_is_dead(slot, old, "regenerated").await;
    }

    async fn destroy(&mut self, slot: usize) {
        self.tally.destroys += 1;
        let old = self.slots[slot].cookie.clone();
        if let Some(reply) = self.call(true, "/destroy", old.clone(), None).await {
            if reply.cookie != Some(CookieChange::Cleared) {
                self.unexpected(format!("destroy gave {:?}", reply.cookie));
            }
            self.old_cookie_is_dead(slot, old, "destroyed").await;
        }
        self.login(slot).await;
    }

    /// The cookie a session had before it was regenerated or destroyed must load nothing.
    async fn old_cookie_is_dead(&mut self, slot: usize, old: Option<String>, how: &str) {
        let Some(reply) = self.call(false, "/get/m", old, None).await else {
            return;
        };
        if reply.body != "null" {
            self.tally.crossed += 1;
            self.tally.note(format!(
                "client {}: slot {slot}: the {how} session's old cookie still reads {}",
                self.id, reply.body
            ));
        }
    }
}
