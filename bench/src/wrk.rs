//! Running `wrk` and reading its report.

use std::fmt::Write as _;

/// What one `wrk --latency` run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Requests per second.
    pub rps: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// Responses that were not 2xx/3xx, plus socket errors.
    pub errors: u64,
    /// Requests completed.
    pub requests: u64,
    /// CPU time the server process used during the run (user + system, all threads), in
    /// microseconds per request; filled in by the runner, `None` where /proc is missing.
    pub cpu_us_per_req: Option<f64>,
}

/// Reads `wrk --latency`'s report.
///
/// ```
/// let out = "  Latency Distribution\n     50%  1.00ms\n     99%  850.00us\n\
///            512345 requests in 10.00s, 50.00MB read\n\
///            Requests/sec:  51234.50\n  Non-2xx or 3xx responses: 3\n";
/// let m = session_bench::wrk::parse(out).unwrap();
/// assert_eq!((m.rps, m.p99_ms, m.errors, m.requests), (51234.5, 0.85, 3, 512345));
/// ```
pub fn parse(report: &str) -> Option<Measurement> {
    let mut rps = None;
    let mut p99 = None;
    let mut errors = 0;
    let mut requests = 0;
    for line in report.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = millis(v.trim());
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            requests = n.trim().parse().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            errors += v
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Some(Measurement {
        rps: rps?,
        p99_ms: p99?,
        errors,
        requests,
        cpu_us_per_req: None,
    })
}

/// `850.00us`, `1.20ms`, `2.00s` in milliseconds.
fn millis(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

/// A wrk Lua script that sends the `cookies` (`name=value`) in rotation, one per request.
///
/// ```
/// let lua = session_bench::wrk::rotation_script(&["id=a".into(), "id=b".into()]);
/// assert!(lua.contains("\"id=b\""));
/// ```
pub fn rotation_script(cookies: &[String]) -> String {
    let mut lua = String::from("local cookies = {\n");
    for cookie in cookies {
        // Cookie values are visible ASCII without quotes or backslashes (RFC 6265), but
        // escape anyway so that a strange one cannot break the script.
        let escaped = cookie.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(lua, "  \"{escaped}\",");
    }
    lua.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = i % #cookies + 1\n  \
         return wrk.format(\"GET\", nil, { [\"Cookie\"] = cookies[i] })\nend\n",
    );
    lua
}
