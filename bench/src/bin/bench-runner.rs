//! `bench-runner`: the HTTP comparison (see `session_bench::runner`); prints the markdown
//! table on stdout and progress on stderr, and writes the chart of the ratios to bare as
//! `bench-chart.svg` in `BENCH_OUT_DIR` (default `target/`).

use session_bench::runner::{self, Chart, Settings};

fn main() {
    let result = Settings::from_env().and_then(|settings| {
        let variants = settings.variants()?;
        eprintln!(
            "{} variants, {} rounds of {} s (+{} s warm-up) per scenario",
            variants.len(),
            settings.rounds,
            settings.secs,
            settings.warmup
        );
        let results = runner::run(&settings)?;
        println!("{}", runner::render(&results, &variants));
        let title = format!(
            "Ratio to the bare server, median of {} interleaved rounds of {} s",
            settings.rounds, settings.secs
        );
        let rows = runner::rows(&results, &variants);
        settings.write_chart("bench-chart.svg", &Chart::from_rows(title, &rows));
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("bench-runner: {e}");
        std::process::exit(2);
    }
}
