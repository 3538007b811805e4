//! Paired runs: each variant's scenario and its framework's bare server measured in turn, in
//! short slices, so that every ratio is taken between two measurements seconds apart.
//!
//! The interleaved rounds of [`super::run`] take a variant's ratio to the bare server measured
//! up to two minutes earlier. On a VM whose speed drifts by 15-40% over minutes (seen on
//! every host this benchmark ran on) that drift is most of the spread of a ratio. Here the
//! two servers run side by side (only one under load at a time) and a pair is a slice of
//! each, in alternating order, so that a drift within a pair cancels as well; the median of
//! the pairs' ratios is the figure, and its middle half says how far to trust it.

use std::fmt::Write as _;

use super::table::{median, memory_goal, reference_peer_figure, spread, verdict, SPREAD_GOAL};
use super::{cookies_for, load, measured, AutogroupNice, CacheFigures, Redis, Server, Settings};
use crate::variant::{Framework, Layer, Scenario, Variant, VARIANTS};
use crate::BenchError;

/// How many pairs and how long a slice (`BENCH_PAIRS`, default 8; `BENCH_SLICE`, seconds,
/// default 2).
#[derive(Debug, Clone, Copy)]
pub struct Pairs {
    /// Pairs per scenario.
    pub count: usize,
    /// Seconds per slice.
    pub slice: u64,
}

impl Pairs {
    /// Reads `BENCH_PAIRS` and `BENCH_SLICE`.
    ///
    /// ```
    /// let pairs = session_bench::runner::Pairs::from_env().unwrap();
    /// assert!(pairs.count >= 1 && pairs.slice >= 1);
    /// ```
    pub fn from_env() -> Result<Self, BenchError> {
        let num = |name: &str, default: u64| match std::env::var(name) {
            Ok(v) => v
                .parse::<u64>()
                .map(|n| n.max(1))
                .map_err(|_| BenchError::Usage(format!("{name}={v} is not a number"))),
            Err(_) => Ok(default),
        };
        Ok(Self {
            count: usize::try_from(num("BENCH_PAIRS", 8)?).unwrap_or(8),
            slice: num("BENCH_SLICE", 2)?,
        })
    }
}

/// One variant's scenario against its bare server: a ratio per pair.
#[derive(Debug, Clone)]
pub struct PairedRow {
    /// The variant.
    pub variant: Variant,
    /// The scenario.
    pub scenario: Scenario,
    /// req/s over the bare server's, per pair.
    pub ratios: Vec<f64>,
    /// The bare server's CPU per request over the variant's, per pair.
    pub cpu_ratios: Vec<f64>,
    /// p99 over the bare server's p99, per pair.
    pub p99_ratios: Vec<f64>,
    /// Errors in the variant's slices.
    pub errors: u64,
}

impl PairedRow {
    /// The median ratio.
    ///
    /// ```
    /// use session_bench::runner::PairedRow;
    /// use session_bench::{Scenario, Variant};
    /// let row = PairedRow {
    ///     variant: Variant::named("ours-axum-memory").unwrap(),
    ///     scenario: Scenario::Read,
    ///     ratios: vec![0.8, 0.9, 1.0],
    ///     cpu_ratios: vec![],
    ///     p99_ratios: vec![],
    ///     errors: 0,
    /// };
    /// assert_eq!(row.ratio(), 0.9);
    /// ```
    pub fn ratio(&self) -> f64 {
        median(self.ratios.clone())
    }

    /// The median of the pairs' p99 over the bare server's p99.
    fn p99_ratio(&self) -> f64 {
        median(self.p99_ratios.clone())
    }

