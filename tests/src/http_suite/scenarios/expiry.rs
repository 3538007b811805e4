//! Idle and absolute timeouts, touches, max-age and remember-me, all on the test clock.

use std::time::Duration;

use serde_json::json;
use session_core::ConfigBuilder;

use super::{attributes, no_cookie, ok, start};
use crate::http_suite::Scenario;

const MINUTE: Duration = Duration::from_secs(60);

fn idle_30m(b: ConfigBuilder) -> ConfigBuilder {
    b.idle_timeout(30 * MINUTE)
}

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "touch extends the expiry without rewriting data",
            idle_30m,
            |cx| {
                let cookie = start(&cx).await?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                let before = cx.record(&id).await.ok_or("no record")?;
                cx.clock().advance(10 * MINUTE);
                let calls = cx.calls();
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ok(&res)?;
                no_cookie(&res)?;
                ensure_eq!(cx.calls() - calls, 2, "store calls (load and touch)");
                let after = cx.record(&id).await.ok_or("record gone")?;
                ensure_eq!(
                    after.expires_at - before.expires_at,
                    time::Duration::minutes(10),
                    "expiry moved by"
                );
                ensure_eq!(
                    after.version,
                    before.version,
                    "version (data not rewritten)"
                );
                ensure_eq!(
                    cx.data(&id).await,
                    Some(
                        json!({"user": "ann"})
                            .as_object()
                            .cloned()
                            .unwrap_or_default()
                    ),
                    "data"
                );
            }
        ),
        scenario!("a touch below the threshold is skipped", idle_30m, |cx| {
            let cookie = start(&cx).await?;
            cx.clock().advance(Duration::from_secs(5));
            let calls = cx.calls();
            let res = cx.get("/get/user").cookie(&cookie).send().await?;
            ok(&res)?;
            ensure_eq!(cx.calls() - calls, 1, "store calls (load only)");
        }),
        scenario!(
            "idle timeout reached: the visitor starts over",
            idle_30m,
            |cx| {
                let cookie = start(&cx).await?;
                cx.clock().advance(31 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "null", "expired session's data");
                no_cookie(&res)?;
                let res = cx
                    .post("/set/user")
                    .cookie(&cookie)
                    .json(json!("bob"))
                    .send()
                    .await?;
                let fresh = res.cookie().ok_or("no new cookie")?;
                ensure!(fresh != cookie, "the expired id was reused");
            }
        ),
        scenario!("activity keeps an idle session alive", idle_30m, |cx| {
            let cookie = start(&cx).await?;
            for _ in 0..3 {
                cx.clock().advance(20 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data after 20 idle minutes");
            }
        }),
        scenario!(
            "absolute timeout reached despite activity",
            |b: ConfigBuilder| b.idle_timeout(30 * MINUTE).absolute_timeout(60 * MINUTE),
            |cx| {
                let cookie = start(&cx).await?;
                for n in 0..2 {
                    cx.clock().advance(20 * MINUTE);
                    let res = cx
                        .post("/set/n")
                        .cookie(&cookie)
                        .json(json!(n))
                        .send()
                        .await?;
                    ok(&res)?;
                }
                cx.clock().advance(19 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data at 59 minutes");
                cx.clock().advance(2 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "null", "data at 61 minutes");
            }
        ),
        scenario!(
            "max-age sets the cookie's lifetime",
            |b: ConfigBuilder| b.max_age(Some(60 * MINUTE)),
            |cx| {
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let cookie = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(cookie),
                    "; Max-Age=3600; Path=/; Expires=Tue, 01 Jan 2030 01:00:00 GMT; HttpOnly; SameSite=Lax",
                    "attributes"
                );
            }
        ),
        scenario!(
            "absolute timeout caps the cookie's lifetime",
            |b: ConfigBuilder| b
                .rolling(true)
                .max_age(Some(120 * MINUTE))
                .absolute_timeout(60 * MINUTE),
            |cx| {
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let first = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(first),
                    "; Max-Age=3600; Path=/; Expires=Tue, 01 Jan 2030 01:00:00 GMT; HttpOnly; SameSite=Lax",
                    "first attributes"
                );
                let cookie = res.cookie().ok_or("no cookie")?;
                cx.clock().advance(30 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                let again = res.set_cookie().ok_or("rolling sent no cookie")?;
                ensure_eq!(
                    attributes(again),
                    "; Max-Age=1800; Path=/; Expires=Tue, 01 Jan 2030 01:00:00 GMT; HttpOnly; SameSite=Lax",
                    "attributes after 30 minutes"
                );
            }
        ),
        scenario!("remember me: a custom max-age", idle_30m, |cx| {
            let cookie = start(&cx).await?;
            let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
            let res = cx.post("/max-age/86400").cookie(&cookie).send().await?;
            let again = res.set_cookie().ok_or("no Set-Cookie")?;
            ensure_eq!(again.split(';').next(), Some(cookie.as_str()), "same value");
            ensure_eq!(
                attributes(again),
                "; Max-Age=86400; Path=/; Expires=Wed, 02 Jan 2030 00:00:00 GMT; HttpOnly; SameSite=Lax",
                "attributes"
            );
            let record = cx.record(&id).await.ok_or("no record")?;
            ensure_eq!(
                record.expires_at,
                time::macros::datetime!(2030-01-02 0:00 UTC),
                "stored expiry"
            );
            cx.clock().advance(120 * MINUTE);
            let res = cx.get("/get/user").cookie(&cookie).send().await?;
            ensure_eq!(
                res.body,
                "\"ann\"",
                "data after two hours (past the idle timeout)"
            );
        }),
        scenario!(
            "max-age none turns remember-me back into a browser-session cookie",
            |b: ConfigBuilder| b.rolling(true),
            |cx| {
                let cookie = start(&cx).await?;
                let res = cx.post("/max-age/3600").cookie(&cookie).send().await?;
                let set = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(set),
                    "; Max-Age=3600; Path=/; Expires=Tue, 01 Jan 2030 01:00:00 GMT; HttpOnly; SameSite=Lax",
                    "remembered"
                );
                let res = cx.post("/max-age/none").cookie(&cookie).send().await?;
                let set = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(set),
                    "; Path=/; HttpOnly; SameSite=Lax",
                    "forgotten"
                );
            }
        ),
        scenario!(
            "a record past its stored expiry is not loaded",
            super::defaults,
            |cx| {
                let cookie = start(&cx).await?;
                cx.clock().advance(25 * 60 * MINUTE);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "null", "data after the 24 h fallback lifetime");
                no_cookie(&res)?;
            }
        ),
    ]
}
