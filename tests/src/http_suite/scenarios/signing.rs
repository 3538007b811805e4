//! Signed cookies: rotation, tampering, malformed and duplicated cookies, percent-encoding.

use serde_json::json;
use session_core::{ConfigBuilder, DuplicateCookies};

use super::{attributes, defaults, no_cookie, ok, start};
use crate::http_suite::context::{encode, OLD_SECRET, SECRET};
use crate::http_suite::Scenario;

fn rotated(b: ConfigBuilder) -> ConfigBuilder {
    b.secret(OLD_SECRET)
}

/// Reads `user` with the raw `Cookie` header `cookie`; expects 200, no `Set-Cookie`, and
/// zero store calls when the cookie must not verify.
async fn rejected(cx: &crate::http_suite::Ctx, cookie: &str) -> Result<(), String> {
    let before = cx.calls();
    let res = cx.get("/get/user").cookie(cookie).send().await?;
    ok(&res)?;
    if res.body != "null" {
        return Err(format!("cookie {cookie:?} was accepted: {}", res.body));
    }
    no_cookie(&res)?;
    if cx.calls() != before {
        return Err(format!("cookie {cookie:?} reached the store"));
    }
    Ok(())
}

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "a cookie signed with the old secret is accepted and re-signed",
            rotated,
            |cx| {
                let current = cx.seed("fixed-rotation-id", json!({"user": "ann"})).await?;
                let old = cx.signed_cookie("fixed-rotation-id", OLD_SECRET);
                let res = cx.get("/get/user").cookie(&old).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
                let resigned = res.set_cookie().ok_or("not re-signed")?;
                ensure_eq!(
                    resigned,
                    format!("{current}; Path=/; HttpOnly; SameSite=Lax"),
                    "re-signed cookie"
                );
                let res = cx.get("/get/user").cookie(&current).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data with the new cookie");
                no_cookie(&res)?;
            }
        ),
        scenario!(
            "a cookie signed with a retired secret is rejected",
            defaults,
            |cx| {
                cx.seed("fixed-retired-id", json!({"user": "ann"})).await?;
                let old = cx.signed_cookie("fixed-retired-id", OLD_SECRET);
                rejected(&cx, &old).await?;
            }
        ),
        scenario!("a tampered signature is rejected", defaults, |cx| {
            let cookie = start(&cx).await?;
            let last = cookie.chars().last().ok_or("empty cookie")?;
            let flipped = if last == 'A' { 'B' } else { 'A' };
            let tampered = format!("{}{flipped}", &cookie[..cookie.len() - 1]);
            rejected(&cx, &tampered).await?;
        }),
        scenario!("a tampered id is rejected", defaults, |cx| {
            cx.seed("fixed-tamper-id", json!({"user": "ann"})).await?;
            let good = cx.signed_cookie("fixed-tamper-id", SECRET);
            rejected(&cx, &good.replace("fixed-tamper-id", "fixed-tamper-ie")).await?;
        }),
        scenario!("a truncated cookie is rejected", defaults, |cx| {
            let cookie = start(&cx).await?;
            rejected(&cx, &cookie[..cookie.len() - 5]).await?;
            rejected(&cx, "id=s%3A").await?;
            rejected(&cx, "id=").await?;
        }),
        scenario!(
            "an unsigned cookie is rejected and never adopted",
            defaults,
            |cx| {
                cx.seed("fixed-unsigned-id", json!({"user": "ann"})).await?;
                rejected(&cx, "id=fixed-unsigned-id").await?;
                rejected(&cx, "id=s%3Afixed-unsigned-id").await?;
                let res = cx
                    .post("/set/user")
                    .cookie("id=attacker-id")
                    .json(json!("eve"))
                    .send()
                    .await?;
                let cookie = res.cookie().ok_or("no cookie")?;
                let id = cx.id_of(&cookie).ok_or("unsigned cookie")?;
                ensure!(id.as_str() != "attacker-id", "the visitor chose the id");
            }
        ),
        scenario!("an oversized cookie is ignored", defaults, |cx| {
            let long_id = "x".repeat(5000);
            let cookie = cx.seed(&long_id, json!({"user": "ann"})).await?;
            rejected(&cx, &cookie).await?;
        }),
        scenario!(
            "duplicated cookies: the first valid one wins",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                let value = cookie.trim_start_matches("id=");
                let res = cx
                    .get("/get/user")
                    .cookie(&format!("id=garbage; id={value}"))
                    .send()
                    .await?;
                ensure_eq!(res.body, "\"ann\"", "data");
                no_cookie(&res)?;
            }
        ),
        scenario!("duplicated cookies in two Cookie headers", defaults, |cx| {
            let cookie = start(&cx).await?;
            let res = cx
                .get("/get/user")
                .cookie("id=garbage")
                .cookie(&cookie)
                .send()
                .await?;
            ensure_eq!(res.body, "\"ann\"", "data");
        }),
        scenario!(
            "duplicated cookies with first-only: the first decides",
            |b: ConfigBuilder| b.duplicate_cookies(DuplicateCookies::FirstOnly),
            |cx| {
                let cookie = start(&cx).await?;
                let value = cookie.trim_start_matches("id=").to_owned();
                rejected(&cx, &format!("id=garbage; id={value}")).await?;
                let res = cx
                    .get("/get/user")
                    .cookie(&format!("id={value}; id=garbage"))
                    .send()
                    .await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
        scenario!(
            "percent-encoding: lower-case escapes and raw values",
            defaults,
            |cx| {
                let cookie = cx.seed("fixed-encoding-id", json!({"user": "ann"})).await?;
                let lower = cookie
                    .replace("%3A", "%3a")
                    .replace("%2F", "%2f")
                    .replace("%2B", "%2b");
                let res = cx.get("/get/user").cookie(&lower).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data with lower-case escapes");
                let signed = session_core::Keyring::new([SECRET])
                    .map_err(|e| e.to_string())?
                    .sign("fixed-encoding-id");
                if !signed.contains(';') && !signed.contains(' ') {
                    let res = cx
                        .get("/get/user")
                        .cookie(&format!("id={signed}"))
                        .send()
                        .await?;
                    ensure_eq!(res.body, "\"ann\"", "data with an unencoded value");
                }
                ensure_eq!(format!("id={}", encode(&signed)), cookie, "encoded form");
            }
        ),
        scenario!("percent-encoding: a quoted value", defaults, |cx| {
            let cookie = start(&cx).await?;
            let value = cookie.trim_start_matches("id=");
            let res = cx
                .get("/get/user")
                .cookie(&format!("id=\"{value}\""))
                .send()
                .await?;
            ensure_eq!(res.body, "\"ann\"", "data");
        }),
        scenario!(
            "percent-encoding: a malformed escape is rejected, not an error",
            defaults,
            |cx| {
                let cookie = start(&cx).await?;
                rejected(&cx, &format!("{cookie}%ZZ")).await?;
                rejected(&cx, &cookie.replace("%3A", "%")).await?;
                rejected(&cx, "id=%E0%A4%A").await?;
            }
        ),
        scenario!("other cookies are left alone", defaults, |cx| {
            let cookie = start(&cx).await?;
            let res = cx
                .get("/get/user")
                .cookie(&format!("a=1; {cookie}; b=2"))
                .send()
                .await?;
            ensure_eq!(res.body, "\"ann\"", "data");
            no_cookie(&res)?;
            let res = cx
                .post("/set/user")
                .cookie(&format!("a=1; {cookie}"))
                .json(json!("bob"))
                .send()
                .await?;
            ok(&res)?;
            ensure!(
                res.set_cookies.iter().all(|c| c.starts_with("id=")),
                "touched other cookies: {:?}",
                res.set_cookies
            );
        }),
        scenario!(
            "a custom cookie name",
            |b: ConfigBuilder| b.cookie_name("connect.sid"),
            |cx| {
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let set = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure!(set.starts_with("connect.sid=s%3A"), "name: {set}");
                ensure_eq!(
                    attributes(set),
                    "; Path=/; HttpOnly; SameSite=Lax",
                    "attributes"
                );
                let cookie = res.cookie().ok_or("no cookie")?;
                rejected(&cx, &cookie.replace("connect.sid=", "id=")).await?;
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
    ]
}
