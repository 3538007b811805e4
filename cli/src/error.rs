//! What can go wrong, and the exit code each failure gives.

use std::fmt;

use session_core::{StoreError, StoreErrorKind};

/// The process's exit codes (documented in the crate docs and `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything as asked.
    Ok = 0,
    /// The command ran and found something wrong: an invalid cookie, a session not in the
    /// store, sessions a migration could not copy.
    Findings = 1,
    /// Bad arguments or configuration: a URL that is not a store, missing or unusable
    /// secrets, an operation the store's layout cannot do.
    Usage = 2,
    /// The store could not be reached, or did not answer within `--timeout`.
    Unreachable = 3,
    /// The store answered with an error: a missing table, a refused query, data that is not
    /// a session record.
    Store = 4,
}

impl Exit {
    /// The name scripts see in `--json` errors.
    pub fn name(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Findings => "findings",
            Exit::Usage => "usage",
            Exit::Unreachable => "unreachable",
            Exit::Store => "store",
        }
    }
}

/// A failure that ends the command: a message in plain words and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    /// More for `--json`: fields printed beside the error in its one document.
    pub detail: Option<serde_json::Value>,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
            detail: None,
        }
    }

    /// A store error met while doing `what` on the store shown as `store`.
    pub fn store(what: &str, store: &str, err: &StoreError) -> Self {
        let exit = match err.kind() {
            StoreErrorKind::Unavailable | StoreErrorKind::Timeout => Exit::Unreachable,
            StoreErrorKind::Unsupported => Exit::Usage,
            _ => Exit::Store,
        };
        let mut message = match err.kind() {
            StoreErrorKind::Unavailable => format!("cannot reach {store} while {what}: {err}"),
            StoreErrorKind::Timeout => {
                format!("{store} did not answer in time while {what} (see --timeout): {err}")
            }
            _ => format!("{store} failed while {what}: {err}"),
        };
        let text = message.to_ascii_lowercase();
        if text.contains("does not exist")
            || text.contains("doesn't exist")
            || text.contains("no such table")
        {
            message.push_str(
                "\nhint: the sessions table is missing; the application creates it at start-up \
                 (migrate() / create_table()), or `sessions migrate` creates it on its target",
            );
        }
        Self {
            exit,
            message,
            detail: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
