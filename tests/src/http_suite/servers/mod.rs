//! Reference harnesses: a real server of each of the project's adapters, serving the suite's
//! routes. Each is also a worked example of an [`AdapterHarness`](super::AdapterHarness).

mod actix;
mod axum;
mod poem;
mod rocket;
mod salvo;
mod warp;

pub use self::actix::Actix;
pub use self::axum::Axum;
pub use self::poem::Poem;
pub use self::rocket::Rocket;
pub use self::salvo::Salvo;
pub use self::warp::Warp;
