//! # sessions: the operator's command line for session-stores
//!
//! `sessions` looks into a session store from a shell: what a cookie or a token is and
//! whether it verifies, which sessions are live, how old they are; it revokes sessions,
//! deletes expired rows, and copies every live session from one store to another (Redis,
//! PostgreSQL, MySQL/MariaDB, SQLite, and express-session's connect-redis and
//! connect-pg-simple layouts), with their expiry.
//!
//! ```sh
//! cargo install --path cli          # installs the `sessions` binary
//! export SESSION_STORE_URL=redis://127.0.0.1:6379
//! sessions stats
//! ```
//!
//! ## Stores
//!
//! Every command but `migrate` works on the store of `--store URL` (or `SESSION_STORE_URL`,
//! which keeps a password out of `ps`); `migrate` takes `--from URL --to URL`.
//!
//! | URL | store | tool parameters |
//! |---|---|---|
//! | `redis://[:password@]host:port[/db]`, `redis+unix:///path.sock` | `RedisStore` (this library's record layout) | `?prefix=` (default `sess:`) |
//! | `redis-cluster://host:port,host:port` | `RedisStore` on a Redis Cluster (seed nodes) | `?prefix=` |
//! | `connect-redis://...`, `connect-redis-cluster://...` | `ConnectRedisStore`: connect-redis' keys, express-session's JSON | `?prefix=` (default `sess:`) |
//! | `postgres://user@host/db` | `PostgresStore` (table `http_sessions`) | sqlx's own, e.g. `?options=-c%20search_path%3Dapp` |
//! | `connect-pg://user@host/db` | `ConnectPgStore`: connect-pg-simple's table | `?table=` (default `session`), `?schema=`, `?tz=` (default `UTC`) |
//! | `mysql://user@host/db` (`mariadb://` too) | `MySqlStore` | |
//! | `sqlite://path/to/sessions.db` | `SqliteStore` | |
//!
//! The tool's parameters are taken out of the URL before it reaches the driver. Redis over
//! TLS: `rediss://`, `redis-clusters://`, `connect-rediss://` and `connect-redis-clusters://`,
//! trusting the system's roots, or with `?ca=/path/ca.pem` the CA that signed the server's
//! certificate. Messages show URLs with the password replaced by `***`.
//!
//! Payloads are decoded with `--codec json|msgpack|express`: by default `express` for the
//! connect-* layouts and `json` (session-core's `JsonCodec`) otherwise.
//!
//! ## Secrets
//!
//! `inspect` verifies signatures, so it needs the application's secrets: from
//! `--secrets-file PATH`, else from the environment variable `SESSION_SECRETS`; never from a
//! command-line argument, which every user of the machine can read in `ps`. Both hold one
//! secret per line, the one that signs first (blank lines are skipped, and `\r\n` endings are
//! fine; any other whitespace is part of the secret), or a JSON array of strings when the text
//! starts with `[` (the form an express app keeps its `secret` list in). Output names a
//! secret by its index only (`secret #0` signs), never by its value.
//!
//! ## Commands
//!
//! ```sh
//! # A cookie as the browser holds it (percent-encoded or not, `name=value` works too);
//! # `-` reads it from standard input instead of the command line.
//! SESSION_SECRETS="$(cat /run/secrets/session)" sessions inspect 's%3AocxDLN...iTzFO5...'
//! sessions inspect --id ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK        # a bare id: no signature
//! sessions inspect eyJhbGciOiJIUzI1NiIs...                       # a JWT (or v1. / e2. token)
//!
//! sessions ls --limit 20                 # live sessions: id, user, created, expiry, keys
//! sessions ls --user ann                 # one user's sessions (the user index)
//! sessions stats                         # counts, histograms by age and by remaining lifetime
//! sessions revoke --id ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK
//! sessions revoke --user ann --except ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK
//! sessions purge-expired                 # SQL: delete expired rows (Redis expires keys itself)
//!
//! sessions migrate --from connect-redis://127.0.0.1:6379 --to postgres://app@db/app \
//!     --to-codec json --resume-file migrate.json
//! ```
//!
//! - `inspect` checks the signature (`s:<id>.<HMAC>`, express-session's format) and says
//!   which secret matched, then loads the session from the store (when one is given) and
//!   shows its id, creation time, last touch (express records only: `cookie.expires -
//!   originalMaxAge`; this library's layouts do not record it), expiry, user and data keys. A
//!   stateless token (session-core's `JwtFormat`, `SignedFormat`, `EncryptedFormat`) is
//!   opened instead, with `--cookie-name` (default `id`; signed and encrypted tokens are bound
//!   to it) and, for JWTs, `--jwt-issuer`, `--jwt-audience`, `--jwt-leeway`. Anything wrong
//!   is said in plain words: malformed, bad signature (unknown secret or altered), expired,
//!   not in the store, a record that does not decode.
//! - `ls` lists up to `--limit` sessions (default 50) in the store's order, and how many are
//!   live. Session ids are bearer credentials: treat the output as secret.
//! - `stats` walks the whole store once.
//! - `revoke --id` deletes one session; `revoke --user` deletes a user's sessions through the
//!   user index (not kept by the express layouts), but `--except`.
//! - `purge-expired` runs the SQL stores' cleanup (`delete_expired`, in batches). Redis needs
//!   none: each key's TTL is its session's expiry, and Redis deletes it.
//! - `migrate` copies every session live in the source to the target, with its expiry (to the
//!   millisecond) and user, decoding with the source's codec and encoding with `--to-codec`.
//!   It creates the target's table if missing. It is **idempotent by construction**: each
//!   session is created in the target, never overwritten, so a session that is there already
//!   is skipped (counted as "already there" when its content is the same, "different" when
//!   the target holds another version, which is kept unless `--overwrite`), and a second run
//!   copies nothing new. It is **resumable**: with `--resume-file PATH` it saves the source's
//!   cursor after every page and continues from there after an interruption (the file is
//!   removed once the migration is complete); without it, a new run starts over and skips
//!   what is there. It shows a progress bar on a terminal (never with `--json`) and ends with
//!   a summary: copied, skipped, failed, elapsed. It counts the source first, for the progress
//!   bar (a `COUNT(*)` on SQL, a `SCAN` of the keyspace on Redis). Sessions created in the
//!   source during the migration may be missed, and a session changed in the source after it
//!   was copied is "different" on the next run: run it again after the switch, with
//!   `--overwrite` to take the source's newer versions. If the target becomes unreachable it
//!   stops (exit code 3) and says how far it got.
//!
//! ## Output and exit codes
//!
//! `--json` makes every command print one JSON document on standard output (an error too:
//! `{"error": {"exit": 3, "kind": "unreachable", "message": ...}}`); messages for people go
//! to standard error. Exit codes:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done; for `inspect`, the value is valid (and live, when a store was given) |
//! | 1 | findings: `inspect` found something wrong, `revoke --id` found no such session, `migrate` could not copy some sessions |
//! | 2 | usage or configuration: bad arguments, a URL that is not a store, missing secrets, an operation the layout lacks |
//! | 3 | the store is unreachable or did not answer within `--timeout` (default 5 s, connecting included) |
//! | 4 | the store answered with an error: a missing table, a refused query, corrupt data |
#![forbid(unsafe_code)]

