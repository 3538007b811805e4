//! Start-up: flags and environment, the secret, and which store to open.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use session_core::{Config, ConfigError, SessionManager, StoreError};
use session_stores::sql::cleanup::spawn_cleanup;
use session_stores::{
    spawn_live_gauge, Inventory, MemoryStore, MySqlStore, PostgresStore, RedisStore, SqliteStore,
};

use crate::accounts::Accounts;

/// Port when neither `--port` nor `PORT` is given.
pub const DEFAULT_PORT: u16 = 3000;

/// How the demo was asked to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Port on 127.0.0.1. `--port`, else env `PORT`, else 3000.
    pub port: u16,
    /// Where sessions live. `--store`, else env `SESSION_STORE`, else `memory`.
    pub store: StoreUrl,
    /// Signing secret from env `SESSION_SECRET`; `None` means generate one.
    pub secret: Option<String>,
}

/// The command line. The environment is read apart (see [`Settings::parse`]), so that it can
/// be given in tests.
#[derive(Debug, Parser)]
#[command(
    name = "session-demo",
    about = "Serves the session demo site on 127.0.0.1.",
    after_help = "Environment:\n  SESSION_SECRET  signing secret of at least 32 bytes \
                  (default: random per start)",
    // A flag given twice keeps its last value.
    args_override_self = true
)]
struct Flags {
    /// Port on 127.0.0.1 (env PORT, default 3000)
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// memory | sqlite://sessions.db | redis://... | postgres://... | mysql://...
    /// (env SESSION_STORE, default memory)
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

impl Settings {
    /// Reads flags (`args` without the program name) and the environment through `env`.
    /// `--help` comes back as [`SetupError::Usage`] holding the help text.
    ///
    /// ```
    /// use session_demo::setup::{Settings, SetupError, StoreUrl};
    /// let env = |name: &str| (name == "PORT").then(|| "8080".to_owned());
    /// let s = Settings::parse(["--store=memory".to_owned()], env).unwrap();
    /// assert_eq!((s.port, s.store), (8080, StoreUrl::Memory));
    /// let s = Settings::parse(["--port", "1", "--store", "sqlite://sessions.db"].map(String::from), env).unwrap();
    /// assert_eq!((s.port, s.store), (1, StoreUrl::Sqlite("sqlite://sessions.db".into())));
    /// assert!(Settings::parse(["--port".to_owned(), "x".to_owned()], env).is_err());
    /// assert!(matches!(Settings::parse(["--help".to_owned()], env), Err(SetupError::Usage(_))));
    /// ```
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SetupError> {
        let flags = Flags::try_parse_from(std::iter::once("session-demo".to_owned()).chain(args))
            .map_err(SetupError::Usage)?;
        let port = match (flags.port, env("PORT")) {
            (Some(port), _) => port,
            (None, Some(p)) => p.parse().map_err(|_| {
                SetupError::BadArgument(format!("port {p:?} is not a number from 0 to 65535"))
            })?,
            (None, None) => DEFAULT_PORT,
        };
        let store = flags.store.or_else(|| env("SESSION_STORE"));
        let store = store.as_deref().unwrap_or("memory").parse()?;
        let secret = env("SESSION_SECRET").filter(|s| !s.is_empty());
        Ok(Self {
            port,
            store,
            secret,
        })
    }
}

/// A session store named by URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreUrl {
    /// `memory`: in this process, lost on restart.
    Memory,
    /// `sqlite://...`
    Sqlite(String),
    /// `redis://...` or `rediss://...`
    Redis(String),
    /// `postgres://...` or `postgresql://...`
    Postgres(String),
    /// `mysql://...` or `mariadb://...`
    MySql(String),
}

impl FromStr for StoreUrl {
    type Err = SetupError;

    /// ```
    /// use session_demo::setup::StoreUrl;
    /// assert_eq!("memory".parse::<StoreUrl>().unwrap(), StoreUrl::Memory);
    /// assert!(matches!("redis://127.0.0.1".parse(), Ok(StoreUrl::Redis(_))));
    /// assert!("ftp://x".parse::<StoreUrl>().is_err());
    /// ```
    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
        let owned = url.to_owned();
        match scheme.to_ascii_lowercase().as_str() {
            "memory" => Ok(Self::Memory),
            "sqlite" => Ok(Self::Sqlite(owned)),
            "redis" | "rediss" => Ok(Self::Redis(owned)),
            "postgres" | "postgresql" => Ok(Self::Postgres(owned)),
            "mysql" | "mariadb" => Ok(Self::MySql(owned)),
            _ => Err(SetupError::UnknownStore(redact(url))),
        }
    }
}

