//! Regenerate, destroy, clear and remove, and what the `unset` option does with an emptied
//! session.

use serde_json::json;
use session_core::{ConfigBuilder, Unset};

use super::{defaults, no_cookie, ok, start};
use crate::http_suite::Scenario;

/// The clearing cookie for the default attributes, byte for byte.
const CLEARED: &str =
    "id=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax";

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!("regenerate keeps the data under a new id", defaults, |cx| {
            let cookie = start(&cx).await?;
            let old_id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
            let res = cx.post("/regenerate").cookie(&cookie).send().await?;
            ok(&res)?;
            let fresh = res.cookie().ok_or("no new cookie")?;
            let new_id = cx.id_of(&fresh).ok_or("unsigned new cookie")?;
            ensure!(new_id != old_id, "the id did not change");
            let res = cx.get("/get/user").cookie(&fresh).send().await?;
            ensure_eq!(res.body, "\"ann\"", "data under the new id");
            let res = cx.get("/get/user").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "null", "data under the old id");
            ensure!(
                cx.record(&old_id).await.is_none(),
                "the old record is still stored"
            );
            ensure_eq!(cx.stored(), 1, "stored sessions");
        }),
        scenario!(
            "regenerate on a new visitor creates a session",
            defaults,
            |cx| {
                let res = cx.post("/regenerate").send().await?;
                ok(&res)?;
                ensure!(res.cookie().is_some(), "no cookie");
                ensure_eq!(cx.stored(), 1, "stored sessions");
            }
        ),
        scenario!("destroy clears the cookie and the record", defaults, |cx| {
            let cookie = start(&cx).await?;
            let res = cx.post("/destroy").cookie(&cookie).send().await?;
            ok(&res)?;
            ensure_eq!(res.set_cookie(), Some(CLEARED), "clearing cookie");
            ensure_eq!(cx.stored(), 0, "stored sessions");
            let res = cx.get("/get/user").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "null", "data after destroy");
        }),
        scenario!("destroy without a session does nothing", defaults, |cx| {
            let res = cx.post("/destroy").send().await?;
            ok(&res)?;
            no_cookie(&res)?;
            ensure_eq!(cx.calls(), 0, "store calls");
        }),
        scenario!("destroy with a stale cookie clears it", defaults, |cx| {
            let stale = cx.signed_cookie("fixed-stale-id", crate::http_suite::context::SECRET);
            let res = cx.post("/destroy").cookie(&stale).send().await?;
            ok(&res)?;
            ensure_eq!(res.set_cookie(), Some(CLEARED), "clearing cookie");
        }),
        scenario!(
            "a valid cookie for an unknown id is not adopted",
            defaults,
            |cx| {
                let chosen =
                    cx.signed_cookie("fixed-chosen-id", crate::http_suite::context::SECRET);
                let res = cx.get("/get/user").cookie(&chosen).send().await?;
                ensure_eq!(res.body, "null", "data");
                no_cookie(&res)?;
                let res = cx
                    .post("/set/user")
                    .cookie(&chosen)
                    .json(json!("eve"))
                    .send()
                    .await?;
                let cookie = res.cookie().ok_or("no cookie")?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                ensure!(id.as_str() != "fixed-chosen-id", "the visitor chose the id");
            }
        ),
        scenario!(
            "unset=destroy: clearing the session destroys it",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let res = cx.post("/clear").cookie(&cookie).send().await?;
                ensure_eq!(res.set_cookie(), Some(CLEARED), "clearing cookie");
                ensure_eq!(cx.stored(), 0, "stored sessions");
            }
        ),
        scenario!(
            "unset=destroy: removing the last key destroys it",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let res = cx.post("/remove/user").cookie(&cookie).send().await?;
                ensure_eq!(res.set_cookie(), Some(CLEARED), "clearing cookie");
                ensure_eq!(cx.stored(), 0, "stored sessions");
            }
        ),
        scenario!(
            "unset=keep: clearing the session keeps the stored record",
            |b: ConfigBuilder| b.unset(Unset::Keep),
            |cx| {
                let cookie = start(&cx).await?;
                let res = cx.post("/clear").cookie(&cookie).send().await?;
                ok(&res)?;
                no_cookie(&res)?;
                ensure_eq!(cx.stored(), 1, "stored sessions");
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data after clear");
            }
        ),
    ]
}
