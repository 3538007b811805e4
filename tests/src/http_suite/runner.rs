//! Runs every scenario on every adapter and compares their `Set-Cookie` transcripts.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use session_core::{Clock, ConfigBuilder, SessionManager};
use session_stores::MemoryStore;

use super::context::{base_config, Ctx};
use super::harness::AdapterHarness;
use crate::support::{Instrumented, TestClock};

/// How long one scenario may take on one adapter.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(30);

/// One HTTP scenario, written once for every adapter.
pub struct Scenario {
    /// Named in every failure message.
    pub name: &'static str,
    /// The configuration, on top of [`base_config`].
    pub config: fn(ConfigBuilder) -> ConfigBuilder,
    /// The exchanges and checks; `Err` says what went wrong.
    pub run: fn(Ctx) -> BoxFuture<'static, Result<(), String>>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A scenario that failed on an adapter (or whose `Set-Cookie` headers differ from the
/// first adapter's).
#[derive(Debug, Clone)]
pub struct Failure {
    /// The adapter's [`AdapterHarness::name`].
    pub adapter: &'static str,
    /// The scenario's name.
    pub scenario: &'static str,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] scenario `{}`: {}",
            self.adapter, self.scenario, self.message
        )
    }
}

/// What [`run`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// How many scenarios ran.
    pub scenarios: usize,
    /// Per adapter, in the order given: how many scenarios passed (and matched the others).
    pub passed: Vec<(&'static str, usize)>,
    /// Every failure.
    pub failures: Vec<Failure>,
}

impl Report {
    /// One line per adapter: `name: passed/total`.
    pub fn summary(&self) -> String {
        self.passed
            .iter()
            .map(|(name, n)| format!("{name}: {n}/{} scenarios passed", self.scenarios))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Panics listing every failure, if there is any.
    pub fn assert_passed(&self) {
        if !self.failures.is_empty() {
            let list: Vec<String> = self.failures.iter().map(|f| f.to_string()).collect();
            panic!(
                "{}\n{} failure(s):\n{}",
                self.summary(),
                list.len(),
                list.join("\n")
            );
        }
    }
}

/// Runs `scenarios` against every adapter, each scenario on a fresh server with a fresh store
/// and a [`TestClock`], then compares each adapter's normalised `Set-Cookie` transcript with
/// the first adapter's that passed.
pub async fn run(harnesses: &[&dyn AdapterHarness], scenarios: &[Scenario]) -> Report {
    let mut report = Report {
        scenarios: scenarios.len(),
        passed: harnesses.iter().map(|h| (h.name(), 0)).collect(),
        failures: Vec::new(),
    };
    for scenario in scenarios {
        let mut reference: Option<(&'static str, Vec<String>)> = None;
        for (index, harness) in harnesses.iter().enumerate() {
            let result = match run_one(*harness, scenario).await {
                Ok(transcript) => match &reference {
                    None => {
                        reference = Some((harness.name(), transcript));
                        Ok(())
                    }
                    Some((name, expected)) => compare(name, expected, &transcript),
                },
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => report.passed[index].1 += 1,
                Err(message) => report.failures.push(Failure {
                    adapter: harness.name(),
                    scenario: scenario.name,
                    message,
                }),
            }
        }
    }
    report
}

/// Runs one scenario on one adapter and returns its transcript.
pub async fn run_one(
    harness: &dyn AdapterHarness,
    scenario: &Scenario,
) -> Result<Vec<String>, String> {
    let config = (scenario.config)(base_config())
        .build()
        .map_err(|e| format!("bad scenario configuration: {e}"))?;
    let store = Instrumented::new(MemoryStore::new());
    let manager = SessionManager::new(config, store.clone());
    let clock = TestClock::new();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let server = harness
        .spawn(manager.clone(), shared)
        .await
        .map_err(|e| format!("server did not start: {e}"))?;
    let cx = Ctx::new(format!("http://{}", server.addr()), manager, store, clock)?;
    let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, (scenario.run)(cx.clone())).await;
    drop(server);
    match outcome {
        Ok(Ok(())) => Ok(cx.transcript()),
        Ok(Err(e)) => Err(format!(
            "{e}\n    transcript:\n      {}",
            cx.transcript().join("\n      ")
        )),
        Err(_) => Err(format!("timed out after {SCENARIO_TIMEOUT:?}")),
    }
}

fn compare(reference: &str, expected: &[String], got: &[String]) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let mut message = format!("Set-Cookie headers differ from {reference}'s:");
    for i in 0..expected.len().max(got.len()) {
        let (e, g) = (expected.get(i), got.get(i));
        if e != g {
            message.push_str(&format!(
                "\n    exchange {i}:\n      {reference}: {}\n      this:  {}",
                e.map_or("(none)", String::as_str),
                g.map_or("(none)", String::as_str)
            ));
        }
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn identical_transcripts_match() {
        let lines = vec!["GET /get/a -> 200 | ".to_owned()];
        assert!(compare("axum", &lines, &lines).is_ok());
    }

    #[test]
    fn a_difference_names_the_reference_and_the_exchange() {
        let expected = vec!["POST /set/a -> 200 | id=<value#0>; Path=/".to_owned()];
        let got = vec![
            "POST /set/a -> 200 | id=<value#0>; Path=/; Secure".to_owned(),
            "GET /get/a -> 200 | ".to_owned(),
        ];
        let message = compare("axum", &expected, &got).unwrap_err();
        assert!(message.contains("differ from axum's"), "{message}");
        assert!(
            message.contains("exchange 0") && message.contains("; Secure"),
            "{message}"
        );
        assert!(
            message.contains("exchange 1") && message.contains("(none)"),
            "{message}"
        );
    }
}
