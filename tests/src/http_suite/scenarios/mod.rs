//! The scenarios, grouped by what they exercise. [`all`] lists every one.

/// Returns `Err("line N: ...")` from the scenario unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!("line {}: {}", line!(), format!($($msg)+)));
        }
    };
}

/// Returns an error naming `what` unless `got == expected`.
macro_rules! ensure_eq {
    ($got:expr, $expected:expr, $what:expr) => {{
        let (got, expected) = (&$got, &$expected);
        if got != expected {
            return Err(format!(
                "line {}: {}: expected {:?}, got {:?}",
                line!(),
                $what,
                expected,
                got
            ));
        }
    }};
}

/// A [`Scenario`](super::Scenario) from a name, a configuration function and a body that
/// uses `cx` and returns `Result<(), String>` through `?`, [`ensure!`] and [`ensure_eq!`].
macro_rules! scenario {
    ($name:literal, $config:expr, |$cx:ident| $body:block) => {
        $crate::http_suite::Scenario {
            name: $name,
            config: $config,
            run: |$cx: $crate::http_suite::Ctx| -> ::futures_util::future::BoxFuture<
                'static,
                Result<(), String>,
            > {
                Box::pin(async move {
                    $body
                    #[allow(unreachable_code)]
                    Ok(())
                })
            },
        }
    };
}

mod attributes;
mod basic;
mod csrf;
mod expiry;
mod failures;
mod hostile;
mod lifecycle;
mod signing;
mod tokens;

use serde_json::json;
use session_core::ConfigBuilder;

use super::context::{Ctx, Resp};
use super::Scenario;

/// Every scenario of the suite.
///
/// ```
/// assert!(session_tests::http_suite::scenarios().len() >= 40);
/// ```
pub fn all() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(basic::scenarios());
    all.extend(expiry::scenarios());
    all.extend(signing::scenarios());
    all.extend(lifecycle::scenarios());
    all.extend(attributes::scenarios());
    all.extend(failures::scenarios());
    all.extend(tokens::scenarios());
    all.extend(hostile::scenarios());
    all.extend(csrf::scenarios());
    all
}

/// The configuration unchanged.
fn defaults(b: ConfigBuilder) -> ConfigBuilder {
    b
}

/// A new visitor writes `user = "ann"`; returns the `name=value` cookie it got.
async fn start(cx: &Ctx) -> Result<String, String> {
    let res = cx.post("/set/user").json(json!("ann")).send().await?;
    ok(&res)?;
    res.cookie()
        .ok_or_else(|| format!("no single Set-Cookie: {:?}", res.set_cookies))
}

/// A 200 response.
fn ok(res: &Resp) -> Result<(), String> {
    if res.status == 200 {
        Ok(())
    } else {
        Err(format!(
            "status {} ({:?}), expected 200",
            res.status, res.body
        ))
    }
}

/// The attributes after the value: `; Path=/; HttpOnly; ...`.
fn attributes(set_cookie: &str) -> &str {
    set_cookie.find(';').map_or("", |i| &set_cookie[i..])
}

/// No `Set-Cookie` at all.
fn no_cookie(res: &Resp) -> Result<(), String> {
    if res.set_cookies.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected Set-Cookie: {:?}", res.set_cookies))
    }
}