mod codec;
mod error;
mod inspect;
mod list;
mod migrate;
mod output;
mod revoke;
mod secrets;
mod target;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::json;
use session_core::Clock;
use time::OffsetDateTime;

use crate::codec::CodecName;
use crate::error::{Exit, Failure};
use crate::target::Target;

const EXIT_CODES: &str = "\
Exit codes:
  0  done (inspect: the value is valid)
  1  findings: inspect found something wrong, revoke --id found no session,
     migrate could not copy some sessions
  2  usage or configuration error (arguments, URL, secrets, unsupported by the layout)
  3  the store is unreachable or timed out
  4  the store answered with an error (missing table, refused query, corrupt data)

Store URLs: redis://host:6379[/db][?prefix=sess:], redis-cluster://h1:7000,h2:7001,
  connect-redis://host:6379, postgres://user@host/db, connect-pg://user@host/db[?table=session],
  mysql://user@host/db, sqlite://path.db
Secrets (inspect): SESSION_SECRETS or --secrets-file, one secret per line (or a JSON array);
  never on the command line.";

/// Inspect, list, count, revoke, purge and migrate the sessions of a session store.
#[derive(Debug, Parser)]
#[command(name = "sessions", version, after_help = EXIT_CODES)]
struct Cli {
    /// The store (see "Store URLs" below).
    #[arg(
        long,
        short = 's',
        global = true,
        env = "SESSION_STORE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    store: Option<String>,
    /// Print one JSON document on standard output.
    #[arg(long, global = true)]
    json: bool,
    /// Seconds one store operation (connecting included) may take.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 5.0)]
    timeout: f64,
    /// The codec of the store's payloads [default: express for connect-redis:// and
    /// connect-pg://, json otherwise]; for migrate, the source's.
    #[arg(long, global = true, value_enum, value_name = "CODEC")]
    codec: Option<CodecName>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify a cookie value or stateless token and show its session.
    #[command(after_help = EXIT_CODES)]
    Inspect(inspect::InspectArgs),
    /// List live sessions.
    #[command(after_help = EXIT_CODES)]
    Ls(list::LsArgs),
    /// Count live sessions, by age and by remaining lifetime.
    #[command(after_help = EXIT_CODES)]
    Stats,
    /// End one session, or every session of a user.
    #[command(after_help = EXIT_CODES)]
    Revoke(revoke::RevokeArgs),
    /// Delete expired sessions (SQL stores; Redis expires keys itself).
    #[command(after_help = EXIT_CODES)]
    PurgeExpired,
    /// Copy every live session from one store to another.
    #[command(after_help = EXIT_CODES)]
    Migrate(migrate::MigrateArgs),
}

