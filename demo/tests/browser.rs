//! The demo in headless Chromium through WebDriver: what a real browser stores and sends.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages `chromium` and
//! `chromium-driver`; override the paths with env `CHROMIUM` / `CHROMEDRIVER`). Without them
//! the test prints a notice and passes, except in CI (`CI=true`), where it fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use session_axum::SessionLayer;
use session_demo::accounts::Accounts;
use session_demo::setup::{config, open, StoreUrl};

const SECRET: &str = "a secret of at least thirty-two bytes!!";

fn tool(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// chromedriver, its browsers and their profile directories; all gone when dropped.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start(chromedriver: &PathBuf) -> Self {
        // Ask the OS for a free port, then hand it to chromedriver.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let profile = std::env::temp_dir().join(format!(
            "session-demo-chromium-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            0,
        )
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let driver = Self {
            child,
            port,
            profile,
        };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("chromedriver did not listen on port {port} within 10 s");
    }

    /// A browser with a profile of its own (its own cookies), named `name`.
    async fn browser(&self, chromium: &PathBuf, name: &str) -> Client {
        let profile = format!("--user-data-dir={}", self.profile.join(name).display());
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            profile.as_str(),
        ];
        let options = serde_json::json!({ "binary": chromium, "args": args });
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The browser runs in chromedriver's process group: end the group we started, so no
        // Chromium outlives the test even if the session was not closed.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    format!("http://{addr}")
}

async fn serve_demo() -> (String, Accounts) {
    let accounts = Accounts::new();
    let manager = open(&StoreUrl::Memory, config(SECRET).unwrap(), &accounts)
        .await
        .unwrap();
    let app = session_demo::app(SessionLayer::new(manager), accounts.clone());
    (serve(app).await, accounts)
}

/// Another site's page that, once loaded, posts a form to the demo's `action` with `fields`
/// and no CSRF token: a cross-site request forgery.
async fn serve_attacker(demo: &str) -> String {
    let demo = demo.to_owned();
    let page = move |Path(action): Path<String>| {
        let fields = match action.as_str() {
            "password" => "<input name=\"password\" value=\"chosen by the attacker\">",
            _ => "",
        };
        let html = format!(
            "<!doctype html><html><body><form id=\"forged\" method=\"post\" \
             action=\"{demo}/{action}\">{fields}</form>\
             <script>document.getElementById('forged').submit()</script></body></html>"
        );
        async move { Html(html) }
    };
    serve(axum::Router::new().route("/{action}", get(page))).await
}

/// The system clock, to check the expiry the browser stored. The workspace bans reading the
/// clock so the core stays deterministic; a browser test can only compare with real time.
#[allow(clippy::disallowed_methods)]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

async fn text(browser: &Client, id: &str) -> Option<String> {
    match browser.find(Locator::Id(id)).await {
        Ok(element) => Some(element.text().await.unwrap()),
        Err(_) => None,
    }
}

/// The flash message on the page: its level (the class) and text.
async fn flash(browser: &Client) -> Option<(String, String)> {
    let element = browser.find(Locator::Id("flash")).await.ok()?;
    let class = element.attr("class").await.unwrap().unwrap_or_default();
    Some((class, element.text().await.unwrap()))
}

fn flash_of(level: &str, text: &str) -> Option<(String, String)> {
    Some((level.to_owned(), text.to_owned()))
}

