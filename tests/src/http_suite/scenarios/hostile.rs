//! Hostile requests: huge and stuffed `Cookie` headers, bytes no client should send, ids
//! nobody expects and signatures mangled in transit. Each gets the right session, a new empty
//! one or a 4xx from the framework's header parser; never a panic, never a dead server, and
//! never a store call for a credential whose signature failed.
//!
//! Requests a client library refuses to build go through [`Ctx::raw`]. Their status is kept
//! out of the cross-adapter transcript, because frameworks reject malformed heads differently
//! (400 or 431); a rejection must then carry no `Set-Cookie`.
//!
//! What the reference adapters answered when this was written (axum 0.8, actix-web 4,
//! Rocket 0.5, warp 0.4, poem 3.1, salvo 1.1); the scenarios accept any of these:
//!
//! | request | axum | actix-web | Rocket | warp | poem | salvo |
//! |---|---|---|---|---|---|---|
//! | 8 KiB, 64 KiB, 5,000 cookies (session inside) | 200, loaded | 200, loaded | 200, loaded | 200, loaded | 200, loaded | 200, loaded |
//! | 5,000 forged copies + a valid one (332 KB) | 200 `null` | 431 | 200 `null` | 200 `null` | 200 `null` | 200 `null` |
//! | invalid UTF-8 in the session cookie | 200 `null` | 200 `null` | 200 `null` | 200 `null` | 200 `null` | 200 `null` |
//! | invalid UTF-8 in another cookie | 200, loaded | 200, loaded | 200 `null` (Rocket drops the header) | 200, loaded | 200, loaded | 200, loaded |
//! | a control byte or NUL in a cookie | 400 | 400 | 400 | 400 | 400 | 400 |
//! | unencoded UTF-8 id, correctly signed | 200, loaded | 200, loaded | 200, loaded | 200, loaded | 200, loaded | 200, loaded |

use serde_json::json;

use super::{defaults, no_cookie, ok};
use crate::http_suite::context::{encode, Ctx, OLD_SECRET, SECRET};
use crate::http_suite::Scenario;

/// The session every scenario protects.
const ID: &str = "fixed-hostile-id";

/// What a hostile `GET /get/user` may get, besides a 4xx with no `Set-Cookie` and no store
/// call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The seeded session (`"ann"`), loaded from the store.
    Owner,
    /// A new empty session (`null`) without a store call.
    Fresh,
    /// Either: a framework may drop a header it cannot decode.
    OwnerOrFresh,
}

/// Stores `user = "ann"` under [`ID`]; returns its `name=value` cookie.
async fn seed(cx: &Ctx) -> Result<String, String> {
    cx.seed(ID, json!({"user": "ann"})).await
}

/// Sends `GET /get/user` with the raw `Cookie` header `cookie`, checks the answer against
/// `expect`, then checks that the server still serves `owner` (the seeded cookie).
async fn probe(cx: &Ctx, cookie: &[u8], expect: Expect, owner: &str) -> Result<(), String> {
    let shown = String::from_utf8_lossy(&cookie[..cookie.len().min(80)]).into_owned();
    let before = cx.calls();
    let res = cx.raw("GET", "/get/user").cookie(cookie).send().await?;
    let calls = cx.calls() - before;
    let set_cookies = res.set_cookies();
    if !set_cookies.is_empty() {
        return Err(format!(
            "cookie {shown:?}: unexpected Set-Cookie {set_cookies:?}"
        ));
    }
    let body = res.text();
    match (res.status, body.as_str()) {
        (400..=499, _) if calls == 0 => {}
        (200, "\"ann\"") if expect != Expect::Fresh && calls > 0 => {}
        (200, "null") if expect != Expect::Owner && calls == 0 => {}
        (status, body) => {
            return Err(format!(
                "cookie {shown:?} ({} bytes): expected {expect:?} or a 4xx, got {status} {body:?} \
                 after {calls} store call(s)",
                cookie.len()
            ))
        }
    }
    alive(cx, owner).await
}

/// The server still answers, and still finds the seeded session.
async fn alive(cx: &Ctx, owner: &str) -> Result<(), String> {
    let res = cx.get("/get/user").cookie(owner).send().await?;
    ok(&res)?;
    if res.body != "\"ann\"" {
        return Err(format!(
            "after a hostile request the session reads {}",
            res.body
        ));
    }
    no_cookie(&res)
}

/// `GET /get/user` with `cookie` through the HTTP client: expects `body`, no `Set-Cookie`,
/// and a store lookup exactly when the cookie should verify.
async fn read(cx: &Ctx, cookie: &str, body: &str) -> Result<(), String> {
    let before = cx.calls();
    let res = cx.get("/get/user").cookie(cookie).send().await?;
    ok(&res)?;
    no_cookie(&res)?;
    let calls = cx.calls() - before;
    let looked_up = body != "null";
    if res.body != body || (calls > 0) != looked_up {
        return Err(format!(
            "cookie {cookie:?}: expected {body} with{} a store lookup, got {} after {calls} call(s)",
            if looked_up { "" } else { "out" },
            res.body
        ));
    }
    Ok(())
}

