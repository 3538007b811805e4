//! `session-demo`: serves the demo site on 127.0.0.1 (see the library docs).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use session_axum::SessionLayer;
use session_demo::accounts::Accounts;
use session_demo::setup::{self, Settings, SetupError};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt::init();
    let settings = match Settings::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    {
        Ok(settings) => settings,
        // `--help` goes to stdout and succeeds; a wrong flag goes to stderr and fails.
        Err(SetupError::Usage(e)) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
        Err(e) => return fail(&e),
    };
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &SetupError) -> ExitCode {
    eprintln!("session-demo: {e}");
    ExitCode::FAILURE
}

async fn run(settings: Settings) -> Result<(), SetupError> {
    let secret = match settings.secret {
        Some(secret) => secret,
        None => {
            println!(
                "note: SESSION_SECRET is not set; using a random secret, so sessions end when \
                 the server restarts"
            );
            setup::random_secret()?
        }
    };
    let config = setup::config(&secret)?;
    // Accounts live in this process: a restart forgets them (and so ends their sessions).
    let accounts = Accounts::new();
    let manager = setup::open(&settings.store, config, &accounts).await?;
    let app = session_demo::app(SessionLayer::new(manager), accounts);

    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, settings.port)).await?;
    let addr = listener.local_addr()?;
    println!("session demo on http://{addr}/ (store: {})", settings.store);
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await?;
    Ok(())
}
