//! The table of a run and the check of the benchmark's targets.

use std::fmt::Write as _;

use super::Results;
use crate::variant::{Framework, Layer, Scenario, Variant};
use crate::wrk::Measurement;

/// One line of the table: medians over the rounds.
#[derive(Debug, Clone)]
pub struct Row {
    /// The variant.
    pub variant: Variant,
    /// The scenario.
    pub scenario: Scenario,
    /// Median requests per second.
    pub rps: f64,
    /// Median p99 latency, ms.
    pub p99_ms: f64,
    /// Median over rounds of req/s divided by the bare server's in the same round.
    pub ratio: Option<f64>,
    /// Median over rounds of p99 divided by the bare server's p99 in the same round.
    pub p99_ratio: Option<f64>,
    /// Median server CPU time per request, microseconds.
    pub cpu_us: Option<f64>,
    /// Median over rounds of the bare server's CPU per request over this one's: the
    /// throughput ratio a CPU-bound server would have, undisturbed by other load.
    pub cpu_ratio: Option<f64>,
    /// Errors over all rounds.
    pub errors: u64,
    /// Each round's req/s.
    pub rounds: Vec<f64>,
}

pub(super) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn bare_of(framework: Framework, variants: &[Variant]) -> Option<&'static str> {
    variants
        .iter()
        .find(|v| v.framework == framework && v.layer == Layer::Bare)
        .map(|v| v.name)
}

/// The rows of `results`, in the order of `variants`.
pub fn rows(results: &Results, variants: &[Variant]) -> Vec<Row> {
    let mut rows = Vec::new();
    for variant in variants {
        let bare = bare_of(variant.framework, variants)
            .and_then(|name| results.get(&(name, Scenario::Bare)));
        for &scenario in variant.layer.scenarios() {
            let Some(ms) = results.get(&(variant.name, scenario)) else {
                continue;
            };
            let per_round = |f: fn(&Measurement, &Measurement) -> f64| {
                bare.map(|b| median(ms.iter().zip(b).map(|(m, b)| f(m, b)).collect()))
            };
            let cpu: Vec<f64> = ms.iter().filter_map(|m| m.cpu_us_per_req).collect();
            rows.push(Row {
                variant: *variant,
                scenario,
                rps: median(ms.iter().map(|m| m.rps).collect()),
                p99_ms: median(ms.iter().map(|m| m.p99_ms).collect()),
                ratio: per_round(|m, b| m.rps / b.rps),
                p99_ratio: per_round(|m, b| m.p99_ms / b.p99_ms),
                cpu_us: (!cpu.is_empty()).then(|| median(cpu)),
                cpu_ratio: per_round(|m, b| {
                    b.cpu_us_per_req.unwrap_or(f64::NAN) / m.cpu_us_per_req.unwrap_or(f64::NAN)
                })
                .filter(|r| r.is_finite()),
                errors: ms.iter().map(|m| m.errors).sum(),
                rounds: ms.iter().map(|m| m.rps).collect(),
            });
        }
    }
    rows
}

/// The markdown table of `results` followed by the targets, met or missed.
pub fn render(results: &Results, variants: &[Variant]) -> String {
    let rows = rows(results, variants);
    let mut out = String::from(
        "| variant | scenario | req/s | p99 ms | ratio to bare | p99 / bare p99 | server CPU us/req | CPU ratio | errors | req/s per round |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    for r in &rows {
        let rounds: Vec<String> = r.rounds.iter().map(|v| format!("{v:.0}")).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.2} | {} | {} | {} | {} | {} | {} |",
            r.variant.name,
            r.scenario.name(),
            r.rps,
            r.p99_ms,
            opt(r.ratio),
            opt(r.p99_ratio),
            opt(r.cpu_us),
            opt(r.cpu_ratio),
            r.errors,
            rounds.join(" / ")
        );
    }
    out.push_str("\nTargets:\n\n");
    for line in targets(&rows) {
        let _ = writeln!(out, "- {line}");
    }
    out
}

fn find(rows: &[Row], f: Framework, layer: Layer, s: Scenario) -> Option<&Row> {
    rows.iter()
        .find(|r| r.variant.framework == f && r.variant.layer == layer && r.scenario == s)
}

pub(super) fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// "req/s ratio X (CPU ratio Y)" and whether each meets `goal`.
fn both(row: &Row, goal: impl Fn(f64) -> bool) -> String {
    let cpu = row
        .cpu_ratio
        .map_or("-".to_owned(), |c| format!("{c:.3}, {}", verdict(goal(c))));
    let ratio = row.ratio.unwrap_or(f64::NAN);
    format!(
        "{ratio:.3}: {} (by CPU per request: {cpu})",
        verdict(goal(ratio))
    )
}

/// The target "every adapter within 10% of the same ratio", on [`spread`]. Judged figures
/// are printed to three places (spreads to one), so that a printed figure never reads as
/// the other side of its goal (to two places 0.896 would print as "0.90: MISSED").
pub(super) const SPREAD_GOAL: f64 = 0.10;

