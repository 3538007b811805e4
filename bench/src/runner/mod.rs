//! The comparison: every variant's scenarios under `wrk`, rounds interleaved, one table and
//! one chart.

mod chart;
mod paired;
mod process;
mod table;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use chart::{Bar, Chart};
pub use paired::{render_paired, run_paired, PairedRow, Pairs};
pub use process::{free_port, Redis, Server};
pub use table::{render, rows, Row};

use crate::variant::{Layer, Scenario, Variant, VARIANTS};
use crate::wrk::{self, Measurement};
use crate::BenchError;

/// How the comparison runs; every field has an environment variable.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seconds measured per scenario (`BENCH_SECS`, default 10).
    pub secs: u64,
    /// Seconds of warm-up before each measurement (`BENCH_WARMUP`, default 2).
    pub warmup: u64,
    /// Rounds over all variants (`BENCH_ROUNDS`, default 3).
    pub rounds: usize,
    /// Session cookies rotated by the load generator (`BENCH_SESSIONS`, default 256).
    pub sessions: usize,
    /// wrk connections (`BENCH_CONNECTIONS`, default 32).
    pub connections: usize,
    /// Only these variants (`BENCH_ONLY`, comma-separated names; default all).
    pub only: Option<Vec<String>>,
    /// The CPU the server is pinned to (`BENCH_SERVER_CPU`, default 0).
    pub server_cpu: String,
    /// The CPU wrk and Redis are pinned to (`BENCH_LOAD_CPU`, default 1).
    pub load_cpu: String,
    /// Where `bench-server` is (`BENCH_BIN_DIR`, default: next to this program).
    pub bin_dir: PathBuf,
    /// Niceness of the server, wrk and Redis (`BENCH_NICE`, e.g. -20 as root to keep other
    /// work on the machine from disturbing the run; default: unchanged).
    pub nice: Option<i32>,
    /// Where the charts of a run are written (`BENCH_OUT_DIR`, default: the directory above
    /// `bin_dir`, i.e. `target/` for `target/release`).
    pub out_dir: PathBuf,
}

impl Settings {
    /// Reads the settings from the environment.
    ///
    /// ```
    /// let s = session_bench::runner::Settings::from_env().unwrap();
    /// assert!(s.rounds >= 1);
    /// ```
    pub fn from_env() -> Result<Self, BenchError> {
        fn num<T: std::str::FromStr>(name: &str, default: T) -> Result<T, BenchError> {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .map_err(|_| BenchError::Usage(format!("{name}={v} is not a number"))),
                Err(_) => Ok(default),
            }
        }
        let bin_dir = match std::env::var_os("BENCH_BIN_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_exe()?
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        let out_dir = match std::env::var_os("BENCH_OUT_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => bin_dir
                .parent()
                .map_or_else(|| bin_dir.clone(), Path::to_path_buf),
        };
        Ok(Self {
            secs: num("BENCH_SECS", 10)?,
            warmup: num("BENCH_WARMUP", 2)?,
            rounds: num("BENCH_ROUNDS", 3)?.max(1),
            sessions: num("BENCH_SESSIONS", 256)?.max(1),
            connections: num("BENCH_CONNECTIONS", 32)?.max(1),
            only: std::env::var("BENCH_ONLY")
                .ok()
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()),
            server_cpu: std::env::var("BENCH_SERVER_CPU").unwrap_or_else(|_| "0".into()),
            load_cpu: std::env::var("BENCH_LOAD_CPU").unwrap_or_else(|_| "1".into()),
            bin_dir,
            nice: match std::env::var("BENCH_NICE") {
                Ok(v) => {
                    Some(v.parse().map_err(|_| {
                        BenchError::Usage(format!("BENCH_NICE={v} is not a number"))
                    })?)
                }
                Err(_) => None,
            },
            out_dir,
        })
    }

    /// Writes `chart` as `name` in [`Self::out_dir`] and says where on stderr. A chart that
    /// cannot be written costs the run nothing: the table is already printed.
    pub fn write_chart(&self, name: &str, chart: &Chart) {
        let path = self.out_dir.join(name);
        match std::fs::write(&path, chart.render()) {
            Ok(()) => eprintln!("chart: {}", path.display()),
            Err(e) => eprintln!("chart not written to {}: {e}", path.display()),
        }
    }

    /// A command that runs `program` pinned to `cpu`, at the configured niceness.
    pub fn pinned(&self, cpu: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = match self.nice {
            Some(n) => {
                let mut cmd = Command::new("nice");
                cmd.args(["-n", &n.to_string(), "taskset"]);
                cmd
            }
            None => Command::new("taskset"),
        };
        cmd.args(["-c", cpu]).arg(program);
        cmd
    }

    /// The variants to measure.
    pub fn variants(&self) -> Result<Vec<Variant>, BenchError> {
        match &self.only {
            None => Ok(VARIANTS.to_vec()),
            Some(names) => names
                .iter()
                .map(|n| {
                    Variant::named(n)
                        .ok_or_else(|| BenchError::Usage(format!("unknown variant {n}")))
                })
                .collect(),
        }
    }
}

