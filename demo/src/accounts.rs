//! The site's accounts: names and password hashes, kept in memory.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's default parameters) and kept as
//! PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), each with its own random
//! salt. The PHC string is also the user's auth hash for the session manager (see
//! [`crate::setup::open`]): a new password gives a new string, which ends the user's sessions
//! logged in with the old one.
//!
//! The directory lives in this process: a restart forgets every account, and the sessions
//! kept in a persistent store find their user gone and end at their next request.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

/// The fewest characters a new password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The most characters a new password may have.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// How many hashes may run at once: each takes 19 MiB and a core for tens of milliseconds,
/// so a burst of logins queues instead of exhausting memory.
const CONCURRENT_HASHES: usize = 4;

/// The account directory: name to PHC password hash. Cloning shares it.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use session_demo::accounts::{AccountError, Accounts};
/// let accounts = Accounts::new();
/// // The first login with a name registers it with that password.
/// let first = accounts.log_in("ann", "correct horse").await?;
/// assert!(first.registered);
/// assert!(first.phc.starts_with("$argon2id$"));
/// assert_eq!(accounts.password_hash("ann"), Some(first.phc.clone()));
/// // Later ones need the same password.
/// assert!(!accounts.log_in("ann", "correct horse").await?.registered);
/// assert!(matches!(accounts.log_in("ann", "battery staple").await, Err(AccountError::WrongPassword)));
/// // A new password gives a new PHC string.
/// let changed = accounts.change_password("ann", "battery staple").await?;
/// assert_ne!(changed, first.phc);
/// # Ok::<(), AccountError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Accounts {
    by_name: Arc<RwLock<HashMap<String, String>>>,
    hashing: Arc<Semaphore>,
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            by_name: Arc::default(),
            hashing: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
        }
    }
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hashes stay out of logs.
        let count = self
            .by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Accounts").field("count", &count).finish()
    }
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The account's PHC string: the auth hash to log the session in with.
    pub phc: String,
    /// Whether this login created the account.
    pub registered: bool,
}

/// Why a login or a password change failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AccountError {
    /// The name exists and the password is not its password.
    WrongPassword,
    /// A new password is shorter than [`MIN_PASSWORD_CHARS`] or longer than
    /// [`MAX_PASSWORD_CHARS`].
    WeakPassword,
    /// The account to change does not exist.
    NoSuchAccount,
    /// Hashing or checking failed (no randomness for a salt, a stored hash that does not
    /// parse, a hashing task that did not finish).
    Internal(String),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPassword => f.write_str("wrong password"),
            Self::WeakPassword => write!(
                f,
                "a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            ),
            Self::NoSuchAccount => f.write_str("no such account"),
            Self::Internal(e) => write!(f, "password hashing failed: {e}"),
        }
    }
}

impl std::error::Error for AccountError {}

impl Accounts {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account's current PHC string, or `None` for a name that has no account.
    pub fn password_hash(&self, name: &str) -> Option<String> {
        self.by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Logs `name` in with `password`: checks it against the account's hash, or, for a name
    /// that has no account yet, registers it with this password. Hashing runs on tokio's
    /// blocking pool (Argon2 takes tens of milliseconds on purpose).
    pub async fn log_in(&self, name: &str, password: &str) -> Result<Login, AccountError> {
        if let Some(phc) = self.password_hash(name) {
            return self.check(phc, password).await;
        }
        let phc = self.hash_new(password).await?;
        let existing = {
            let mut by_name = self.by_name.write().unwrap_or_else(PoisonError::into_inner);
            match by_name.entry(name.to_owned()) {
                Entry::Vacant(entry) => {
                    entry.insert(phc.clone());
                    None
                }
                // Registered by a concurrent login while this one hashed: that one counts.
                Entry::Occupied(entry) => Some(entry.get().clone()),
            }
        };
        match existing {
            None => Ok(Login {
                phc,
                registered: true,
            }),
            Some(theirs) => self.check(theirs, password).await,
        }
    }

    /// Gives `name` a new password and returns its new PHC string.
    pub async fn change_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<String, AccountError> {
        let phc = self.hash_new(password).await?;
        let mut by_name = self.by_name.write().unwrap_or_else(PoisonError::into_inner);
        let slot = by_name.get_mut(name).ok_or(AccountError::NoSuchAccount)?;
        slot.clone_from(&phc);
        Ok(phc)
    }

    /// The PHC string of a new password, after checking its length.
    async fn hash_new(&self, password: &str) -> Result<String, AccountError> {
        let chars = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(AccountError::WeakPassword);
        }
        let password = password.to_owned();
        self.blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| AccountError::Internal(e.to_string()))?;
            let salt =
                SaltString::encode_b64(&salt).map_err(|e| AccountError::Internal(e.to_string()))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| AccountError::Internal(e.to_string()))
        })
        .await
    }

    /// The login if `password` matches `phc`.
    async fn check(&self, phc: String, password: &str) -> Result<Login, AccountError> {
        let password = password.to_owned();
        self.blocking(move || {
            let parsed =
                PasswordHash::new(&phc).map_err(|e| AccountError::Internal(e.to_string()))?;
            match Argon2::default().verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(Login {
                    phc: phc.clone(),
                    registered: false,
                }),
                Err(argon2::password_hash::Error::Password) => Err(AccountError::WrongPassword),
                Err(e) => Err(AccountError::Internal(e.to_string())),
            }
        })
        .await
    }

    /// Runs `work` on tokio's blocking pool once a hashing permit is free.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AccountError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AccountError::Internal(e.to_string()))?
    }
}
