//! `bench-server --variant NAME --port N [--redis URL]`: one benchmark server (see
//! `session_bench::servers`). `--list` prints the variant names.

use session_bench::{BenchError, Variant, VARIANTS};

fn main() {
    if let Err(e) = run() {
        eprintln!("bench-server: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), BenchError> {
    let mut variant = None;
    let mut port = None;
    let mut redis = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--variant" => variant = args.next(),
            "--port" => port = args.next(),
            "--redis" => redis = args.next(),
            "--list" => {
                for v in VARIANTS {
                    println!("{}", v.name);
                }
                return Ok(());
            }
            other => return Err(BenchError::Usage(format!("unknown argument {other}"))),
        }
    }
    let usage = || BenchError::Usage("--variant NAME --port N [--redis URL]".into());
    let name = variant.ok_or_else(usage)?;
    let variant = Variant::named(&name)
        .ok_or_else(|| BenchError::Usage(format!("unknown variant {name} (see --list)")))?;
    let port = port.and_then(|p| p.parse().ok()).ok_or_else(usage)?;
    session_bench::servers::run(variant, port, redis.as_deref())
}