/// Every measurement of a run, by variant name, scenario and round.
pub type Results = HashMap<(&'static str, Scenario), Vec<Measurement>>;

/// Runs the comparison and returns the measurements. Progress goes to stderr.
pub fn run(settings: &Settings) -> Result<Results, BenchError> {
    let variants = settings.variants()?;
    let _group = settings.nice.map(AutogroupNice::set);
    let redis = if variants.iter().any(|v| v.layer.uses_redis()) {
        Some(Redis::start(settings)?)
    } else {
        None
    };
    let script_dir = std::env::temp_dir().join(format!("session-bench-{}", std::process::id()));
    std::fs::create_dir_all(&script_dir)?;
    let mut results = Results::new();
    for round in 1..=settings.rounds {
        for variant in &variants {
            let url = redis.as_ref().map(Redis::url);
            let server = Server::start(settings, variant, url.as_deref())?;
            let cookies = cookies_for(&server, variant, settings.sessions)?;
            let script = script_dir.join(format!("{}.lua", variant.name));
            std::fs::write(&script, wrk::rotation_script(&cookies))?;
            for &scenario in variant.layer.scenarios() {
                let script = scenario.sends_cookies().then_some(script.as_path());
                load(settings, &server, scenario, script, settings.warmup)?;
                let cache = CacheFigures::of(&server, variant);
                let m = measured(settings, &server, scenario, script, settings.secs)?;
                cache.print_since(&server, variant, scenario);
                eprintln!(
                    "round {round} {:<22} {:<9} {:>10.0} req/s  p99 {:>7.2} ms  cpu {:>6.2} us/req  errors {}",
                    variant.name,
                    scenario.name(),
                    m.rps,
                    m.p99_ms,
                    m.cpu_us_per_req.unwrap_or(f64::NAN),
                    m.errors
                );
                results.entry((variant.name, scenario)).or_default().push(m);
            }
            drop(server);
        }
    }
    let _ = std::fs::remove_dir_all(&script_dir);
    Ok(results)
}

/// The cached variant's cache counters (hits, misses, loads that bypassed it), as its
/// server answers them at `/cache-stats`; `None` for every other variant.
pub(crate) struct CacheFigures(Option<[u64; 3]>);

impl CacheFigures {
    pub(crate) fn of(server: &Server, variant: &Variant) -> Self {
        if variant.layer != Layer::OursRedisCached {
            return Self(None);
        }
        let figures = crate::client::get(server.port(), crate::servers::CACHE_STATS, None)
            .ok()
            .and_then(|reply| {
                let mut n = reply.body.split_whitespace().map(|n| n.parse().ok());
                Some([n.next()??, n.next()??, n.next()??])
            });
        Self(figures)
    }

    /// Prints the hit ratio of the loads since `self` was taken.
    pub(crate) fn print_since(&self, server: &Server, variant: &Variant, scenario: Scenario) {
        let (Some(before), Some(after)) = (self.0, Self::of(server, variant).0) else {
            return;
        };
        let [hits, misses, bypassed] = [0, 1, 2].map(|i| after[i] - before[i]);
        let loads = (hits + misses + bypassed).max(1);
        eprintln!(
            "  {:<22} {:<9} cache hit ratio {:.4} ({hits} hits, {misses} misses, {bypassed} bypassed)",
            variant.name,
            scenario.name(),
            hits as f64 / loads as f64
        );
    }
}

/// With autogroup scheduling (the Linux default on desktops and many VMs) a process'
/// niceness only counts inside its session's group; the group's niceness is what competes
/// with other sessions. This sets it for the run and puts the old value back on drop. Best
/// effort: without root or without autogroup nothing changes (and a notice says so).
struct AutogroupNice(Option<String>);

const AUTOGROUP: &str = "/proc/self/autogroup";

impl AutogroupNice {
    fn set(nice: i32) -> Self {
        // "/autogroup-432 nice 0"
        let old = std::fs::read_to_string(AUTOGROUP)
            .ok()
            .and_then(|s| s.rsplit_once("nice ").map(|(_, n)| n.trim().to_owned()));
        if let Err(e) = std::fs::write(AUTOGROUP, nice.to_string()) {
            eprintln!("autogroup niceness unchanged ({e}): other load may disturb the run");
            return Self(None);
        }
        Self(old)
    }
}

impl Drop for AutogroupNice {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            let _ = std::fs::write(AUTOGROUP, old);
        }
    }
}

