//! What a login form needs, on top of the session: typed values, login and logout bound to
//! the user's credential, CSRF tokens and flash messages.
//!
//! Each keeps its state in the session's data under a key of its own, all starting with `_`:
//! [`AUTH_KEY`], [`CSRF_KEY`] and [`FLASH_KEY`]. None of them costs a request that does not
//! use it anything: no key is read or written, and no store call is made, unless a handler
//! asks.

pub(crate) mod auth;
pub(crate) mod csrf;
pub(crate) mod flash;
pub(crate) mod typed;

pub use auth::{AuthHashLookup, AUTH_KEY};
pub use csrf::{
    csrf_field, is_safe_method, token_in_body, CsrfError, CSRF_FIELD, CSRF_HEADER, CSRF_KEY,
    FORM_LIMIT,
};
pub use flash::{Flash, FlashLevel, FLASH_KEY};
pub use typed::SessionValue;
