//! Flash messages: set on one request, shown once on a later one.

use serde::{Deserialize, Serialize};

use crate::error::SessionError;
use crate::session::Session;

/// The session key flash messages wait under.
pub const FLASH_KEY: &str = "_flash";

/// How a flash message should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashLevel {
    /// For developers.
    Debug,
    /// Neutral information.
    Info,
    /// Something the user did worked.
    Success,
    /// Something the user should look at.
    Warning,
    /// Something failed.
    Error,
}

impl FlashLevel {
    /// The level's name, for a CSS class: `debug`, `info`, `success`, `warning`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Success => "success",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// A message for the user's next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// How it should look.
    pub level: FlashLevel,
    /// What it says (plain text: escape it when rendering).
    pub text: String,
}

impl Session {
    /// Adds a message for the next page that calls [`Session::take_flashes`] (usually the
    /// one a redirect leads to).
    ///
    /// ```
    /// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
    /// use session_core::FlashLevel;
    /// session.flash(FlashLevel::Success, "Signed in").await?;
    /// // Next request:
    /// for message in session.take_flashes().await? {
    ///     println!("{}: {}", message.level.as_str(), message.text);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn flash(
        &self,
        level: FlashLevel,
        text: impl Into<String>,
    ) -> Result<(), SessionError> {
        let mut waiting = self.waiting_flashes().await?;
        waiting.push(Flash {
            level,
            text: text.into(),
        });
        self.insert(FLASH_KEY, waiting).await
    }

    /// The messages waiting for this page, in the order they were added; they are removed,
    /// so each is shown once. With none waiting the session is only read: nothing is saved
    /// and no cookie is sent because of it.
    pub async fn take_flashes(&self) -> Result<Vec<Flash>, SessionError> {
        let Some(value) = self.get::<serde_json::Value>(FLASH_KEY).await? else {
            return Ok(Vec::new());
        };
        self.remove(FLASH_KEY).await?;
        Ok(messages(value))
    }

    /// The messages waiting; a value under [`FLASH_KEY`] that is not a list of messages
    /// (written by something else) counts as none.
    async fn waiting_flashes(&self) -> Result<Vec<Flash>, SessionError> {
        match self.get::<serde_json::Value>(FLASH_KEY).await? {
            None => Ok(Vec::new()),
            Some(value) => Ok(messages(value)),
        }
    }
}

/// The well-formed messages of a stored list; anything else in it (written by something
/// else) is skipped, the rest kept.
fn messages(value: serde_json::Value) -> Vec<Flash> {
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    }
}
