//! Cookie attributes exactly as configured, and `Secure` behind proxies.

use serde_json::json;
use session_core::{ConfigBuilder, SameSite, Secure};

use super::{attributes, ok};
use crate::http_suite::{Ctx, Scenario};

/// A new session's `Set-Cookie`, after sending `headers`.
async fn fresh(cx: &Ctx, headers: &[(&str, &str)]) -> Result<String, String> {
    let mut req = cx.post("/set/user").json(json!("ann"));
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let res = req.send().await?;
    ok(&res)?;
    res.set_cookie()
        .map(str::to_owned)
        .ok_or_else(|| format!("no single Set-Cookie: {:?}", res.set_cookies))
}

fn auto_behind(proxy: &'static str) -> impl Fn(ConfigBuilder) -> ConfigBuilder {
    move |b| b.secure(Secure::Auto).trusted_proxy(proxy)
}

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "Secure auto: https from a trusted proxy",
            |b: ConfigBuilder| auto_behind("127.0.0.1")(b),
            |cx| {
                let set = fresh(&cx, &[("x-forwarded-proto", "https")]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; Secure; SameSite=Lax",
                    "attributes"
                );
                let set = fresh(&cx, &[("x-forwarded-proto", "HTTPS, http")]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; Secure; SameSite=Lax",
                    "first of a list"
                );
            }
        ),
        scenario!(
            "Secure auto: a trusted network in CIDR",
            |b: ConfigBuilder| auto_behind("127.0.0.0/8")(b),
            |cx| {
                let set = fresh(&cx, &[("x-forwarded-proto", "https")]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; Secure; SameSite=Lax",
                    "attributes"
                );
            }
        ),
        scenario!(
            "Secure auto: an untrusted proxy is not believed",
            |b: ConfigBuilder| auto_behind("10.0.0.0/8")(b),
            |cx| {
                let set = fresh(&cx, &[("x-forwarded-proto", "https")]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; SameSite=Lax",
                    "attributes"
                );
            }
        ),
        scenario!(
            "Secure auto: plain http from a trusted proxy",
            |b: ConfigBuilder| auto_behind("127.0.0.1")(b),
            |cx| {
                let set = fresh(&cx, &[]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; SameSite=Lax",
                    "no header"
                );
                let set = fresh(&cx, &[("x-forwarded-proto", "http")]).await?;
                ensure_eq!(attributes(&set), "; Path=/; HttpOnly; SameSite=Lax", "http");
            }
        ),
        scenario!(
            "Secure always, sent back over a raw Cookie header",
            |b: ConfigBuilder| b.secure(Secure::Always),
            |cx| {
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let set = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure_eq!(
                    attributes(set),
                    "; Path=/; HttpOnly; Secure; SameSite=Lax",
                    "attributes"
                );
                let cookie = res.cookie().ok_or("no cookie")?;
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
        scenario!(
            "__Host- prefix",
            |b: ConfigBuilder| b.cookie_name("__Host-sid").secure(Secure::Always),
            |cx| {
                let res = cx.post("/set/user").json(json!("ann")).send().await?;
                let set = res.set_cookie().ok_or("no Set-Cookie")?;
                ensure!(set.starts_with("__Host-sid=s%3A"), "name: {set}");
                ensure_eq!(
                    attributes(set),
                    "; Path=/; HttpOnly; Secure; SameSite=Lax",
                    "attributes"
                );
                let cookie = res.cookie().ok_or("no cookie")?;
                let res = cx.get("/get/user").cookie(&cookie).send().await?;
                ensure_eq!(res.body, "\"ann\"", "data");
            }
        ),
        scenario!(
            "SameSite=Strict and Partitioned",
            |b: ConfigBuilder| b
                .same_site(Some(SameSite::Strict))
                .partitioned(true)
                .secure(Secure::Always),
            |cx| {
                let set = fresh(&cx, &[]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; Secure; Partitioned; SameSite=Strict",
                    "attributes"
                );
            }
        ),
        scenario!(
            "SameSite=None",
            |b: ConfigBuilder| b.same_site(Some(SameSite::None)).secure(Secure::Always),
            |cx| {
                let set = fresh(&cx, &[]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Path=/; HttpOnly; Secure; SameSite=None",
                    "attributes"
                );
            }
        ),
        scenario!(
            "no SameSite and no HttpOnly",
            |b: ConfigBuilder| b.same_site(None).http_only(false),
            |cx| {
                let set = fresh(&cx, &[]).await?;
                ensure_eq!(attributes(&set), "; Path=/", "attributes");
            }
        ),
        scenario!(
            "Domain and Path as configured",
            |b: ConfigBuilder| b.domain("example.test").path("/app"),
            |cx| {
                let set = fresh(&cx, &[]).await?;
                ensure_eq!(
                    attributes(&set),
                    "; Domain=example.test; Path=/app; HttpOnly; SameSite=Lax",
                    "attributes"
                );
                let cookie = set.split(';').next().unwrap_or_default().to_owned();
                let res = cx.post("/destroy").cookie(&cookie).send().await?;
                ensure_eq!(
                    res.set_cookie(),
                    Some("id=; Max-Age=0; Domain=example.test; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"),
                    "clearing cookie"
                );
            }
        ),
    ]
}
