//! The demo site served in-process on loopback, driven by a real HTTP client.

use std::net::SocketAddr;
use std::process::Command;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use session_axum::SessionLayer;
use session_demo::setup::{config, open, StoreUrl};

const SECRET: &str = "a secret of at least thirty-two bytes!!";
const FORM: &str = "application/x-www-form-urlencoded";

async fn serve() -> String {
    let manager = open(&StoreUrl::Memory, config(SECRET).unwrap())
        .await
        .unwrap();
    let app = session_demo::app(SessionLayer::new(manager));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    format!("http://{addr}")
}

/// The text of the element with `id`, from the page's HTML.
fn by_id<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find('<')?;
    Some(&html[open_end..close])
}

async fn page(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn login_counter_logout() {
    let base = serve().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();

    let me = page(&client, &format!("{base}/me")).await;
    assert!(by_id(&me, "logged-out").is_some());

    // Login redirects to /me, the first view.
    let res = client
        .post(format!("{base}/login"))
        .header(CONTENT_TYPE, FORM)
        .body("name=%3Cb%3EAnn+%26+Bob%3C%2Fb%3E")
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/me");
    let me = res.text().await.unwrap();
    assert_eq!(by_id(&me, "user"), Some("&lt;b&gt;Ann &amp; Bob&lt;/b&gt;"));
    assert_eq!(by_id(&me, "visits"), Some("1"));
    assert!(!me.contains("<b>Ann"));

    for expected in ["2", "3"] {
        let me = page(&client, &format!("{base}/me")).await;
        assert_eq!(by_id(&me, "visits"), Some(expected));
        assert!(by_id(&me, "expires").is_some_and(|t| t.ends_with(" UTC")));
    }

    let res = client.post(format!("{base}/logout")).send().await.unwrap();
    assert_eq!(res.url().path(), "/");
    let me = page(&client, &format!("{base}/me")).await;
    assert!(by_id(&me, "logged-out").is_some());
    assert!(by_id(&me, "visits").is_none());
}

/// Logs in without following the redirect; returns the `name=value` cookie pair.
async fn login(client: &reqwest::Client, base: &str) -> (String, String) {
    let res = client
        .post(format!("{base}/login"))
        .header(CONTENT_TYPE, FORM)
        .body("name=ann")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/me");
    let set_cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (pair, set_cookie)
}

#[tokio::test]
async fn cookie_attributes_and_remember_me() {
    let base = serve().await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (pair, set_cookie) = login(&client, &base).await;
    assert!(pair.starts_with("id=s%3A"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Path=/"));
    assert!(set_cookie.contains("; Secure"), "Secure by default");
    assert!(
        !set_cookie.contains("Max-Age"),
        "a browser-session cookie until remembered"
    );

    let res = client
        .post(format!("{base}/remember"))
        .header(COOKIE, &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let remembered = res.headers()[SET_COOKIE].to_str().unwrap();
    assert!(remembered.contains("Max-Age=2592000"), "{remembered}");
    let me = client
        .get(format!("{base}/me"))
        .header(COOKIE, &pair)
        .send()
        .await
        .unwrap();
    assert!(by_id(&me.text().await.unwrap(), "remembered").is_some());
}

#[tokio::test]
async fn tampered_cookie_gets_a_fresh_session() {
    let base = serve().await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (pair, _) = login(&client, &base).await;
    let get_me = |cookie: String| {
        let req = client.get(format!("{base}/me")).header(COOKIE, cookie);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(by_id(&get_me(pair.clone()).await, "visits"), Some("1"));

    // Change one character of the signed id.
    let at = "id=s%3A".len() + 3;
    let old = pair.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    let mut tampered = pair.clone();
    tampered.replace_range(at..=at, &new.to_string());
    let me = get_me(tampered).await;
    assert!(by_id(&me, "logged-out").is_some(), "{me}");

    // The real session is untouched by the forgery.
    assert_eq!(by_id(&get_me(pair).await, "visits"), Some("2"));
}

#[tokio::test]
async fn login_regenerates_the_id() {
    let base = serve().await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (first, _) = login(&client, &base).await;
    // Logging in again while holding a session moves it to a new id; the old one is gone.
    let res = client
        .post(format!("{base}/login"))
        .header(COOKIE, &first)
        .header(CONTENT_TYPE, FORM)
        .body("name=bob")
        .send()
        .await
        .unwrap();
    let second = res.headers()[SET_COOKIE].to_str().unwrap();
    let second = second.split(';').next().unwrap().to_owned();
    assert_ne!(first, second);
    let me = |cookie: String| {
        let req = client.get(format!("{base}/me")).header(COOKIE, cookie);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    assert!(by_id(&me(first).await, "logged-out").is_some());
    assert_eq!(by_id(&me(second).await, "user"), Some("bob"));
}

#[tokio::test]
async fn bad_names_are_refused_and_other_pages_exist() {
    let base = serve().await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/login"))
        .header(CONTENT_TYPE, FORM)
        .body("name=+++")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert!(by_id(&res.text().await.unwrap(), "error").is_some());

    let sessions = page(&client, &format!("{base}/sessions")).await;
    assert!(by_id(&sessions, "logged-out").is_some());
    let home = page(&client, &format!("{base}/")).await;
    assert!(home.contains("action=\"/login\""));
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
    let start = |url: StoreUrl| async move {
        let manager = open(&url, config(SECRET).unwrap()).await.unwrap();
        let app = session_demo::app(SessionLayer::new(manager));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
        (format!("http://{addr}"), task)
    };
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let (base, first) = start(url.clone()).await;
    let res = client
        .post(format!("{base}/login"))
        .header(CONTENT_TYPE, FORM)
        .body("name=ann")
        .send()
        .await
        .unwrap();
    assert!(by_id(&res.text().await.unwrap(), "user").is_some());
    first.abort();
    // A new server process on the same file: the session is still there.
    let (base, _second) = start(url).await;
    let me = page(&client, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("ann"), "{me}");
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn logged_in_client(base: &str, name: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/login"))
        .header(CONTENT_TYPE, FORM)
        .body(format!("name={name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/me");
    client
}

#[tokio::test]
async fn sessions_page_lists_and_revokes() {
    let base = serve().await;
    let laptop = logged_in_client(&base, "zoe").await;
    let phone = logged_in_client(&base, "zoe").await;
    let stranger = logged_in_client(&base, "yan").await;

    let list = page(&laptop, &format!("{base}/sessions")).await;
    assert_eq!(by_id(&list, "user"), Some("zoe"));
    assert_eq!(by_id(&list, "count"), Some("2"));
    assert_eq!(list.matches("(this browser)").count(), 1);
    assert!(list.contains("<th>Last seen</th>"));

    // "Log out everywhere else" from the laptop ends the phone's session only.
    let res = laptop
        .post(format!("{base}/sessions/revoke-others"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/sessions");
    assert_eq!(by_id(&res.text().await.unwrap(), "count"), Some("1"));
    let me = page(&phone, &format!("{base}/me")).await;
    assert!(
        by_id(&me, "logged-out").is_some(),
        "the phone is still logged in"
    );
    let me = page(&laptop, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("zoe"));

    // "Log out everywhere" ends the laptop's too, and nobody else's.
    let res = laptop
        .post(format!("{base}/sessions/revoke-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/");
    let me = page(&laptop, &format!("{base}/me")).await;
    assert!(by_id(&me, "logged-out").is_some());
    let me = page(&stranger, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("yan"));
}

/// Posts the sessions page's "Log out" form for the session shortened to `id`.
async fn revoke(client: &reqwest::Client, base: &str, id: &str) -> reqwest::Response {
    client
        .post(format!("{base}/sessions/revoke"))
        .header(CONTENT_TYPE, FORM)
        .body(format!("id={id}"))
        .send()
        .await
        .unwrap()
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
    let base = serve().await;
    let laptop = logged_in_client(&base, "kim").await;
    let phone = logged_in_client(&base, "kim").await;
    let stranger = logged_in_client(&base, "lou").await;

    let list = page(&laptop, &format!("{base}/sessions")).await;
    let ids = revoke_ids(&list);
    assert_eq!(ids.len(), 2, "{list}");
    let phone_list = page(&phone, &format!("{base}/sessions")).await;
    let phone_id = ids
        .iter()
        .find(|id| phone_list.contains(&format!("{id} (this browser)")))
        .unwrap()
        .clone();

    // Another user naming kim's session ends nothing.
    let res = revoke(&stranger, &base, &phone_id).await;
    assert_eq!(res.url().path(), "/sessions");
    let me = page(&phone, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("kim"));
    let me = page(&stranger, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("lou"));

    // Kim's laptop ends the phone's session, and only that one.
    let res = revoke(&laptop, &base, &phone_id).await;
    assert_eq!(by_id(&res.text().await.unwrap(), "count"), Some("1"));
    let me = page(&phone, &format!("{base}/me")).await;
    assert!(by_id(&me, "logged-out").is_some());
    let me = page(&laptop, &format!("{base}/me")).await;
    assert_eq!(by_id(&me, "user"), Some("kim"));
}
