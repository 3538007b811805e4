//! The demo site served in-process on loopback, driven by a real HTTP client that keeps its
//! cookie and reads every form's CSRF token from the page, as a browser would.

use std::net::SocketAddr;
use std::process::Command;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::Method;
use session_axum::SessionLayer;
use session_demo::accounts::Accounts;
use session_demo::setup::{config, open, StoreUrl};

const SECRET: &str = "a secret of at least thirty-two bytes!!";
const FORM: &str = "application/x-www-form-urlencoded";
const PASSWORD: &str = "correct horse battery";

/// Serves the site on `url`'s store; returns its base URL, its accounts and the server task.
async fn serve_on(
    url: &StoreUrl,
    accounts: Accounts,
) -> (String, Accounts, tokio::task::JoinHandle<()>) {
    let manager = open(url, config(SECRET).unwrap(), &accounts).await.unwrap();
    let app = session_demo::app(SessionLayer::new(manager), accounts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    (format!("http://{addr}"), accounts, task)
}

async fn serve() -> (String, Accounts) {
    let (base, accounts, _) = serve_on(&StoreUrl::Memory, Accounts::new()).await;
    (base, accounts)
}

/// The text of the element with `id`, from the page's HTML.
fn by_id<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find('<')?;
    Some(&html[open_end..close])
}

/// The class of the element with `id`.
fn class_of<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let tag_end = start + html[start..].find('>')?;
    let class = start + html[start..tag_end].find("class=\"")? + "class=\"".len();
    let end = class + html[class..].find('"')?;
    Some(&html[class..end])
}