async fn type_into(browser: &Client, id: &str, keys: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

async fn click(browser: &Client, id: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn wait_for(browser: &Client, id: &str) {
    browser.wait().for_element(Locator::Id(id)).await.unwrap();
}

async fn log_in(browser: &Client, base: &str, name: &str, password: &str) {
    browser.goto(&format!("{base}/")).await.unwrap();
    type_into(browser, "name", name).await;
    type_into(browser, "password", password).await;
    click(browser, "login").await;
    wait_for(browser, "visits").await;
}

/// Waits until the browser shows `url` (after a script's navigation, say).
async fn wait_for_url(browser: &Client, url: &str) {
    let mut at = String::new();
    for _ in 0..200 {
        at = browser.current_url().await.unwrap().to_string();
        if at == url {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the browser never reached {url}: it shows {at}: {}",
        body_text(browser).await
    );
}

/// The text of the whole page (a plain-text response included).
async fn body_text(browser: &Client) -> String {
    let body = browser.find(Locator::Css("body")).await.unwrap();
    body.text().await.unwrap()
}

const NAME: &str = "Ann <b>&";
const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new password";

async fn scenario(a: Client, b: Client, base: String, attacker: String, accounts: Accounts) {
    log_in(&a, &base, NAME, PASSWORD).await;
    assert_eq!(
        flash(&a).await,
        flash_of("success", "Welcome, Ann <b>&; your account is created")
    );
    assert_eq!(text(&a, "user").await.as_deref(), Some(NAME));
    assert_eq!(text(&a, "visits").await.as_deref(), Some("1"));
    for expected in ["2", "3"] {
        a.refresh().await.unwrap();
        assert_eq!(text(&a, "visits").await.as_deref(), Some(expected));
        assert_eq!(flash(&a).await, None, "a flash is shown once");
    }

    // The cookie as the browser stored it.
    let cookie = a.get_named_cookie("id").await.unwrap();
    assert!(cookie.value().starts_with("s%3A"), "{cookie}");
    assert_eq!(cookie.http_only(), Some(true));
    assert!(cookie.same_site().is_some_and(|s| s.is_lax()), "{cookie}");
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(
        cookie.secure(),
        Some(true),
        "Secure by default; browsers keep it on http://127.0.0.1"
    );
    assert_eq!(cookie.expires_datetime(), None, "a browser-session cookie");

    // Remember me: the same session, now with a cookie that outlives the browser by 30 days.
    click(&a, "remember").await;
    wait_for(&a, "remembered").await;
    assert_eq!(text(&a, "visits").await.as_deref(), Some("4"));
    let remembered = a.get_named_cookie("id").await.unwrap();
    let expires = remembered.expires_datetime().expect("a persistent cookie");
    let ahead = expires - now();
    let thirty_days = time::Duration::days(30);
    assert!(
        (ahead - thirty_days).abs() < time::Duration::minutes(5),
        "expires in {ahead}"
    );

    // A second browser, with its own profile, logs in as the same user.
    log_in(&b, &base, NAME, PASSWORD).await;
    assert_eq!(flash(&b).await, flash_of("success", "Welcome, Ann <b>&"));
    assert_eq!(text(&b, "user").await.as_deref(), Some(NAME));

    // The first one changes the password: it stays logged in, under a new session id.
    type_into(&a, "new-password", NEW_PASSWORD).await;
    click(&a, "change-password").await;
    wait_for(&a, "flash").await;
    assert_eq!(
        flash(&a).await,
        flash_of(
            "success",
            "Password changed; your other sessions are logged out"
        )
    );
    assert_eq!(text(&a, "user").await.as_deref(), Some(NAME));
    assert_eq!(text(&a, "visits").await.as_deref(), Some("5"));
    assert!(text(&a, "remembered").await.is_some());
    let changed = a.get_named_cookie("id").await.unwrap();
    assert_ne!(changed.value(), remembered.value(), "a new session id");
    assert!(changed.expires_datetime().is_some(), "still remembered");
    // The second browser's next request finds it logged out; the first stays.
    b.refresh().await.unwrap();
    assert!(
        text(&b, "logged-out").await.is_some(),
        "{}",
        body_text(&b).await
    );
    assert_eq!(text(&b, "user").await, None);
    a.refresh().await.unwrap();
    assert_eq!(text(&a, "user").await.as_deref(), Some(NAME));
    // The old password no longer works there; the new one does.
    b.goto(&format!("{base}/")).await.unwrap();
    type_into(&b, "name", NAME).await;
    type_into(&b, "password", PASSWORD).await;
    click(&b, "login").await;
    wait_for(&b, "error").await;
    assert_eq!(
        text(&b, "error").await.as_deref(),
        Some("Wrong password for Ann <b>&.")
    );
    log_in(&b, &base, NAME, NEW_PASSWORD).await;
    assert_eq!(text(&b, "user").await.as_deref(), Some(NAME));

    // Log out: a goodbye message in a new session, and replaying the old cookie finds
    // nothing.
    let before_logout = a.get_named_cookie("id").await.unwrap();
    click(&a, "logout").await;
    wait_for(&a, "login").await;
    assert_eq!(flash(&a).await, flash_of("info", "You are logged out"));
    let after = a.get_named_cookie("id").await.unwrap();
    assert_ne!(after.value(), before_logout.value());
    assert_eq!(after.expires_datetime(), None, "remember me ends at logout");
    a.refresh().await.unwrap();
    assert_eq!(flash(&a).await, None, "shown once");
    // Every cookie re-added here keeps the domain the browser reported: WebDriver sends an
    // absent domain as `null`, which chromedriver refuses.
    a.delete_cookie("id").await.unwrap();
    a.add_cookie(before_logout).await.unwrap();
    a.goto(&format!("{base}/me")).await.unwrap();
    assert!(
        text(&a, "logged-out").await.is_some(),
        "a logged-out session stays dead"
    );
    // The other browser's session is untouched.
    b.goto(&format!("{base}/me")).await.unwrap();
    assert_eq!(text(&b, "user").await.as_deref(), Some(NAME));

    // A fresh login, then one character of the cookie changed by hand.
    a.delete_cookie("id").await.unwrap();
    log_in(&a, &base, "Bea", PASSWORD).await;
    let genuine = a.get_named_cookie("id").await.unwrap();
    let mut forged = genuine.clone();
    let mut value = genuine.value().to_owned();
    let at = "s%3A".len() + 2;
    let swap = if &value[at..=at] == "A" { "B" } else { "A" };
    value.replace_range(at..=at, swap);
    forged.set_value(value);
    a.delete_cookie("id").await.unwrap();
    a.add_cookie(forged).await.unwrap();
    a.goto(&format!("{base}/me")).await.unwrap();
    assert!(
        text(&a, "logged-out").await.is_some(),
        "a forged cookie is a new session"
    );
    assert_eq!(text(&a, "user").await, None);
    assert_eq!(text(&a, "visits").await, None);

    // The genuine session was not harmed by the forgery.
    a.delete_cookie("id").await.unwrap();
    a.add_cookie(genuine).await.unwrap();
    a.goto(&format!("{base}/me")).await.unwrap();
    assert_eq!(text(&a, "user").await.as_deref(), Some("Bea"));
    assert_eq!(text(&a, "visits").await.as_deref(), Some("2"));

    // Forged requests: another site's page posts the demo's forms without a token. From
    // 127.0.0.1 on another port (the same site, so the browser sends the SameSite=Lax
    // cookie along) and from `localhost` (another site, so it does not): both are refused
    // with 403 before any handler runs, and nothing changes.
    let bea = accounts.password_hash("Bea").unwrap();
    let cross_site = attacker.replace("127.0.0.1", "localhost");
    for (site, action) in [
        (&attacker, "password"),
        (&attacker, "logout"),
        (&cross_site, "password"),
        (&cross_site, "logout"),
    ] {
        a.goto(&format!("{site}/{action}")).await.unwrap();
        wait_for_url(&a, &format!("{base}/{action}")).await;
        let page = body_text(&a).await;
        assert!(
            page.contains("not sent from this site"),
            "{site}/{action}: {page}"
        );
        a.goto(&format!("{base}/me")).await.unwrap();
        assert_eq!(
            text(&a, "user").await.as_deref(),
            Some("Bea"),
            "{site}/{action}"
        );
        assert_eq!(accounts.password_hash("Bea").as_deref(), Some(bea.as_str()));
    }
    assert_eq!(text(&a, "visits").await.as_deref(), Some("6"));
}

#[tokio::test(flavor = "multi_thread")]
async fn real_browser_login_password_change_logout_and_forgery() {
    let chromium = tool("CHROMIUM", "/usr/bin/chromium");
    let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    if !chromium.exists() || !chromedriver.exists() {
        let msg = format!(
            "browser test needs {} and {} (Debian: apt-get install -y chromium chromium-driver)",
            chromium.display(),
            chromedriver.display()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("notice: skipping: {msg}");
        return;
    }

    let (base, accounts) = serve_demo().await;
    let attacker = serve_attacker(&base).await;
    let driver = Driver::start(&chromedriver);
    let a = driver.browser(&chromium, "a").await;
    let b = driver.browser(&chromium, "b").await;
    // Run the scenario on its own task so a failed assertion still closes the browsers.
    let run = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::spawn(scenario(a.clone(), b.clone(), base, attacker, accounts)),
    )
    .await;
    let _ = a.close().await;
    let _ = b.close().await;
    drop(driver);
    match run {
        Ok(Ok(())) => {}
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the browser scenario took over 180 s"),
    }
}
