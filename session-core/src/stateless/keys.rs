use std::fmt;

use crate::config::ConfigError;

/// Secrets for a stateless format: the first issues tokens, every one verifies. Each must be
/// at least 32 bytes. `Debug` is redacted.
///
/// ```
/// use session_core::StatelessKeys;
/// let keys = StatelessKeys::new(["a new secret that is at least 32 bytes", "the previous secret, also 32+ bytes"]).unwrap();
/// assert_eq!(keys.len(), 2);
/// assert!(StatelessKeys::new(["short"]).is_err());
/// ```
#[derive(Clone)]
pub struct StatelessKeys {
    secrets: Vec<Vec<u8>>,
}

impl StatelessKeys {
    /// Validates the secrets.
    pub fn new<S: AsRef<[u8]>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, ConfigError> {
        let secrets: Vec<Vec<u8>> = secrets.into_iter().map(|s| s.as_ref().to_vec()).collect();
        if secrets.is_empty() {
            return Err(ConfigError::NoSecret);
        }
        if let Some(index) = secrets
            .iter()
            .position(|s| s.len() < crate::config::MIN_SECRET_BYTES)
        {
            let len = secrets[index].len();
            return Err(ConfigError::ShortSecret { index, len });
        }
        Ok(Self { secrets })
    }

    /// Number of secrets.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Always false: there is at least one secret.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.secrets.iter().map(Vec::as_slice)
    }
}

impl fmt::Debug for StatelessKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StatelessKeys({} secrets, <redacted>)",
            self.secrets.len()
        )
    }
}
