//! A serde type stored whole under one key of the session.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::SessionError;
use crate::session::Session;

/// A type kept whole in the session under [`SessionValue::KEY`]: read, written and removed
/// as a `T`, so that handlers never spell the key or convert by hand. A stored value that does
/// not deserialise as `T` is a [`SessionError::WrongType`] (a 400), never a panic, and is
/// left as it is.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_core::SessionValue;
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Cart {
///     items: Vec<String>,
/// }
/// impl SessionValue for Cart {
///     const KEY: &'static str = "cart";
/// }
///
/// # async fn run(session: session_core::Session) -> Result<(), session_core::SessionError> {
/// let mut cart: Cart = session.get_typed().await?.unwrap_or_default();
/// cart.items.push("book".into());
/// session.set_typed(&cart).await?;
/// let removed: Option<Cart> = session.remove_typed().await?;
/// # Ok(()) }
/// ```
pub trait SessionValue: Serialize + DeserializeOwned {
    /// The session key the value is kept under.
    const KEY: &'static str;
}

impl Session {
    /// The session's `T`, or `None` when it has none.
    pub async fn get_typed<T: SessionValue>(&self) -> Result<Option<T>, SessionError> {
        self.get(T::KEY).await
    }

    /// The session's `T` for an extractor: `T::default()` when it has none, and also when
    /// what is stored under [`SessionValue::KEY`] is not a `T` (written by an older shape of
    /// the type, say): that value stays until the handler writes a `T`, and the request goes
    /// on rather than failing. A store error is still an error.
    pub async fn typed_or_default<T: SessionValue + Default>(&self) -> Result<T, SessionError> {
        match self.get_typed::<T>().await {
            Ok(value) => Ok(value.unwrap_or_default()),
            Err(SessionError::WrongType(_)) => Ok(T::default()),
            Err(e) => Err(e),
        }
    }

    /// Stores `value` as the session's `T`.
    pub async fn set_typed<T: SessionValue>(&self, value: &T) -> Result<(), SessionError> {
        self.insert(T::KEY, value).await
    }

    /// Removes the session's `T` and returns it. A stored value that is not a `T` is
    /// [`SessionError::WrongType`], and stays.
    pub async fn remove_typed<T: SessionValue>(&self) -> Result<Option<T>, SessionError> {
        let Some(value) = self.get_typed::<T>().await? else {
            return Ok(None);
        };
        self.remove(T::KEY).await?;
        Ok(Some(value))
    }
}