/// The options every command shares.
pub struct Global {
    store: Option<String>,
    pub json: bool,
    pub timeout: Duration,
    pub codec: Option<CodecName>,
}

impl Global {
    /// The time now (the only reading of the clock: session-core takes it as an argument).
    pub fn now(&self) -> OffsetDateTime {
        session_core::SystemClock.now()
    }

    /// The store of `--store`, which the command needs.
    pub fn target(&self) -> Result<Target, Failure> {
        self.target_opt()?
            .ok_or_else(|| Failure::usage("no store: pass --store URL or set SESSION_STORE_URL"))
    }

    /// The store of `--store`, if one is given.
    pub fn target_opt(&self) -> Result<Option<Target>, Failure> {
        match self.store.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(url) => Target::parse(url).map(Some),
        }
    }
}

async fn run(command: Command, global: &Global) -> Result<Exit, Failure> {
    match command {
        Command::Inspect(args) => inspect::run(args, global).await,
        Command::Ls(args) => list::ls(args, global).await,
        Command::Stats => list::stats(global).await,
        Command::Revoke(args) => revoke::revoke(args, global).await,
        Command::PurgeExpired => revoke::purge_expired(global).await,
        Command::Migrate(args) => migrate::run(args, global).await,
    }
}

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with 2.
    let cli = Cli::parse();
    let json = cli.json;
    let timeout = match Duration::try_from_secs_f64(cli.timeout) {
        Ok(timeout) if !timeout.is_zero() => timeout,
        _ => {
            return fail(
                Failure::usage("--timeout takes a positive number of seconds"),
                json,
            )
        }
    };
    let global = Global {
        store: cli.store,
        json,
        timeout,
        codec: cli.codec,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                Failure::usage(format!("cannot start the async runtime: {e}")),
                json,
            )
        }
    };
    match runtime.block_on(run(cli.command, &global)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(failure) => fail(failure, json),
    }
}

/// Reports `failure` (on stderr, and as the JSON document with `--json`) and gives its code.
fn fail(failure: Failure, json: bool) -> ExitCode {
    eprintln!("error: {}", failure.message);
    if json {
        let mut doc = match failure.detail {
            Some(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        doc.insert(
            "error".into(),
            json!({
                "exit": failure.exit as u8,
                "kind": failure.exit.name(),
                "message": failure.message,
            }),
        );
        output::print_json(&serde_json::Value::Object(doc));
    }
    ExitCode::from(failure.exit as u8)
}
