//! `bench-runner`: the HTTP comparison (see `session_bench::runner`); prints the markdown
//! table on stdout and progress on stderr.

use session_bench::runner::{self, Settings};

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
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("bench-runner: {e}");
        std::process::exit(2);
    }
}
