//! New and returning visitors, unchanged sessions, and what untouched sessions cost.

use serde_json::json;
use session_core::ConfigBuilder;

use super::{attributes, defaults, no_cookie, ok, start};
use crate::http_suite::Scenario;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!("new visitor reading gets no cookie", defaults, |cx| {
            let res = cx.get("/get/user").send().await?;
            ok(&res)?;
            ensure_eq!(res.body, "null", "body");
            no_cookie(&res)?;
            ensure_eq!(cx.calls(), 0, "store calls");
            ensure_eq!(cx.stored(), 0, "stored sessions");
        }),
        scenario!(
            "new visitor with saveUninitialized gets a stored session",
            |b: ConfigBuilder| b.save_uninitialized(true),
            |cx| {
                let res = cx.get("/get/user").send().await?;
                ok(&res)?;
                let cookie = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(cookie),
                    "; Path=/; HttpOnly; SameSite=Lax",
                    "attributes"
                );
                let id = cx
                    .id_of(cookie)
                    .ok_or("cookie is not signed by the suite's key")?;
                ensure_eq!(cx.data(&id).await, Some(Default::default()), "stored data");
            }
        ),
        scenario!("new visitor writing creates a session", defaults, |cx| {
            let res = cx.post("/set/user").json(json!("ann")).send().await?;
            ok(&res)?;
            let cookie = res.set_cookie().ok_or("no Set-Cookie")?;
            ensure!(
                cookie.starts_with("id=s%3A"),
                "cookie value not express-signed: {cookie}"
            );
            ensure_eq!(
                attributes(cookie),
                "; Path=/; HttpOnly; SameSite=Lax",
                "attributes"
            );
            let id = cx
                .id_of(cookie)
                .ok_or("cookie is not signed by the suite's key")?;
            let data = cx.data(&id).await.ok_or("no record")?;
            ensure_eq!(data.get("user"), Some(&json!("ann")), "stored user");
            ensure_eq!(cx.stored(), 1, "stored sessions");
        }),
        scenario!(
            "returning visitor, nothing changed: no Set-Cookie",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let before = cx.calls();
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ok(&res)?;
                ensure_eq!(res.body, "\"ann\"", "body");
                no_cookie(&res)?;
                ensure_eq!(cx.calls() - before, 1, "store calls (one load)");
            }
        ),
        scenario!(
            "writing the same value again is no change",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let before = cx.calls();
                let res = cx
                    .post("/set/user")
                    .cookie(&cookie)
                    .json(json!("ann"))
                    .send()
                    .await?;
                ok(&res)?;
                no_cookie(&res)?;
                ensure_eq!(cx.calls() - before, 1, "store calls (one load, no save)");
            }
        ),
        scenario!("untouched handler makes zero store calls", defaults, |cx| {
            let cookie = start(&cx).await?;
            let before = cx.calls();
            let res = cx.get("/untouched").cookie(&cookie).send().await?;
            ok(&res)?;
            no_cookie(&res)?;
            ensure_eq!(cx.calls() - before, 0, "store calls");
        }),
        scenario!(
            "untouched handler with rolling and saveUninitialized makes zero store calls",
            |b: ConfigBuilder| b.rolling(true).resave(true).save_uninitialized(true),
            |cx| {
                let res = cx.get("/untouched").send().await?;
                ok(&res)?;
                no_cookie(&res)?;
                let cookie = start(&cx).await?;
                let before = cx.calls();
                let res = cx.get("/untouched").cookie(&cookie).send().await?;
                no_cookie(&res)?;
                ensure_eq!(cx.calls() - before, 0, "store calls");
            }
        ),
        scenario!("unknown route never touches the session", defaults, |cx| {
            let cookie = start(&cx).await?;
            let before = cx.calls();
            let res = cx.get("/no/such/route").cookie(&cookie).send().await?;
            ensure_eq!(res.status, 404, "status");
            no_cookie(&res)?;
            ensure_eq!(cx.calls() - before, 0, "store calls");
        }),
        scenario!(
            "browser with a cookie jar keeps its session",
            defaults,
            |cx| {
                for n in 1..=3 {
                    let res = cx.post("/set/n").json(json!(n)).jar().send().await?;
                    ok(&res)?;
                    let res = cx.get("/get/n").jar().send().await?;
                    ensure_eq!(res.body, n.to_string(), "counter");
                }
                ensure_eq!(cx.stored(), 1, "stored sessions");
            }
        ),
        scenario!("the id route reports the stored id", defaults, |cx| {
            let res = cx.get("/id").send().await?;
            ensure_eq!(res.body, "null", "id of a new visitor");
            let cookie = start(&cx).await?;
            let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
            let res = cx.get("/id").cookie(&cookie).send().await?;
            ensure_eq!(res.body, id.as_str(), "id");
            no_cookie(&res)?;
        }),
        scenario!("removing a key saves the rest", defaults, |cx| {
            let cookie = start(&cx).await?;
            cx.post("/set/role")
                .cookie(&cookie)
                .json(json!("admin"))
                .send()
                .await?;
            let res = cx.post("/remove/role").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "\"admin\"", "removed value");
            no_cookie(&res)?;
            let res = cx.get("/get/role").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "null", "removed key");
            let res = cx.get("/get/user").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "\"ann\"", "kept key");
        }),
        scenario!(
            "rolling resends the unchanged session's cookie",
            |b: ConfigBuilder| b
                .rolling(true)
                .max_age(Some(std::time::Duration::from_secs(3600))),
            |cx| {
                let cookie = start(&cx).await?;
                cx.clock().advance(std::time::Duration::from_secs(600));
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                let again = res.set_cookie().ok_or("rolling sent no cookie")?;
                ensure_eq!(again.split(';').next(), Some(cookie.as_str()), "same value");
                ensure_eq!(
                    attributes(again),
                    "; Max-Age=3600; Path=/; Expires=Tue, 01 Jan 2030 01:10:00 GMT; HttpOnly; SameSite=Lax",
                    "attributes"
                );
            }
        ),
        scenario!(
            "rolling off: an unchanged session sends no cookie",
            |b: ConfigBuilder| b.max_age(Some(std::time::Duration::from_secs(3600))),
            |cx| {
                let cookie = start(&cx).await?;
                cx.clock().advance(std::time::Duration::from_secs(600));
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                no_cookie(&res)?;
            }
        ),
        scenario!(
            "rolling off: a changed persistent session resends its cookie",
            |b: ConfigBuilder| b.max_age(Some(std::time::Duration::from_secs(3600))),
            |cx| {
                let cookie = start(&cx).await?;
                cx.clock().advance(std::time::Duration::from_secs(60));
                let res = cx
                    .post("/set/user")
                    .cookie(&cookie)
                    .json(json!("bob"))
                    .send()
                    .await?;
                let again = res.set_cookie().ok_or("no cookie after a change")?;
                ensure_eq!(
                    attributes(again),
                    "; Max-Age=3600; Path=/; Expires=Tue, 01 Jan 2030 01:01:00 GMT; HttpOnly; SameSite=Lax",
                    "attributes"
                );
            }
        ),
        scenario!(
            "rolling off: a changed browser-session cookie is not resent",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let res = cx
                    .post("/set/user")
                    .cookie(&cookie)
                    .json(json!("bob"))
                    .send()
                    .await?;
                ok(&res)?;
                no_cookie(&res)?;
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"bob\"", "saved change");
            }
        ),
        scenario!(
            "resave on: an unchanged session is saved",
            |b: ConfigBuilder| b.resave(true),
            |cx| {
                let cookie = start(&cx).await?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                let before = cx.calls();
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                no_cookie(&res)?;
                ensure_eq!(cx.calls() - before, 2, "store calls (load and save)");
                ensure_eq!(
                    cx.record(&id).await.map(|r| r.version),
                    Some(2),
                    "record version"
                );
            }
        ),
        scenario!(
            "resave off: an unchanged session is not saved",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                no_cookie(&res)?;
                ensure_eq!(
                    cx.record(&id).await.map(|r| r.version),
                    Some(1),
                    "record version"
                );
            }
        ),
    ]
}
