//! `bench-paired`: every variant's scenarios against its framework's bare server in
//! alternating short slices (see `session_bench::runner::run_paired`); prints the markdown
//! table on stdout and progress on stderr, and writes the chart of the ratios to bare (with
//! each one's middle half) as `bench-chart-paired.svg` in `BENCH_OUT_DIR` (default `target/`).

use session_bench::runner::{self, Chart, Pairs, Settings};

fn main() {
    let result = Settings::from_env().and_then(|settings| {
        let pairs = Pairs::from_env()?;
        eprintln!(
            "paired: {} pairs of {} s slices per scenario (+{} s warm-up of each server)",
            pairs.count, pairs.slice, settings.warmup
        );
        let rows = runner::run_paired(&settings, pairs)?;
        println!("{}", runner::render_paired(&rows, pairs));
        let title = format!(
            "Ratio to the bare server, median of {} pairs of {} s slices (whiskers: middle half)",
            pairs.count, pairs.slice
        );
        settings.write_chart("bench-chart-paired.svg", &Chart::from_paired(title, &rows));
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("bench-paired: {e}");
        std::process::exit(2);
    }
}