    /// The middle half of the ratios (first to third quartile).
    pub(super) fn middle_half(&self) -> (f64, f64) {
        let mut r = self.ratios.clone();
        r.sort_by(f64::total_cmp);
        let at = |q: f64| {
            r.get(((r.len().saturating_sub(1)) as f64 * q).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        (at(0.25), at(0.75))
    }
}

/// Runs every variant (of `BENCH_ONLY`, or all) paired with its framework's bare server.
/// A bare variant is the control: it is paired with a second bare server of its framework,
/// so its row is the ratio this measurement gives for two identical servers, which says how
/// far apart two readings can fall by the host's noise alone. Progress goes to stderr.
pub fn run_paired(settings: &Settings, pairs: Pairs) -> Result<Vec<PairedRow>, BenchError> {
    let variants = settings.variants()?;
    let _group = settings.nice.map(AutogroupNice::set);
    let redis = if variants.iter().any(|v| v.layer.uses_redis()) {
        Some(Redis::start(settings)?)
    } else {
        None
    };
    let url = redis.as_ref().map(Redis::url);
    let dir = std::env::temp_dir().join(format!("session-bench-paired-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    for variant in &variants {
        let bare_variant = VARIANTS
            .iter()
            .find(|b| b.framework == variant.framework && b.layer == Layer::Bare)
            .ok_or_else(|| BenchError::Usage(format!("{} has no bare server", variant.name)))?;
        for &scenario in variant.layer.scenarios() {
            // Fresh servers for each scenario, as each round of the main run has.
            let bare = Server::start(settings, bare_variant, None)?;
            let server = Server::start(settings, variant, url.as_deref())?;
            let bare_script = dir.join(format!("{}.lua", bare_variant.name));
            let script = dir.join(format!("{}.lua", variant.name));
            let bare_cookies = cookies_for(&bare, bare_variant, settings.sessions)?;
            std::fs::write(&bare_script, crate::wrk::rotation_script(&bare_cookies))?;
            let cookies = cookies_for(&server, variant, settings.sessions)?;
            std::fs::write(&script, crate::wrk::rotation_script(&cookies))?;
            let script = scenario.sends_cookies().then_some(script.as_path());
            let bare_script = Some(bare_script.as_path());

            load(
                settings,
                &bare,
                Scenario::Bare,
                bare_script,
                settings.warmup,
            )?;
            load(settings, &server, scenario, script, settings.warmup)?;
            let cache = CacheFigures::of(&server, variant);
            let mut row = PairedRow {
                variant: *variant,
                scenario,
                ratios: Vec::new(),
                cpu_ratios: Vec::new(),
                p99_ratios: Vec::new(),
                errors: 0,
            };
            for pair in 0..pairs.count {
                let slice = |s: &Server, sc: Scenario, script| {
                    measured(settings, s, sc, script, pairs.slice)
                };
                let (b, v) = if pair % 2 == 0 {
                    let b = slice(&bare, Scenario::Bare, bare_script)?;
                    (b, slice(&server, scenario, script)?)
                } else {
                    let v = slice(&server, scenario, script)?;
                    (slice(&bare, Scenario::Bare, bare_script)?, v)
                };
                row.ratios.push(v.rps / b.rps);
                row.p99_ratios.push(v.p99_ms / b.p99_ms);
                if let (Some(bc), Some(vc)) = (b.cpu_us_per_req, v.cpu_us_per_req) {
                    row.cpu_ratios.push(bc / vc);
                }
                row.errors += v.errors;
            }
            cache.print_since(&server, variant, scenario);
            let (low, high) = row.middle_half();
            eprintln!(
                "{:<22} {:<9} ratio {:.2} (middle half {low:.2}-{high:.2}, {} pairs)",
                variant.name,
                scenario.name(),
                row.ratio(),
                row.ratios.len()
            );
            rows.push(row);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

/// The table of paired ratios, then the targets judged on them.
pub fn render_paired(rows: &[PairedRow], pairs: Pairs) -> String {
    let mut out = format!(
        "Paired: {} pairs of {} s slices per scenario (bare and variant in turn)\n\n\
         | variant | scenario | ratio to bare (median of pairs) | middle half of the pairs | CPU ratio | p99 / bare p99 | errors |\n\
         |---|---|---:|---|---:|---:|---:|\n",
        pairs.count, pairs.slice
    );
    for r in rows {
        let (low, high) = r.middle_half();
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {low:.2}-{high:.2} | {:.2} | {:.2} | {} |",
            r.variant.name,
            r.scenario.name(),
            r.ratio(),
            median(r.cpu_ratios.clone()),
            r.p99_ratio(),
            r.errors
        );
    }
    let find = |f: Framework, layer: Layer, s: Scenario| {
        rows.iter()
            .find(|r| r.variant.framework == f && r.variant.layer == layer && r.scenario == s)
    };
    let controls: Vec<&PairedRow> = Framework::ALL
        .iter()
        .filter_map(|&f| find(f, Layer::Bare, Scenario::Bare))
        .collect();
    if !controls.is_empty() {
        out.push_str(
            "\nControls (a bare server paired with a second bare server, measured the same way):\n\n",
        );
        for r in controls {
            let (low, high) = r.middle_half();
            let _ = writeln!(
                out,
                "- {}: ratio {:.3} (middle half {low:.2}-{high:.2}), p99 {:.2}x",
                r.variant.framework.name(),
                r.ratio(),
                r.p99_ratio()
            );
        }
    }
    // Judged lines go here first, so that a run of controls alone prints no empty heading.
    let mut targets = String::new();
    for s in Scenario::WITH_SESSION {
        let goal = memory_goal(s).unwrap_or(f64::NAN);
        let mut each = Vec::new();
        for f in Framework::ALL {
            if let Some(r) = find(f, Layer::OursMemory, s) {
                let mut line = format!(
                    "{} memory {} >= {goal}: {:.3}: {}",
                    f.name(),
                    s.name(),
                    r.ratio(),
                    verdict(r.ratio() >= goal)
                );
                if s == Scenario::New {
                    let p = r.p99_ratio();
                    let _ = write!(line, "; p99 {p:.2}x bare (<= 2x): {}", verdict(p <= 2.0));
                }
                let _ = writeln!(targets, "- {line}");
                each.push(r.ratio());
            }
        }
        if each.len() > 1 {
            let spread = spread(each.iter().copied());
            let _ = writeln!(
                targets,
                "- adapters within 10% on memory {}: spread {:.1}%: {}",
                s.name(),
                spread * 100.0,
                verdict(spread <= SPREAD_GOAL)
            );
        }
    }
    for f in Framework::ALL {
        for s in [Scenario::Read, Scenario::Rw] {
            if let (Some(r), Some(figure)) =
                (find(f, Layer::OursRedis, s), reference_peer_figure(f, s))
            {
                let goal = 1.5 * figure;
                let _ = writeln!(
                    targets,
                    "- {} Redis {} >= 1.5x the reference peer figure ({figure:.2}), so >= {goal:.3}: {:.3}: {}",
                    f.name(),
                    s.name(),
                    r.ratio(),
                    verdict(r.ratio() >= goal)
                );
            }
        }
    }
    if !targets.is_empty() {
        out.push_str("\nTargets on the paired ratios:\n\n");
        out.push_str(&targets);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, scenario: Scenario, ratios: &[f64]) -> PairedRow {
        PairedRow {
            variant: Variant::named(name).expect("a known variant"),
            scenario,
            ratios: ratios.to_vec(),
            cpu_ratios: Vec::new(),
            p99_ratios: vec![1.0; ratios.len()],
            errors: 0,
        }
    }

    const PAIRS: Pairs = Pairs { count: 3, slice: 2 };

    #[test]
    fn controls_alone_print_their_noise_and_no_targets() {
        let rows = [
            row("bare-axum", Scenario::Bare, &[0.98, 1.02, 1.04]),
            row("bare-warp", Scenario::Bare, &[0.94, 0.95, 0.99]),
        ];
        let out = render_paired(&rows, PAIRS);
        assert!(
            out.contains("| bare-axum | bare | 1.02 | 1.02-1.04 |"),
            "{out}"
        );
        assert!(out.contains("- axum: ratio 1.020 (middle half 1.02-1.04), p99 1.00x"));
        assert!(out.contains("- warp: ratio 0.950 (middle half 0.95-0.99), p99 1.00x"));
        assert!(!out.contains("Targets"), "{out}");
    }

    #[test]
    fn targets_are_judged_beside_the_controls() {
        let rows = [
            row("bare-rocket", Scenario::Bare, &[1.0, 1.0, 1.0]),
            row("ours-rocket-memory", Scenario::Read, &[0.88, 0.91, 0.93]),
        ];
        let out = render_paired(&rows, PAIRS);
        let controls = out.find("Controls").expect("a controls section");
        let targets = out
            .find("Targets on the paired ratios")
            .expect("a targets section");
        assert!(controls < targets, "{out}");
        assert!(
            out.contains("- rocket memory read >= 0.9: 0.910: met"),
            "{out}"
        );
    }
}