impl fmt::Display for StoreUrl {
    /// The URL with any password hidden, fit for logs.
    ///
    /// ```
    /// use session_demo::setup::StoreUrl;
    /// let url: StoreUrl = "postgres://app:hunter2@127.0.0.1/db".parse().unwrap();
    /// assert_eq!(url.to_string(), "postgres://***@127.0.0.1/db");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory (in this process; sessions are lost on restart)"),
            Self::Sqlite(url) | Self::Redis(url) | Self::Postgres(url) | Self::MySql(url) => {
                f.write_str(&redact(url))
            }
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `url` with its user-info (which may hold a password) replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// The session configuration the demo uses: the library's defaults (cookie `id`, `Secure`,
/// which browsers keep on http://127.0.0.1 too), and sessions that end after 30 minutes idle.
///
/// ```
/// let config = session_demo::setup::config("a secret of at least thirty-two bytes!!").unwrap();
/// assert_eq!(config.cookie_name(), "id");
/// ```
pub fn config(secret: &str) -> Result<Config, ConfigError> {
    Config::builder()
        .secret(secret)
        .idle_timeout(Duration::from_secs(30 * 60))
        .build()
}

/// A random 256-bit secret, hex-encoded.
///
/// ```
/// let secret = session_demo::setup::random_secret().unwrap();
/// assert_eq!(secret.len(), 64);
/// ```
pub fn random_secret() -> Result<String, SetupError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SetupError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Opens the store `url` names and returns the manager over it: the memory store with its
/// sweeper, SQLite / PostgreSQL / MySQL with their migrations applied and a cleanup task, or
/// Redis. Every load of a logged-in session checks the user's current password hash in
/// `accounts` (the session manager's auth-hash check): once the password changes, or the
/// account is gone, the sessions logged in before end at their next request. Must run inside
/// a tokio runtime (sweeper and cleanup are tasks).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use session_demo::accounts::Accounts;
/// use session_demo::setup::{config, open, StoreUrl, SetupError};
/// let config = config("a secret of at least thirty-two bytes!!").unwrap();
/// let accounts = Accounts::new();
/// assert!(open(&StoreUrl::Memory, config.clone(), &accounts).await.is_ok());
/// let nobody_listens = "redis://127.0.0.1:1".parse().unwrap();
/// assert!(matches!(open(&nobody_listens, config, &accounts).await, Err(SetupError::Store(..))));
/// # });
/// ```
pub async fn open(
    url: &StoreUrl,
    config: Config,
    accounts: &Accounts,
) -> Result<SessionManager, SetupError> {
    let failed = |e: StoreError| SetupError::Store(url.clone(), e);
    let cleanup_every = Duration::from_secs(300);
    let builder = SessionManager::builder(config);
    let builder = match url {
        StoreUrl::Memory => {
            let store = MemoryStore::new();
            // The sweeper ends by itself when the store is dropped.
            drop(store.spawn_sweeper(Duration::from_secs(60), session_core::SystemClock));
            live_gauge(&store);
            builder.store(store)
        }
        StoreUrl::Redis(url) => {
            let store = RedisStore::connect(url).await.map_err(failed)?;
            live_gauge(&store);
            builder.store(store)
        }
        StoreUrl::Sqlite(url) => {
            let store = SqliteStore::connect(url).await.map_err(failed)?;
            store.migrate().await.map_err(failed)?;
            drop(spawn_cleanup(
                store.clone(),
                cleanup_every,
                session_core::SystemClock,
            ));
            live_gauge(&store);
            builder.store(store)
        }
        StoreUrl::Postgres(url) => {
            let store = PostgresStore::connect(url).await.map_err(failed)?;
            store.migrate().await.map_err(failed)?;
            drop(spawn_cleanup(
                store.clone(),
                cleanup_every,
                session_core::SystemClock,
            ));
            live_gauge(&store);
            builder.store(store)
        }
        StoreUrl::MySql(url) => {
            let store = MySqlStore::connect(url).await.map_err(failed)?;
            store.migrate().await.map_err(failed)?;
            drop(spawn_cleanup(
                store.clone(),
                cleanup_every,
                session_core::SystemClock,
            ));
            live_gauge(&store);
            builder.store(store)
        }
    };
    let accounts = accounts.clone();
    Ok(builder
        .auth_hash(move |user: String| {
            // The PHC string is the auth hash: a new password (new salt) gives a new one.
            let hash = accounts.password_hash(&user).map(String::into_bytes);
            async move { Ok::<_, StoreError>(hash) }
        })
        .build()?)
}

/// Keeps `/metrics`' `sessions_live` gauge up to date: a count of `store` every minute.
fn live_gauge<S: Inventory + Clone>(store: &S) {
    drop(spawn_live_gauge(
        store.clone(),
        Duration::from_secs(60),
        session_core::SystemClock,
    ));
}

/// Why the demo could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// The command line is wrong, or asks for `--help` (which is not a failure). Clap's
    /// message, fit for [`clap::Error::exit`] or [`clap::Error::print`].
    Usage(clap::Error),
    /// An environment value is wrong.
    BadArgument(String),
    /// The store URL's scheme is not one the demo knows.
    UnknownStore(String),
    /// The store could not be reached or prepared.
    Store(StoreUrl, StoreError),
    /// The session configuration was refused (a short `SESSION_SECRET`, say).
    Config(ConfigError),
    /// The operating system gave no random bytes for a secret.
    Random(String),
    /// The port could not be bound, or the server failed.
    Io(std::io::Error),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(e) => fmt::Display::fmt(e, f),
            Self::BadArgument(msg) => {
                write!(f, "{msg}\n\n{}", Flags::command().render_usage())
            }
            Self::UnknownStore(url) => write!(
                f,
                "unknown session store {url:?}: use memory, sqlite://, redis://, postgres:// or mysql://"
            ),
            Self::Store(url, e) => write!(
                f,
                "cannot open the session store {url}: {e}; check that it runs, or use --store memory"
            ),
            Self::Config(e) => write!(f, "invalid session configuration: {e}"),
            Self::Random(e) => write!(f, "no randomness for a session secret: {e}"),
            Self::Io(e) => write!(f, "server error: {e}"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Usage(e) => Some(e),
            Self::Config(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::Store(_, e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<std::io::Error> for SetupError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
