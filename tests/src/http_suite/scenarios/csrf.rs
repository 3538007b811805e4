//! The CSRF guard on `/guarded/...` and `/guarded-form`, and the typed extractor on `/typed`.

use serde_json::json;
use session_core::kit::FORM_LIMIT;

use super::{defaults, no_cookie, ok, start};
use crate::http_suite::{Ctx, Scenario};

/// A new visitor asks for a token; returns the `name=value` cookie it got and the token.
async fn token(cx: &Ctx) -> Result<(String, String), String> {
    let res = cx.get("/csrf").send().await?;
    ok(&res)?;
    let cookie = res
        .cookie()
        .ok_or_else(|| format!("no single Set-Cookie: {:?}", res.set_cookies))?;
    Ok((cookie, res.body))
}

/// The stored record of `cookie`'s session: its version and payload.
async fn stored(cx: &Ctx, cookie: &str) -> Result<(u64, Vec<u8>), String> {
    let id = cx.id_of(cookie).ok_or("unsigned cookie")?;
    let record = cx.record(&id).await.ok_or("no record")?;
    Ok((record.version, record.payload))
}

/// A guarded write of `user` with `token` in the header, as `cookie`'s session.
async fn write(cx: &Ctx, cookie: &str, token: &str) -> Result<u16, String> {
    let req = cx.post("/guarded/set/user").cookie(cookie);
    let res = req
        .header("x-csrf-token", token)
        .json(json!("mallory"))
        .send()
        .await?;
    no_cookie(&res)?;
    Ok(res.status)
}

