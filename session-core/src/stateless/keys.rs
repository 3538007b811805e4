use std::fmt;

use hmac::Mac;

use crate::config::ConfigError;
use crate::signing::hmac_sha256;

/// Secrets for a stateless format: the first issues tokens, every one verifies. Each must be
/// at least 32 bytes. `Debug` is redacted.
///
/// No format uses a secret as it is: each derives its own key from it,
/// HMAC-SHA256(secret, label) with a label per format ([`crate::JwtFormat::KEY_LABEL`] for
/// JWTs), so one secret may serve the cookie signer ([`crate::Keyring`]) and every format
/// without a token of one kind ever verifying as another.
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

    /// Each secret's key for one purpose (see [`derive_key`]), in the secrets' order.
    pub(crate) fn derived(&self, label: &'static str) -> impl Iterator<Item = [u8; 32]> + '_ {
        self.iter().map(move |secret| derive_key(secret, label))
    }
}

/// The key a secret gives one purpose: HMAC-SHA256(secret, label). HMAC is a pseudo-random
/// function, so keys for different labels are unrelated, and none reveals the secret or
/// another label's key: a credential made for one purpose (an express-style signed cookie,
/// which uses the raw secret, a JWT, a signed or an encrypted token) never verifies as another.
pub(crate) fn derive_key(secret: &[u8], label: &str) -> [u8; 32] {
    let mut mac = hmac_sha256(secret);
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
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