/// The CSRF tokens of the page's forms, in order.
fn tokens(html: &str) -> Vec<String> {
    html.split("name=\"csrf_token\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

/// `application/x-www-form-urlencoded`, every byte but the unreserved ones escaped.
fn encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One response, read whole.
#[derive(Debug)]
struct Page {
    status: u16,
    location: Option<String>,
    set_cookie: Option<String>,
    body: String,
}

impl Page {
    fn id(&self, id: &str) -> Option<&str> {
        by_id(&self.body, id)
    }

    fn token(&self) -> String {
        tokens(&self.body)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no CSRF token on the page: {}", self.body))
    }
}

/// A browser: one cookie, kept from response to response (cleared when the server clears
/// it); redirects are followed by hand, so that every response can be checked.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookie: None,
        }
    }

    /// A new browser already logged in as `name` with `password`.
    async fn logged_in(base: &str, name: &str, password: &str) -> Self {
        let mut browser = Self::new(base);
        let me = browser.log_in(name, password).await;
        assert_eq!(me.id("user"), Some(html_escape::encode_text(name).as_ref()));
        browser
    }

    async fn send(&mut self, method: Method, path: &str, body: Option<String>) -> Page {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            req = req.header(COOKIE, cookie);
        }
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, FORM).body(body);
        }
        let res = req.send().await.unwrap();
        let header = |name| {
            res.headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (location, set_cookie) = (header(LOCATION), header(SET_COOKIE));
        if let Some(set) = &set_cookie {
            let pair = set.split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        Page {
            status: res.status().as_u16(),
            location,
            set_cookie,
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    /// A POST with exactly `fields`, no token added.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(encode(fields))).await
    }

    /// The form's token, as the page at `path` renders it now.
    async fn token(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        page.token()
    }

    /// Fills in and sends a form of the page at `from`: its token and `fields`.
    async fn submit(&mut self, from: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.token(from).await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post(action, &all).await
    }

    /// The page a 303 leads to.
    async fn follow(&mut self, page: Page) -> Page {
        assert_eq!(page.status, 303, "{}", page.body);
        let to = page.location.expect("a redirect has a Location");
        let next = self.get(&to).await;
        assert_eq!(next.status, 200, "{to}");
        next
    }

    /// Logs in through the home page's form; returns `/me` as the redirect shows it.
    async fn log_in(&mut self, name: &str, password: &str) -> Page {
        let res = self
            .submit("/", "/login", &[("name", name), ("password", password)])
            .await;
        assert_eq!(res.location.as_deref(), Some("/me"), "{}", res.body);
        self.follow(res).await
    }

    /// Whether `/me` shows someone logged in.
    async fn user(&mut self) -> Option<String> {
        let me = self.get("/me").await;
        assert_eq!(me.status, 200);
        me.id("user").map(str::to_owned)
    }
}

#[tokio::test]
async fn login_counter_logout_with_flashes_shown_once() {
    let (base, _) = serve().await;
    let mut b = Browser::new(&base);

    let me = b.get("/me").await;
    assert!(me.id("logged-out").is_some());
    assert!(
        me.set_cookie.is_none(),
        "a page without forms makes no session"
    );

    // The home page's form; the first login registers the name.
    let home = b.get("/").await;
    assert!(home.body.contains("registers it with that password"));
    assert!(
        home.set_cookie.is_some(),
        "the token's secret lives in a session"
    );
    assert_eq!(home.token().len(), 86);
    let me = b.log_in("<b>Ann & Bob</b>", PASSWORD).await;
    assert_eq!(me.id("user"), Some("&lt;b&gt;Ann &amp; Bob&lt;/b&gt;"));
    assert_eq!(me.id("visits"), Some("1"));
    assert!(!me.body.contains("<b>Ann"));
    assert_eq!(
        me.id("flash"),
        Some("Welcome, &lt;b&gt;Ann &amp; Bob&lt;/b&gt;; your account is created")
    );
    assert_eq!(class_of(&me.body, "flash"), Some("success"));

    for expected in ["2", "3"] {
        let me = b.get("/me").await;
        assert_eq!(me.id("visits"), Some(expected));
        assert!(me.id("expires").is_some_and(|t| t.ends_with(" UTC")));
        assert_eq!(me.id("flash"), None, "a flash is shown once");
    }

    let res = b.submit("/me", "/logout", &[]).await;
    assert_eq!(res.location.as_deref(), Some("/"));
    let home = b.follow(res).await;
    assert_eq!(home.id("flash"), Some("You are logged out"));
    assert_eq!(class_of(&home.body, "flash"), Some("info"));
    assert!(home.id("user").is_none());
    assert_eq!(b.get("/").await.id("flash"), None, "shown once");
    let me = b.get("/me").await;
    assert!(me.id("logged-out").is_some());
    assert!(me.id("visits").is_none());

    // Logging in again: the account exists now.
    let me = b.log_in("<b>Ann & Bob</b>", PASSWORD).await;
    assert_eq!(
        me.id("flash"),
        Some("Welcome, &lt;b&gt;Ann &amp; Bob&lt;/b&gt;")
    );
    assert_eq!(me.id("visits"), Some("1"));
}

#[tokio::test]
async fn cookie_attributes_and_remember_me() {
    let (base, _) = serve().await;
    let mut b = Browser::new(&base);
    let res = b
        .submit("/", "/login", &[("name", "ann"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 303);
    let set_cookie = res.set_cookie.clone().unwrap();
    let pair = set_cookie.split(';').next().unwrap();
    assert!(pair.starts_with("id=s%3A"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Path=/"));
    assert!(set_cookie.contains("; Secure"), "Secure by default");
    assert!(
        !set_cookie.contains("Max-Age"),
        "a browser-session cookie until remembered"
    );
    b.follow(res).await;

    let res = b.submit("/me", "/remember", &[]).await;
    assert_eq!(res.status, 303);
    let remembered = res.set_cookie.clone().unwrap();
    assert!(remembered.contains("Max-Age=2592000"), "{remembered}");
    let me = b.follow(res).await;
    assert!(me.id("remembered").is_some());
    assert_eq!(me.id("visits"), Some("3"), "the counter goes on");

    // Logging out ends "remember me" too: the goodbye message's session is a browser one.
    let res = b.submit("/me", "/logout", &[]).await;
    let after = res.set_cookie.clone().unwrap();
    assert!(!after.contains("Max-Age"), "{after}");
    assert_ne!(after.split(';').next(), Some(pair));
}

#[tokio::test]
async fn tampered_cookie_gets_a_fresh_session() {
    let (base, _) = serve().await;
    let mut b = Browser::logged_in(&base, "ann", PASSWORD).await;
    let pair = b.cookie.clone().unwrap();
    assert_eq!(b.get("/me").await.id("visits"), Some("2"));

    // Change one character of the signed id.
    let at = "id=s%3A".len() + 3;
    let old = pair.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    let mut tampered = pair.clone();
    tampered.replace_range(at..=at, &new.to_string());
    b.cookie = Some(tampered);
    let me = b.get("/me").await;
    assert!(me.id("logged-out").is_some(), "{}", me.body);

    // The real session is untouched by the forgery.
    b.cookie = Some(pair);
    assert_eq!(b.get("/me").await.id("visits"), Some("3"));
}

#[tokio::test]
async fn login_regenerates_the_id() {
    let (base, _) = serve().await;
    let mut b = Browser::logged_in(&base, "ann", PASSWORD).await;
    let first = b.cookie.clone().unwrap();
    // Logging in again while holding a session moves it to a new id; the old one is gone.
    b.log_in("bob", PASSWORD).await;
    let second = b.cookie.clone().unwrap();
    assert_ne!(first, second);
    assert_eq!(b.user().await.as_deref(), Some("bob"));
    b.cookie = Some(first);
    assert!(b.get("/me").await.id("logged-out").is_some());
}

#[tokio::test]
async fn bad_names_and_short_passwords_are_refused_and_other_pages_exist() {
    let (base, accounts) = serve().await;
    let mut b = Browser::new(&base);
    let res = b
        .submit("/", "/login", &[("name", "   "), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 400);
    assert!(res.set_cookie.is_none());
    assert!(res.id("error").is_some());
    assert_eq!(res.token().len(), 86, "the form again");

    // A new name with a short password registers nothing.
    let res = b
        .submit("/", "/login", &[("name", "cy"), ("password", "short")])
        .await;
    assert_eq!(res.status, 400);
    assert!(res.set_cookie.is_none());
    assert!(res.id("error").is_some_and(|e| e.contains("8 to 128")));
    assert_eq!(accounts.password_hash("cy"), None);
    assert_eq!(b.user().await, None);

    let sessions = b.get("/sessions").await;
    assert!(sessions.id("logged-out").is_some());
    let home = b.get("/").await;
    assert!(home.body.contains("action=\"/login\""));
}

#[tokio::test]
async fn a_wrong_password_is_401_and_changes_nothing() {
    let (base, accounts) = serve().await;
    let mut owner = Browser::logged_in(&base, "ann", PASSWORD).await;
    let phc = accounts.password_hash("ann").unwrap();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");

    let mut intruder = Browser::new(&base);
    let token = intruder.token("/").await;
    let cookie = intruder.cookie.clone();
    let res = intruder
        .post(
            "/login",
            &[
                ("name", "ann"),
                ("password", "not the password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.id("error"), Some("Wrong password for ann."));
    assert!(res.body.contains("action=\"/login\""), "the form again");
    assert!(res.body.contains("value=\"ann\""), "filled in");
    assert!(res.set_cookie.is_none(), "the session is left as it was");
    assert_eq!(intruder.cookie, cookie);
    assert_eq!(intruder.user().await, None);
    assert_eq!(accounts.password_hash("ann"), Some(phc.clone()));
    assert_eq!(owner.user().await.as_deref(), Some("ann"));

    // The same token still works (nothing rotated), and the right password logs in.
    let res = intruder
        .post(
            "/login",
            &[
                ("name", "ann"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    let me = intruder.follow(res).await;
    assert_eq!(me.id("flash"), Some("Welcome, ann"));
    assert_eq!(accounts.password_hash("ann"), Some(phc));
}

#[tokio::test]
async fn posts_without_this_sessions_current_token_are_refused() {
    let (base, accounts) = serve().await;
    let mut ann = Browser::logged_in(&base, "ann", PASSWORD).await;
    let phc = accounts.password_hash("ann").unwrap();
    let forbidden = |page: &Page| {
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(page.body.contains("reload the page"), "{}", page.body);
        assert!(page.set_cookie.is_none());
    };

    // No token: nothing happens.
    forbidden(&ann.post("/logout", &[]).await);
    forbidden(
        &ann.post("/password", &[("password", "a new password!")])
            .await,
    );
    forbidden(&ann.post("/remember", &[]).await);
    forbidden(&ann.post("/sessions/revoke-all", &[]).await);
    forbidden(
        &ann.post("/password", &[("password", "x"), ("csrf_token", "")])
            .await,
    );
    assert_eq!(accounts.password_hash("ann"), Some(phc.clone()));
    let me = ann.get("/me").await;
    assert_eq!(me.id("user"), Some("ann"));
    assert!(me.id("remembered").is_none());

    // A forged token, in the form or in the header.
    let forged = "A".repeat(86);
    forbidden(&ann.post("/logout", &[("csrf_token", &forged)]).await);
    let mut flipped = ann.token("/me").await.into_bytes();
    flipped[50] = if flipped[50] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    forbidden(&ann.post("/logout", &[("csrf_token", &flipped)]).await);
    let res = ann
        .http
        .post(format!("{base}/logout"))
        .header(COOKIE, ann.cookie.clone().unwrap())
        .header("x-csrf-token", &forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(ann.user().await.as_deref(), Some("ann"));

    // A token from another session, replayed here: a visitor's and another user's.
    let mut visitor = Browser::new(&base);
    let theirs = visitor.token("/").await;
    forbidden(&ann.post("/logout", &[("csrf_token", &theirs)]).await);
    let mut bob = Browser::logged_in(&base, "bob", PASSWORD).await;
    let bobs = bob.token("/me").await;
    forbidden(&ann.post("/remember", &[("csrf_token", &bobs)]).await);
    // ... and ann's token in bob's session.
    let anns = ann.token("/me").await;
    forbidden(&bob.post("/logout", &[("csrf_token", &anns)]).await);
    assert_eq!(ann.user().await.as_deref(), Some("ann"));
    assert_eq!(bob.user().await.as_deref(), Some("bob"));

    // A request without any session has no token to match.
    let mut stranger = Browser::new(&base);
    forbidden(
        &stranger
            .post(
                "/login",
                &[
                    ("name", "eve"),
                    ("password", PASSWORD),
                    ("csrf_token", &anns),
                ],
            )
            .await,
    );
    assert_eq!(accounts.password_hash("eve"), None);

    // The page's own token works, in the form or in the header.
    let res = ann
        .http
        .post(format!("{base}/remember"))
        .header(COOKIE, ann.cookie.clone().unwrap())
        .header("x-csrf-token", &anns)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(ann.get("/me").await.id("remembered").is_some());
}

#[tokio::test]
async fn a_token_rendered_before_login_is_stale_after_it() {
    let (base, _) = serve().await;
    let mut b = Browser::new(&base);
    let before = b.token("/").await;
    // A second token for the login form itself, rendered at the same time.
    let login_token = b.token("/").await;
    let res = b
        .post(
            "/login",
            &[
                ("name", "ann"),
                ("password", PASSWORD),
                ("csrf_token", &login_token),
            ],
        )
        .await;
    b.follow(res).await;
    let stale = b.post("/remember", &[("csrf_token", &before)]).await;
    assert_eq!(stale.status, 403);
    assert!(b.get("/me").await.id("remembered").is_none());
    let res = b.submit("/me", "/remember", &[]).await;
    assert_eq!(res.status, 303);
    assert!(b.get("/me").await.id("remembered").is_some());
    // Tokens are masked afresh for every page, and all of a session's tokens work.
    let (one, two) = (b.token("/me").await, b.token("/me").await);
    assert_ne!(one, two);
    assert_eq!(
        b.post("/remember", &[("csrf_token", &one)]).await.status,
        303
    );
}

#[tokio::test]
async fn a_password_change_logs_out_the_users_other_sessions() {
    let (base, accounts) = serve().await;
    let mut a = Browser::logged_in(&base, "zoe", PASSWORD).await;
    let mut b = Browser::logged_in(&base, "zoe", PASSWORD).await;
    let mut stranger = Browser::logged_in(&base, "yan", PASSWORD).await;
    assert_eq!(b.get("/me").await.id("visits"), Some("2"));
    let old_phc = accounts.password_hash("zoe").unwrap();

    // Too short: nothing changes.
    let res = a.submit("/me", "/password", &[("password", "short")]).await;
    assert_eq!(res.status, 400);
    assert!(res.id("error").is_some_and(|e| e.contains("unchanged")));
    assert!(res.set_cookie.is_none());
    assert_eq!(accounts.password_hash("zoe"), Some(old_phc.clone()));
    assert_eq!(b.user().await.as_deref(), Some("zoe"));

    let a_before = a.cookie.clone();
    let res = a
        .submit("/me", "/password", &[("password", "a brand new password")])
        .await;
    assert_eq!(res.location.as_deref(), Some("/me"));
    assert_ne!(a.cookie, a_before, "a new session id for the new password");
    let me = a.follow(res).await;
    assert_eq!(
        me.id("flash"),
        Some("Password changed; your other sessions are logged out")
    );
    assert_eq!(me.id("user"), Some("zoe"));
    assert_eq!(
        me.id("visits"),
        Some("4"),
        "this session's data stays: the counter goes on"
    );
    let new_phc = accounts.password_hash("zoe").unwrap();
    assert_ne!(new_phc, old_phc);

    // B's next request finds itself logged out; A and the other user stay.
    let me = b.get("/me").await;
    assert!(me.id("logged-out").is_some(), "{}", me.body);
    assert!(b.get("/sessions").await.id("logged-out").is_some());
    assert_eq!(a.user().await.as_deref(), Some("zoe"));
    assert_eq!(stranger.user().await.as_deref(), Some("yan"));
    // A's cookie from before the change is dead too.
    let mut old = Browser::new(&base);
    old.cookie = a_before;
    assert_eq!(old.user().await, None);

    // The old password no longer logs in; the new one does.
    let res = b
        .submit("/", "/login", &[("name", "zoe"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 401);
    b.log_in("zoe", "a brand new password").await;
    let list = a.get("/sessions").await;
    assert_eq!(list.id("count"), Some("2"), "{}", list.body);
}

#[test]
fn unreachable_stores_are_refused_clearly() {
    for url in [
        "redis://127.0.0.1:1",
        "postgres://app:hunter2@127.0.0.1:1/db",
        "ftp://x",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_session-demo"))
            .args(["--store", url, "--port", "0"])
            .env("SESSION_SECRET", SECRET)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("hunter2"), "{stderr}");
        if url.starts_with("ftp") {
            assert!(stderr.contains("unknown session store"), "{stderr}");
        } else {
            assert!(stderr.contains("cannot open the session store"), "{stderr}");
        }
    }
}

#[tokio::test]
async fn sqlite_store_keeps_sessions_across_restarts() {
    let dir = std::env::temp_dir().join(format!("session-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url: StoreUrl = format!("sqlite://{}", dir.join("sessions.db").display())
        .parse()
        .unwrap();
    let (base, accounts, first) = serve_on(&url, Accounts::new()).await;
    let mut b = Browser::logged_in(&base, "ann", PASSWORD).await;
    first.abort();
    // A new server process on the same file (and the same accounts): the session is still
    // there.
    let (base, accounts, _second) = serve_on(&url, accounts).await;
    b.base = base.clone();
    let me = b.get("/me").await;
    assert_eq!(me.id("user"), Some("ann"), "{}", me.body);
    // A server that forgot the account ends the session at its next request.
    let (base, _, _third) = serve_on(&url, Accounts::new()).await;
    b.base = base;
    assert_eq!(b.user().await, None);
    drop(accounts);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sessions_page_lists_and_revokes() {
    let (base, _) = serve().await;
    let mut laptop = Browser::logged_in(&base, "zoe", PASSWORD).await;
    let mut phone = Browser::logged_in(&base, "zoe", PASSWORD).await;
    let mut stranger = Browser::logged_in(&base, "yan", PASSWORD).await;

    let list = laptop.get("/sessions").await;
    assert_eq!(list.id("user"), Some("zoe"));
    assert_eq!(list.id("count"), Some("2"));
    assert_eq!(list.body.matches("(this browser)").count(), 1);
    assert!(list.body.contains("<th>Last seen</th>"));
    assert_eq!(tokens(&list.body).len(), 4, "one per form");

    // "Log out everywhere else" from the laptop ends the phone's session only.
    let res = laptop
        .submit("/sessions", "/sessions/revoke-others", &[])
        .await;
    assert_eq!(res.location.as_deref(), Some("/sessions"));
    let list = laptop.follow(res).await;
    assert_eq!(list.id("count"), Some("1"));
    assert_eq!(list.id("flash"), Some("Your other sessions are logged out"));
    assert_eq!(phone.user().await, None, "the phone is still logged in");
    assert_eq!(laptop.user().await.as_deref(), Some("zoe"));

    // "Log out everywhere" ends the laptop's too, and nobody else's.
    let res = laptop
        .submit("/sessions", "/sessions/revoke-all", &[])
        .await;
    assert_eq!(res.location.as_deref(), Some("/"));
    let home = laptop.follow(res).await;
    assert_eq!(home.id("flash"), Some("You are logged out everywhere"));
    assert_eq!(laptop.user().await, None);
    assert_eq!(stranger.user().await.as_deref(), Some("yan"));
}

/// The shortened ids a sessions page offers to log out, in its order.
fn revoke_ids(list: &str) -> Vec<String> {
    list.split("name=\"id\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn one_session_is_revoked_only_by_its_owner() {
    let (base, _) = serve().await;
    let mut laptop = Browser::logged_in(&base, "kim", PASSWORD).await;
    let mut phone = Browser::logged_in(&base, "kim", PASSWORD).await;
    let mut stranger = Browser::logged_in(&base, "lou", PASSWORD).await;

    let list = laptop.get("/sessions").await;
    let ids = revoke_ids(&list.body);
    assert_eq!(ids.len(), 2, "{}", list.body);
    let phone_list = phone.get("/sessions").await;
    let phone_id = ids
        .iter()
        .find(|id| phone_list.body.contains(&format!("{id} (this browser)")))
        .unwrap()
        .clone();

    // Another user naming kim's session ends nothing.
    let res = stranger
        .submit("/sessions", "/sessions/revoke", &[("id", &phone_id)])
        .await;
    assert_eq!(res.location.as_deref(), Some("/sessions"));
    assert_eq!(phone.user().await.as_deref(), Some("kim"));
    assert_eq!(stranger.user().await.as_deref(), Some("lou"));

    // Kim's laptop ends the phone's session, and only that one.
    let res = laptop
        .submit("/sessions", "/sessions/revoke", &[("id", &phone_id)])
        .await;
    assert_eq!(laptop.follow(res).await.id("count"), Some("1"));
    assert_eq!(phone.user().await, None);
    assert_eq!(laptop.user().await.as_deref(), Some("kim"));
}

#[tokio::test]
async fn metrics_count_sessions_in_prometheus_text() {
    let (base, _) = serve().await;
    let mut b = Browser::logged_in(&base, "metrics reader", PASSWORD).await;
    b.get("/me").await;
    // A forged cookie is refused and counted.
    let forged = reqwest::Client::new()
        .get(format!("{base}/me"))
        .header(
            COOKIE,
            "id=s%3Aforged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200);
    let res = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let value = |line_start: &str| {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {line_start} in:\n{text}"))
    };
    // Other tests share the process's recorder: at least this test's own.
    assert!(value("sessions_created_total") >= 1.0);
    assert!(value("sessions_regenerated_total") >= 1.0, "the login");
    assert!(value("session_cookie_rejected_total{reason=\"bad_signature\"}") >= 1.0);
    assert!(
        value("session_store_operation_seconds_count{op=\"load\",backend=\"memory\"}") >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("session_store_operation_seconds_bucket{"),
        "a histogram"
    );
}
