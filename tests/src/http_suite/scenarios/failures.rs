//! A store that fails and a handler that fails: an error status, never a panic, and nothing
//! partially stored.

use serde_json::json;

use super::{defaults, no_cookie, start};
use crate::http_suite::Scenario;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "store down while loading: 503, then recovery",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                cx.store().set_failing(true);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.status, 503, "status");
                no_cookie(&res)?;
                cx.store().set_failing(false);
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data after recovery");
            }
        ),
        scenario!(
            "store down while creating: 503 and nothing stored",
            defaults,
            |cx| {
                cx.store().set_failing(true);
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                ensure_eq!(res.status, 503, "status");
                no_cookie(&res)?;
                ensure_eq!(cx.stored(), 0, "stored sessions");
            }
        ),
        scenario!(
            "store down while destroying: 503 and the session survives",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                cx.store().set_failing(true);
                let res = cx.post("/destroy").cookie(&cookie).send().await?;
                ensure_eq!(res.status, 503, "status");
                no_cookie(&res)?;
                cx.store().set_failing(false);
                ensure_eq!(cx.stored(), 1, "stored sessions");
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
        scenario!(
            "store down while regenerating: 503 and the old session survives",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                cx.store().set_failing(true);
                let res = cx.post("/regenerate").cookie(&cookie).send().await?;
                ensure_eq!(res.status, 503, "status");
                no_cookie(&res)?;
                cx.store().set_failing(false);
                ensure_eq!(cx.stored(), 1, "stored sessions");
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
        scenario!(
            "a failing handler saves nothing for a new visitor",
            defaults,
            |cx| {
                let res = cx.get("/fail").send().await?;
                ensure_eq!(res.status, 500, "status");
                no_cookie(&res)?;
                ensure_eq!(cx.stored(), 0, "stored sessions");
            }
        ),
        scenario!(
            "a failing handler leaves an existing session as it was",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                let res = cx.get("/fail").cookie(&cookie).send().await?;
                ensure_eq!(res.status, 500, "status");
                no_cookie(&res)?;
                let data = cx.data(&id).await.ok_or("record gone")?;
                ensure!(
                    !data.contains_key("failed"),
                    "the failed request's write was saved"
                );
                ensure_eq!(cx.record(&id).await.map(|r| r.version), Some(1), "version");
            }
        ),
    ]
}
