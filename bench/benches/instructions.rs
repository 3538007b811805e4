//! Instructions per request in process (axum, and Rocket through its local client), counted
//! by callgrind: deterministic where the host's noise moves time by ±30%. SHA-256 runs in
//! software under valgrind (it hides the CPU's SHA extensions), so the HMAC counts ~6,700
//! instructions here against ~190 ns natively. Runs each layer × scenario twice under
//! `valgrind --tool=callgrind`, with `WARMUP` and `WARMUP + REQUESTS` requests, and reports
//! the difference per request, so start-up and the first requests' allocations cancel out.
//!
//! ```sh
//! cargo bench -p session-bench --bench instructions
//! ```
//!
//! Needs valgrind; prints a notice and exits when it is missing. As a child (argument
//! `--child FRAMEWORK/LAYER SCENARIO COUNT`) it just sends COUNT requests.

use session_bench::callgrind;
use session_bench::in_process::{App, APPS, SCENARIOS};

const WARMUP: u64 = 2_000;
const REQUESTS: u64 = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        child(&args[at + 1..]);
        return;
    }
    if !callgrind::available() {
        println!("instructions: valgrind is not installed; skipped");
        return;
    }
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-'));
    println!("{:<20} {:<10} {:>14}", "app", "scenario", "instr/request");
    for name in APPS {
        for scenario in SCENARIOS {
            let label = format!("{name}/{scenario}");
            if filter.is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            let count = |n: u64| {
                let child = ["--child", name, scenario, &n.to_string()];
                let label = format!("{}.{scenario}.{n}", name.replace('/', "-"));
                callgrind::instructions(&args[0], &child, &label)
            };
            let (base, total) = (count(WARMUP), count(WARMUP + REQUESTS));
            let per = total.saturating_sub(base) / REQUESTS;
            println!("{name:<20} {scenario:<10} {per:>14}");
        }
    }
}

fn child(args: &[String]) {
    let [name, scenario, count] = args else {
        panic!("usage: --child FRAMEWORK/LAYER SCENARIO COUNT");
    };
    let count: u64 = count.parse().expect("a count");
    let app = App::named(name).expect("a memory-store app");
    for _ in 0..count {
        app.call(scenario).expect("an answer");
    }
}
