//! The error a service method returns when the session fails, and the status mappings.

use tonic::{Code, Status};

session_core::session_error!(
    /// Why the session is unavailable to a service method; `?` turns a
    /// [`session_core::SessionError`] into it, and it converts into a [`tonic::Status`] with
    /// [`SessionError::code`] and a short message. The cause is logged with `tracing`, never
    /// sent to the client.
    ///
    /// ```
    /// use session_tonic::SessionError;
    /// let err = SessionError::from(session_core::SessionError::Conflict);
    /// assert_eq!(err.status(), 409);
    /// assert_eq!(tonic::Status::from(err).code(), tonic::Code::Aborted);
    /// ```
    SessionError,
    "add session_tonic::SessionLayer to the server (Server::builder().layer(...))"
);

impl SessionError {
    /// The gRPC code for this error: `Unavailable` when the store is down or slow, `Aborted`
    /// for a concurrent change (whatever the configured conflict status), `Internal` for
    /// other server errors, and the nearest code for a 4xx [`SessionError::status`].
    pub fn code(&self) -> Code {
        use session_core::SessionError::Conflict;
        if let Self::Session(Conflict) | Self::Finish(Conflict, _) = self {
            return Code::Aborted;
        }
        match self.status() {
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            408 | 504 => Code::DeadlineExceeded,
            409 | 423 => Code::Aborted,
            429 => Code::ResourceExhausted,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            status if (400..500).contains(&status) => Code::FailedPrecondition,
            _ => Code::Internal,
        }
    }
}

impl From<SessionError> for Status {
    fn from(error: SessionError) -> Self {
        let code = error.code();
        tracing::error!(error = %error, code = ?code, "session error");
        // A missing layer is the server's setup: the message says how to fix it. Other
        // causes stay in the log.
        let message = match (&error, code) {
            (SessionError::NotInstalled, _) => return Status::new(code, error.to_string()),
            (_, Code::Unavailable) => "session storage is unavailable; try again shortly",
            (_, Code::Aborted) => "the session changed concurrently; try again",
            _ => "session error",
        };
        Status::new(code, message)
    }
}

/// The HTTP status a call's gRPC code stands for (as `google.rpc.Code` maps them), passed to
/// [`session_core::SessionManager::finish`]: a server error saves nothing.
pub(crate) fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::ResourceExhausted => 429,
        Code::Cancelled => 499,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    }
}
