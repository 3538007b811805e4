//! Session errors become gRPC statuses.

use session_core::{StoreError, StoreErrorKind};
use session_tonic::SessionError;
use tonic::{Code, Status};

fn code(error: SessionError) -> Code {
    Status::from(error).code()
}

fn store(kind: StoreErrorKind) -> session_core::SessionError {
    session_core::SessionError::Store(StoreError::from_kind(kind))
}

#[test]
fn errors_map_to_grpc_codes() {
    use session_core::SessionError::{Conflict, Finished};
    let unavailable = StoreErrorKind::Unavailable;
    assert_eq!(
        code(SessionError::from(store(unavailable))),
        Code::Unavailable
    );
    let timeout = StoreErrorKind::Timeout;
    assert_eq!(
        code(SessionError::Finish(store(timeout), 503)),
        Code::Unavailable
    );
    assert_eq!(code(SessionError::from(Conflict)), Code::Aborted);
    assert_eq!(code(SessionError::Finish(Conflict, 409)), Code::Aborted);
    // A conflict is `Aborted` whatever status the configuration gives it.
    assert_eq!(code(SessionError::Finish(Conflict, 423)), Code::Aborted);
    assert_eq!(code(SessionError::Finish(Conflict, 500)), Code::Aborted);
    assert_eq!(code(SessionError::from(Finished)), Code::Internal);
    let backend = StoreErrorKind::Backend;
    assert_eq!(
        code(SessionError::Finish(store(backend), 500)),
        Code::Internal
    );
    let too_large = session_core::SessionError::TooLarge { size: 9, limit: 8 };
    assert_eq!(code(SessionError::Finish(too_large, 500)), Code::Internal);
    assert_eq!(code(SessionError::NotInstalled), Code::Internal);
}

#[test]
fn a_4xx_gets_the_nearest_code() {
    let finish = |status| code(SessionError::Finish(store(StoreErrorKind::Backend), status));
    assert_eq!(finish(400), Code::InvalidArgument);
    assert_eq!(finish(401), Code::Unauthenticated);
    assert_eq!(finish(403), Code::PermissionDenied);
    assert_eq!(finish(404), Code::NotFound);
    assert_eq!(finish(408), Code::DeadlineExceeded);
    assert_eq!(finish(409), Code::Aborted);
    assert_eq!(finish(429), Code::ResourceExhausted);
    assert_eq!(finish(418), Code::FailedPrecondition);
    assert_eq!(finish(503), Code::Unavailable);
    assert_eq!(finish(599), Code::Internal);
}

#[test]
fn messages_say_what_to_do_but_not_the_cause() {
    let status = Status::from(SessionError::from(store(StoreErrorKind::Unavailable)));
    assert_eq!(
        status.message(),
        "session storage is unavailable; try again shortly"
    );
    let status = Status::from(SessionError::from(session_core::SessionError::Conflict));
    assert_eq!(
        status.message(),
        "the session changed concurrently; try again"
    );
    let status = Status::from(SessionError::from(store(StoreErrorKind::Corrupt)));
    assert_eq!(status.message(), "session error");
    let status = Status::from(SessionError::NotInstalled);
    assert!(status.message().contains("Server::builder().layer"));
}