/// A guarded form with `token` in its field, as `cookie`'s session.
async fn submit(cx: &Ctx, cookie: &str, token: &str) -> Result<u16, String> {
    let req = cx.post("/guarded-form").cookie(cookie);
    let res = req
        .form(&[("note", "n"), ("csrf_token", token)])
        .send()
        .await?;
    no_cookie(&res)?;
    Ok(res.status)
}

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!("csrf: a valid header token passes", defaults, |cx| {
            let (cookie, first) = token(&cx).await?;
            let res = cx
                .post("/guarded/set/role")
                .cookie(&cookie)
                .header("x-csrf-token", &first)
                .json(json!("admin"))
                .send()
                .await?;
            ok(&res)?;
            no_cookie(&res)?;
            let res = cx.get("/get/role").cookie(&cookie).send().await?;
            ensure_eq!(res.body, "\"admin\"", "stored value");
            // Each token is masked afresh, and every one of them passes.
            let res = cx.get("/csrf").cookie(&cookie).send().await?;
            no_cookie(&res)?;
            ensure!(res.body != first, "the same token twice: {first}");
            ensure_eq!(write(&cx, &cookie, &res.body).await?, 200, "second token");
            ensure_eq!(write(&cx, &cookie, &first).await?, 200, "first token again");
        }),
        scenario!(
            "csrf: a valid form token passes and the handler sees the form",
            defaults,
            |cx| {
                let (cookie, token) = token(&cx).await?;
                let res = cx
                    .post("/guarded-form")
                    .cookie(&cookie)
                    .form(&[("note", "fish & chips"), ("csrf_token", &token)])
                    .send()
                    .await?;
                ok(&res)?;
                no_cookie(&res)?;
                ensure_eq!(res.body, "\"fish & chips\"", "the form's note");
                // The header instead of the field: the form reaches the handler all the same.
                let res = cx
                    .post("/guarded-form")
                    .cookie(&cookie)
                    .header("x-csrf-token", &token)
                    .form(&[("note", "second")])
                    .send()
                    .await?;
                ok(&res)?;
                ensure_eq!(res.body, "\"second\"", "the form's note");
            }
        ),
        scenario!(
            "csrf: no token is a 403 and changes nothing",
            defaults,
            |cx| {
                let (cookie, _) = token(&cx).await?;
                let before = stored(&cx, &cookie).await?;
                let req = cx.post("/guarded/set/user").cookie(&cookie);
                let res = req.json(json!("mallory")).send().await?;
                ensure_eq!(res.status, 403, "no header");
                no_cookie(&res)?;
                ensure_eq!(write(&cx, &cookie, "").await?, 403, "an empty header");
                let req = cx.post("/guarded-form").cookie(&cookie);
                let res = req.form(&[("note", "n")]).send().await?;
                ensure_eq!(res.status, 403, "a form without the field");
                no_cookie(&res)?;
                ensure_eq!(stored(&cx, &cookie).await?, before, "stored record");
                // A new visitor is refused too, and gets no session.
                let res = cx
                    .post("/guarded/set/user")
                    .json(json!("mallory"))
                    .send()
                    .await?;
                ensure_eq!(res.status, 403, "a new visitor");
                no_cookie(&res)?;
                ensure_eq!(cx.stored(), 1, "stored sessions");
            }
        ),
        scenario!("csrf: a forged token is a 403", defaults, |cx| {
            let (cookie, token) = token(&cx).await?;
            let before = stored(&cx, &cookie).await?;
            // The token with its first character changed: same shape, other secret.
            let first = if token.starts_with('A') { "B" } else { "A" };
            let tampered = format!("{first}{}", token.get(1..).unwrap_or_default());
            let zeros = "A".repeat(token.len());
            for forged in ["forged", &zeros, &tampered] {
                ensure_eq!(write(&cx, &cookie, forged).await?, 403, forged);
                ensure_eq!(submit(&cx, &cookie, forged).await?, 403, forged);
            }
            ensure_eq!(stored(&cx, &cookie).await?, before, "stored record");
        }),
        scenario!(
            "csrf: a token of another session is a 403",
            defaults,
            |cx| {
                let (ann, ann_token) = token(&cx).await?;
                let (bob, bob_token) = token(&cx).await?;
                ensure_eq!(
                    write(&cx, &bob, &ann_token).await?,
                    403,
                    "ann's token, header"
                );
                ensure_eq!(
                    submit(&cx, &bob, &ann_token).await?,
                    403,
                    "ann's token, form"
                );
                // A session that never rendered a token accepts none.
                let carl = start(&cx).await?;
                ensure_eq!(write(&cx, &carl, &ann_token).await?, 403, "carl");
                let res = cx.get("/get/user").cookie(&bob).send().await?;
                ensure_eq!(res.body, "null", "bob's data");
                ensure_eq!(write(&cx, &bob, &bob_token).await?, 200, "bob's own token");
                ensure_eq!(submit(&cx, &ann, &ann_token).await?, 200, "ann's own token");
            }
        ),
        scenario!("csrf: a token from before login is a 403", defaults, |cx| {
            let (cookie, old) = token(&cx).await?;
            let res = cx.post("/login").cookie(&cookie).send().await?;
            ok(&res)?;
            let cookie = res.cookie().ok_or("login sent no new cookie")?;
            ensure_eq!(write(&cx, &cookie, &old).await?, 403, "header");
            ensure_eq!(submit(&cx, &cookie, &old).await?, 403, "form");
            let res = cx.get("/csrf").cookie(&cookie).send().await?;
            ok(&res)?;
            no_cookie(&res)?;
            ensure_eq!(write(&cx, &cookie, &res.body).await?, 200, "a new token");
        }),
        scenario!("csrf: safe methods need no token", defaults, |cx| {
            let cookie = start(&cx).await?;
            let res = cx.get("/guarded/get/user").cookie(&cookie).send().await?;
            ok(&res)?;
            ensure_eq!(res.body, "\"ann\"", "body");
            no_cookie(&res)?;
            let res = cx.get("/guarded/get/user").send().await?;
            ok(&res)?;
            ensure_eq!(res.body, "null", "a new visitor");
            no_cookie(&res)?;
            ensure_eq!(cx.stored(), 1, "stored sessions");
        }),
        scenario!(
            "csrf: a form over the limit is a 413 and changes nothing",
            defaults,
            |cx| {
                let (cookie, token) = token(&cx).await?;
                let before = stored(&cx, &cookie).await?;
                let note = "x".repeat(FORM_LIMIT);
                let req = cx.post("/guarded-form").cookie(&cookie);
                let res = req
                    .form(&[("csrf_token", &token), ("note", &note)])
                    .send()
                    .await?;
                ensure_eq!(res.status, 413, "status");
                no_cookie(&res)?;
                ensure_eq!(stored(&cx, &cookie).await?, before, "stored record");
                ensure_eq!(submit(&cx, &cookie, &token).await?, 200, "a small form");
            }
        ),
        scenario!(
            "typed: the default, the stored value, the default for another type",
            defaults,
            |cx| {
                let res = cx.get("/typed").send().await?;
                ok(&res)?;
                ensure_eq!(res.body, r#"{"theme":""}"#, "the default");
                no_cookie(&res)?;
                ensure_eq!(cx.stored(), 0, "stored sessions");
                let res = cx
                    .post("/set/prefs")
                    .json(json!({ "theme": "dark" }))
                    .send()
                    .await?;
                let cookie = res.cookie().ok_or("no cookie")?;
                let res = cx.get("/typed").cookie(&cookie).send().await?;
                ensure_eq!(res.body, r#"{"theme":"dark"}"#, "the stored value");
                no_cookie(&res)?;
                let res = cx
                    .post("/set/prefs")
                    .cookie(&cookie)
                    .json(json!(42))
                    .send()
                    .await?;
                ok(&res)?;
                let res = cx.get("/typed").cookie(&cookie).send().await?;
                ok(&res)?;
                ensure_eq!(
                    res.body,
                    r#"{"theme":""}"#,
                    "another type reads as the default"
                );
                no_cookie(&res)?;
                let res = cx.get("/get/prefs").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "42", "the stored value, untouched");
            }
        ),
    ]
}
