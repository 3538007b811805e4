//! The session credential in a request header instead of (or beside) the cookie.

use serde_json::json;
use session_core::{ConfigBuilder, TokenHeader};

use super::{no_cookie, ok};
use crate::http_suite::Scenario;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "a bearer token carries the session without cookies",
            |b: ConfigBuilder| b.token_header(TokenHeader::Bearer).cookie_transport(false),
            |cx| {
                cx.watch_header("x-session-token");
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                ok(&res)?;
                no_cookie(&res)?;
                let token = res
                    .header("x-session-token")
                    .ok_or("no token header")?
                    .to_owned();
                ensure!(
                    token.starts_with("s%3A"),
                    "token is not the signed id: {token}"
                );
                let bearer = format!("Bearer {token}");
                let res = cx
                    .get("/get/user")
                    .header("authorization", &bearer)
                    .send()
                    .await?;
                ensure_eq!(res.body, "\"ann\"", "data");
                ensure!(
                    res.header("x-session-token").is_none(),
                    "token re-sent unchanged"
                );
                let res = cx
                    .get("/get/user")
                    .cookie(&format!("id={token}"))
                    .send()
                    .await?;
                ensure_eq!(
                    res.body,
                    "null",
                    "a cookie is not read without cookie transport"
                );
                let res = cx
                    .post("/regenerate")
                    .header("authorization", &bearer)
                    .send()
                    .await?;
                let fresh = res.header("x-session-token").ok_or("no new token")?;
                ensure!(fresh != token, "regenerate kept the token");
            }
        ),
        scenario!(
            "a named token header beside the cookie",
            |b: ConfigBuilder| b.token_header(TokenHeader::Named("x-api-session".into())),
            |cx| {
                cx.watch_header("x-api-session");
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let cookie = res.cookie().ok_or("no cookie")?;
                // A browser's session: the HttpOnly cookie's value is never copied into a
                // header that page scripts can read.
                ensure_eq!(
                    res.header("x-api-session"),
                    None,
                    "token header for a cookie session"
                );
                let token = cookie.trim_start_matches("id=").to_owned();
                let decoded = session_core::decode_uri_component(&token).ok_or("bad token")?;
                let res = cx
                    .get("/get/user")
                    .header("x-api-session", &decoded)
                    .send()
                    .await?;
                ensure_eq!(res.body, "\"ann\"", "data with a decoded token");
                let res = cx
                    .get("/get/user")
                    .cookie("id=garbage")
                    .header("x-api-session", &token)
                    .send()
                    .await?;
                ensure_eq!(
                    res.body,
                    "\"ann\"",
                    "data with a bad cookie and a good token"
                );
            }
        ),
    ]
}