/// How far apart the adapters' ratios are, as a share of the highest.
pub(super) fn spread(ratios: impl IntoIterator<Item = f64>) -> f64 {
    let (low, high) = ratios
        .into_iter()
        .fold((f64::MAX, f64::MIN), |(low, high), r| {
            (low.min(r), high.max(r))
        });
    (high - low) / high
}

/// The target for our memory store in `s`, as a ratio to the bare server.
pub(super) fn memory_goal(s: Scenario) -> Option<f64> {
    match s {
        Scenario::Rw => Some(0.85),
        Scenario::Read => Some(0.90),
        Scenario::New => Some(0.80),
        Scenario::Untouched => Some(0.97),
        Scenario::Bare => None,
    }
}

/// The reference figures of the peers' Redis ratios (tower-sessions on axum, actix-session
/// on actix-web) that the Redis target is set on, fixed so that the target does not move
/// with the host; the peers measured in the same run are reported beside them.
pub(super) fn reference_peer_figure(f: Framework, s: Scenario) -> Option<f64> {
    match (f, s) {
        (Framework::Axum, Scenario::Rw) => Some(0.23),
        (Framework::Axum, Scenario::Read) => Some(0.38),
        (Framework::Actix, Scenario::Rw) => Some(0.26),
        (Framework::Actix, Scenario::Read) => Some(0.36),
        _ => None,
    }
}

/// The targets, each as one line: judged on req/s ratios, with the same judgement
/// on CPU per request beside it (which load from outside the run disturbs less).
fn targets(rows: &[Row]) -> Vec<String> {
    let mut lines = Vec::new();
    for f in Framework::ALL {
        for s in Scenario::WITH_SESSION {
            let goal = memory_goal(s).unwrap_or(f64::NAN);
            if let Some(row) = find(rows, f, Layer::OursMemory, s) {
                let mut extra = String::new();
                if s == Scenario::New {
                    let p = row.p99_ratio.unwrap_or(f64::NAN);
                    extra = format!("; p99 {p:.2}x bare (goal <= 2x): {}", verdict(p <= 2.0));
                }
                lines.push(format!(
                    "{} memory {} >= {goal}: {}{extra}",
                    f.name(),
                    s.name(),
                    both(row, |r| r >= goal)
                ));
            }
        }
        let peer = match f {
            Framework::Axum => Some(Layer::TowerSessionsRedis),
            Framework::Actix => Some(Layer::ActixSessionRedis),
            _ => None,
        };
        for s in [Scenario::Rw, Scenario::Read] {
            let ours = find(rows, f, Layer::OursRedis, s);
            if let (Some(o), Some(figure)) = (ours, reference_peer_figure(f, s)) {
                let goal = 1.5 * figure;
                lines.push(format!(
                    "{} Redis {} >= 1.5x the reference peer figure ({figure:.2}), so >= {goal:.3}: {}",
                    f.name(),
                    s.name(),
                    both(o, |r| r >= goal)
                ));
            }
            let theirs = peer.and_then(|p| find(rows, f, p, s));
            if let (Some(o), Some(t)) = (ours, theirs) {
                let by = |a: Option<f64>, b: Option<f64>| {
                    a.zip(b).map_or("-".to_owned(), |(a, b)| {
                        format!(
                            "{a:.2} vs {b:.2} = {:.2}x, {}",
                            a / b,
                            verdict(a >= 1.5 * b)
                        )
                    })
                };
                lines.push(format!(
                    "{} Redis {} >= 1.5x the peer measured in this run: {} (by CPU per request: {})",
                    f.name(),
                    s.name(),
                    by(o.ratio, t.ratio),
                    by(o.cpu_ratio, t.cpu_ratio)
                ));
            }
        }
    }
    for s in Scenario::WITH_SESSION {
        let found: Vec<&Row> = Framework::ALL
            .iter()
            .filter_map(|&f| find(rows, f, Layer::OursMemory, s))
            .collect();
        if found.len() < 2 {
            continue;
        }
        let spread = |get: fn(&Row) -> Option<f64>| {
            let values: Vec<(Framework, f64)> = found
                .iter()
                .filter_map(|r| get(r).map(|v| (r.variant.framework, v)))
                .collect();
            let spread = spread(values.iter().map(|x| x.1));
            let listed: Vec<String> = values
                .iter()
                .map(|(f, r)| format!("{} {r:.2}", f.name()))
                .collect();
            format!(
                "{} (spread {:.1}%, {})",
                listed.join(", "),
                spread * 100.0,
                verdict(spread <= SPREAD_GOAL)
            )
        };
        lines.push(format!(
            "adapters within 10% on memory {}: {}; by CPU per request: {}",
            s.name(),
            spread(|r| r.ratio),
            spread(|r| r.cpu_ratio)
        ));
    }
    lines
}