/// `settings.sessions` session cookies from `/new`, checked to load their session; bare
/// servers get made-up cookies of our cookie's length so that requests are the same size.
fn cookies_for(server: &Server, variant: &Variant, n: usize) -> Result<Vec<String>, BenchError> {
    if variant.layer == Layer::Bare {
        return Ok((0..n).map(crate::client::made_up_cookie).collect());
    }
    let mut cookies = Vec::with_capacity(n);
    for _ in 0..n {
        let reply = crate::client::get(server.port(), "/new", None)?;
        let cookie = reply
            .cookies
            .into_iter()
            .next()
            .filter(|_| reply.status == 200)
            .ok_or_else(|| {
                BenchError::Child(format!("{}: /new gave no session cookie", variant.name))
            })?;
        cookies.push(cookie);
    }
    // A session that does not come back would make `read` measure new sessions instead.
    let check = crate::client::get(server.port(), "/read", cookies.first().map(String::as_str))?;
    if check.body != "1" {
        return Err(BenchError::Child(format!(
            "{}: /read with a fresh cookie answered {:?}, not 1",
            variant.name, check.body
        )));
    }
    Ok(cookies)
}

/// One `wrk` run with the server's CPU time per request.
fn measured(
    settings: &Settings,
    server: &Server,
    scenario: Scenario,
    script: Option<&Path>,
    secs: u64,
) -> Result<Measurement, BenchError> {
    let before = server.cpu_micros();
    let mut m = load(settings, server, scenario, script, secs)?;
    m.cpu_us_per_req = server
        .cpu_micros()
        .zip(before)
        .map(|(after, before)| (after - before) / m.requests.max(1) as f64);
    Ok(m)
}

/// One `wrk` run of `secs` seconds, pinned to the load CPU.
fn load(
    settings: &Settings,
    server: &Server,
    scenario: Scenario,
    script: Option<&Path>,
    secs: u64,
) -> Result<Measurement, BenchError> {
    let mut cmd = settings.pinned(&settings.load_cpu, "wrk");
    cmd.args(["-t1", "--latency"])
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{}s", secs.max(1)))
        .arg("--timeout")
        .arg("5s");
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    cmd.arg(format!(
        "http://127.0.0.1:{}{}",
        server.port(),
        scenario.path()
    ));
    let out = cmd
        .output()
        .map_err(|e| BenchError::Child(format!("wrk (apt-get install wrk): {e}")))?;
    let report = String::from_utf8_lossy(&out.stdout);
    wrk::parse(&report).ok_or_else(|| {
        BenchError::Child(format!(
            "wrk gave no report: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}