/// `count` junk cookies of about `size` bytes each, joined with `; `.
fn junk(count: usize, size: usize) -> String {
    (0..count)
        .map(|i| format!("junk{i}={}", "x".repeat(size)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `id=...` values signed with the wrong key: they look right and cost an HMAC each.
fn forged(count: usize) -> Result<Vec<String>, String> {
    let keyring = session_core::Keyring::new([OLD_SECRET]).map_err(|e| e.to_string())?;
    Ok((0..count)
        .map(|i| format!("id={}", encode(&keyring.sign(&format!("forged-{i}")))))
        .collect())
}

/// A fixed id whose signature under [`SECRET`] contains a `+`, and that signature.
fn id_with_plus() -> Result<(String, String), String> {
    let keyring = session_core::Keyring::new([SECRET]).map_err(|e| e.to_string())?;
    (0..1000)
        .map(|i| format!("fixed-plus-{i}"))
        .map(|id| {
            let signed = keyring.sign(&id);
            (id, signed)
        })
        .find(|(_, signed)| {
            signed
                .rsplit('.')
                .next()
                .is_some_and(|mac| mac.contains('+'))
        })
        .ok_or_else(|| "no signature with a `+` in 1000 ids".to_owned())
}

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(
            "hostile: an 8 KiB Cookie header with the session among junk loads it, or is refused",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let header = format!("{}; {owner}; {}", junk(50, 80), junk(50, 80));
                ensure!(header.len() >= 8 * 1024, "only {} bytes", header.len());
                probe(&cx, header.as_bytes(), Expect::Owner, &owner).await?;
            }
        ),
        scenario!(
            "hostile: a 64 KiB Cookie header loads the session at its end, or is refused",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let header = format!("{}; {owner}", junk(16, 4096));
                ensure!(header.len() >= 64 * 1024, "only {} bytes", header.len());
                probe(&cx, header.as_bytes(), Expect::Owner, &owner).await?;
            }
        ),
        scenario!(
            "hostile: 5,000 cookies in one header: the session among them loads, or is refused",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let header = format!("{}; {owner}; {}", junk(2500, 1), junk(2500, 1));
                probe(&cx, header.as_bytes(), Expect::Owner, &owner).await?;
            }
        ),
        scenario!(
            "hostile: 5,000 forged session cookies then a valid one: only the first 8 are \
             verified, so the valid one is ignored (new session, no lookup)",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let mut cookies = forged(5000)?;
                cookies.push(owner.clone());
                let header = cookies.join("; ");
                probe(&cx, header.as_bytes(), Expect::Fresh, &owner).await?;
            }
        ),
        scenario!(
            "hostile: a valid 8th copy of the session cookie loads, a valid 9th is ignored",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let forged = forged(8)?;
                read(
                    &cx,
                    &format!("{}; {owner}", forged[..7].join("; ")),
                    "\"ann\"",
                )
                .await?;
                read(&cx, &format!("{}; {owner}", forged.join("; ")), "null").await?;
                // Spread over several headers, the count is the same.
                let before = cx.calls();
                let mut req = cx.get("/get/user");
                for cookie in &forged {
                    req = req.cookie(cookie);
                }
                let res = req.cookie(&owner).send().await?;
                ensure_eq!(res.body, "null", "a 9th valid copy in a 9th header");
                ensure_eq!(cx.calls(), before, "store calls");
            }
        ),
        scenario!(
            "hostile: writing with only forged cookies creates a new session, loading none",
            defaults,
            |cx| {
                let forged = forged(9)?.join("; ");
                let res = cx
                    .post("/set/user")
                    .cookie(&forged)
                    .json(json!("eve"))
                    .send()
                    .await?;
                ok(&res)?;
                let cookie = res.cookie().ok_or("no new session cookie")?;
                let id = cx.id_of(&cookie).ok_or("the new cookie does not verify")?;
                ensure!(
                    id.as_str().len() == 32,
                    "not a generated id: {}",
                    id.as_str()
                );
                ensure_eq!(cx.calls(), 1, "store calls (one create, no load)");
                ensure_eq!(cx.stored(), 1, "stored sessions");
            }
        ),
        scenario!(
            "hostile: invalid UTF-8 in the session cookie: a new session or a 400, no lookup",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let mut spoiled = owner.clone().into_bytes();
                let last = spoiled.len() - 1;
                spoiled[last] = 0xff;
                let cases: [&[u8]; 4] = [
                    &spoiled,
                    b"id=s%3A\xff\xfe.AAAA",
                    b"id=\xc3\x28",
                    b"id=s:\xed\xa0\x80.mac",
                ];
                for cookie in cases {
                    probe(&cx, cookie, Expect::Fresh, &owner).await?;
                }
            }
        ),
        scenario!(
            "hostile: invalid UTF-8 in another cookie: the session loads, or the header is \
             dropped or refused",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let mut header = b"a=\xff\xfe\xfd; ".to_vec();
                header.extend_from_slice(owner.as_bytes());
                probe(&cx, &header, Expect::OwnerOrFresh, &owner).await?;
            }
        ),
        scenario!(
            "hostile: control bytes and NUL in the session cookie: a new session or a 400",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                for byte in [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f] {
                    let mut spoiled = owner.clone().into_bytes();
                    spoiled.insert(spoiled.len() - 4, byte);
                    probe(&cx, &spoiled, Expect::Fresh, &owner).await?;
                    probe(
                        &cx,
                        &[b"id=".as_slice(), &[byte]].concat(),
                        Expect::Fresh,
                        &owner,
                    )
                    .await?;
                }
            }
        ),
        scenario!(
            "hostile: by default a correctly signed id not shaped like a generated one is never looked up",
            |b: session_core::ConfigBuilder| b.foreign_ids(false),
            |cx| {
                for id in ["x".to_owned(), "y".repeat(1500), "eyJhbGciOiJIUzI1NiJ9.e30".to_owned()] {
                    let cookie = cx.seed(&id, json!({"user": "ann"})).await?;
                    read(&cx, &cookie, "null").await?;
                }
                let generated = session_core::SessionId::generate().map_err(|e| e.to_string())?;
                let cookie = cx.seed(generated.as_str(), json!({"user": "ann"})).await?;
                read(&cx, &cookie, "\"ann\"").await?;
            }
        ),
        scenario!(
            "hostile: with foreign ids on, correctly signed ids of any length and alphabet are looked up",
            defaults,
            |cx| {
                let owner = seed(&cx).await?;
                let odd = [
                    "x".to_owned(),
                    "y".repeat(1500),
                    "ünïcødé ☃ id".to_owned(),
                    "a;b,c=d\"e\\f/g+h".to_owned(),
                    "nul\0and\r\nbreaks\t".to_owned(),
                    "%41%zz".to_owned(),
                ];
                for id in &odd {
                    let cookie = cx.seed(id, json!({"user": "ann"})).await?;
                    read(&cx, &cookie, "\"ann\"").await?;
                }
                // Unencoded UTF-8 is how a non-express server may send it.
                let raw = session_core::Keyring::new([SECRET])
                    .map_err(|e| e.to_string())?
                    .sign(&odd[2]);
                let header = format!("id={raw}");
                probe(&cx, header.as_bytes(), Expect::OwnerOrFresh, &owner).await?;
                // A wrong-length id signed with the wrong key is still never looked up.
                let forged = forged(1)?.concat();
                read(&cx, &forged, "null").await?;
            }
        ),
        scenario!(
            "hostile: a `+` in the signature sent as a space or %20 fails, sent raw it verifies",
            defaults,
            |cx| {
                let (id, signed) = id_with_plus()?;
                let cookie = cx.seed(&id, json!({"user": "ann"})).await?;
                ensure!(cookie.contains("%2B"), "{cookie} has no encoded `+`");
                read(&cx, &cookie, "\"ann\"").await?;
                read(&cx, &cookie.replace("%2B", "+"), "\"ann\"").await?;
                read(&cx, &format!("id={signed}"), "\"ann\"").await?;
                read(&cx, &cookie.replace("%2B", " "), "null").await?;
                read(&cx, &cookie.replace("%2B", "%20"), "null").await?;
                read(&cx, &format!("id={}", signed.replace('+', " ")), "null").await?;
                read(&cx, &format!("id={}", signed.replace('+', "-")), "null").await?;
            }
        ),
        scenario!(
            "hostile: a truncated percent escape fails without a lookup",
            defaults,
            |cx| {
                let (id, _) = id_with_plus()?;
                let cookie = cx.seed(&id, json!({"user": "ann"})).await?;
                let cut = cookie.find("%2B").ok_or("no `%2B`")?;
                read(&cx, &format!("{}%2", &cookie[..cut]), "null").await?;
                read(&cx, &format!("{cookie}%"), "null").await?;
                read(&cx, &format!("{cookie}%4"), "null").await?;
                read(&cx, &cookie.replacen("%3A", "%3", 1), "null").await?;
                read(&cx, "id=s%3", "null").await?;
                read(&cx, "id=%", "null").await?;
                read(&cx, &cookie, "\"ann\"").await?;
            }
        ),
    ]
}
