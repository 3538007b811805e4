//! `bench-chart`: draws the chart of a run from its markdown table, without running anything.
//!
//! ```sh
//! bench-chart [--column HEADER] [--range HEADER] [--title TEXT] INPUT.md OUTPUT.svg
//! ```
//!
//! Reads the first table of `INPUT.md` with a column headed `HEADER` (default
//! `ratio to bare (median of pairs)`, the column `bench-paired` prints) and takes one bar from
//! each row whose first cell is a variant and second a scenario; the column headed by
//! `--range` (default `middle half of the pairs`; `--range ''` for none) gives the whiskers.
//! `target/bench-last-run.md` after `bash bench/run.sh`, or `BENCHMARKS.md` for
//! `bench/chart.svg`:
//!
//! ```sh
//! cargo run -p session-bench --bin bench-chart -- BENCHMARKS.md bench/chart.svg
//! ```

use session_bench::runner::Chart;

const USAGE: &str =
    "bench-chart [--column HEADER] [--range HEADER] [--title TEXT] INPUT.md OUTPUT.svg";

fn main() {
    let mut column = "ratio to bare (median of pairs)".to_owned();
    let mut range = Some("middle half of the pairs".to_owned());
    let mut title = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next().unwrap_or_else(|| {
                eprintln!("bench-chart: {arg} needs a value\nusage: {USAGE}");
                std::process::exit(2);
            })
        };
        match arg.as_str() {
            "--column" => column = value(),
            "--range" => range = Some(value()).filter(|r| !r.is_empty()),
            "--title" => title = Some(value()),
            "-h" | "--help" => {
                println!("usage: {USAGE}");
                return;
            }
            _ => files.push(arg),
        }
    }
    let [input, output] = files.as_slice() else {
        eprintln!("usage: {USAGE}");
        std::process::exit(2);
    };
    let markdown = std::fs::read_to_string(input).unwrap_or_else(|e| {
        eprintln!("bench-chart: {input}: {e}");
        std::process::exit(1);
    });
    let chart = Chart::from_markdown(String::new(), &markdown, &column, range.as_deref());
    let title = title.unwrap_or_else(|| {
        // "ratio to bare (median of pairs)" -> "Ratio to the bare server (median of pairs)"
        let what = column
            .strip_prefix("ratio to bare")
            .unwrap_or(&column)
            .trim();
        let whiskers = match &range {
            Some(r) if chart.bars.iter().any(|b| b.range.is_some()) => format!("; whiskers: {r}"),
            _ => String::new(),
        };
        format!("Ratio to the bare server {what}, higher is better{whiskers}")
    });
    let chart = Chart { title, ..chart };
    if chart.bars.is_empty() {
        eprintln!("bench-chart: no table in {input} with a column headed {column:?}");
        std::process::exit(1);
    }
    if let Err(e) = std::fs::write(output, chart.render()) {
        eprintln!("bench-chart: {output}: {e}");
        std::process::exit(1);
    }
    eprintln!("bench-chart: {} bars to {output}", chart.bars.len());
}
