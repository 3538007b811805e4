//! Writing an [`Outcome`] into an `http::HeaderMap`, for adapters built on the `http` crate.

use std::fmt;

use smallvec::SmallVec;

use super::Outcome;

/// A header of an [`Outcome`] that the `http` crate refuses. The core renders visible ASCII
/// only, so this is a bug; the adapter should answer 500, since sending the response without
/// its cookie would silently lose the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader {
    name: String,
}

impl InvalidHeader {
    /// The refused header's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "session header `{}` is not a valid HTTP header",
            self.name
        )
    }
}

impl std::error::Error for InvalidHeader {}

impl Outcome {
    /// Appends the outcome's headers to `headers`, all of them or, on error, none. The
    /// values are moved into the map, not copied.
    ///
    /// ```
    /// let mut headers = http::HeaderMap::new();
    /// session_core::Outcome::default().append_to(&mut headers).unwrap();
    /// assert!(headers.is_empty());
    /// ```
    pub fn append_to(self, headers: &mut http::HeaderMap) -> Result<(), InvalidHeader> {
        let mut checked: SmallVec<[_; 2]> = SmallVec::new();
        for (name, value) in self.into_headers() {
            // The usual header by its constant: parsing its name showed in callgrind.
            let parsed_name = match name.as_ref() {
                "set-cookie" => Ok(http::header::SET_COOKIE),
                other => http::HeaderName::from_bytes(other.as_bytes()),
            };
            match (parsed_name, http::HeaderValue::try_from(value)) {
                (Ok(name), Ok(value)) => checked.push((name, value)),
                _ => {
                    return Err(InvalidHeader {
                        name: name.into_owned(),
                    })
                }
            }
        }
        for (name, value) in checked {
            headers.append(name, value);
        }
        Ok(())
    }
}
