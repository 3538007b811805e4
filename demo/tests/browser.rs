//! The demo in headless Chromium through WebDriver: what a real browser stores and sends.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages `chromium` and
//! `chromium-driver`; override the paths with env `CHROMIUM` / `CHROMEDRIVER`). Without them
//! the test prints a notice and passes, except in CI (`CI=true`), where it fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use session_axum::SessionLayer;
use session_demo::setup::{config, open, StoreUrl};

const SECRET: &str = "a secret of at least thirty-two bytes!!";

fn tool(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// chromedriver, its browsers and their profile directory; all gone when dropped.
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

    async fn browser(&self, chromium: &PathBuf) -> Client {
        let profile = format!("--user-data-dir={}", self.profile.display());
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

async fn serve_demo() -> String {
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

async fn log_in(browser: &Client, base: &str, name: &str) {
    browser.goto(&format!("{base}/")).await.unwrap();
    browser
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(name)
        .await
        .unwrap();
    browser
        .find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("visits"))
        .await
        .unwrap();
}

async fn scenario(browser: Client, base: String) {
    log_in(&browser, &base, "Ann <b>&").await;
    assert_eq!(text(&browser, "user").await.as_deref(), Some("Ann <b>&"));
    assert_eq!(text(&browser, "visits").await.as_deref(), Some("1"));
    for expected in ["2", "3"] {
        browser.refresh().await.unwrap();
        assert_eq!(text(&browser, "visits").await.as_deref(), Some(expected));
    }

    // The cookie as the browser stored it.
    let cookie = browser.get_named_cookie("id").await.unwrap();
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
    browser
        .find(Locator::Id("remember"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("remembered"))
        .await
        .unwrap();
    assert_eq!(text(&browser, "visits").await.as_deref(), Some("4"));
    let remembered = browser.get_named_cookie("id").await.unwrap();
    let expires = remembered.expires_datetime().expect("a persistent cookie");
    let ahead = expires - now();
    let thirty_days = time::Duration::days(30);
    assert!(
        (ahead - thirty_days).abs() < time::Duration::minutes(5),
        "expires in {ahead}"
    );
    let before_logout = remembered.value().to_owned();

    // Log out: the cookie is gone from the browser, and replaying it finds nothing.
    browser
        .find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("login"))
        .await
        .unwrap();
    assert!(
        browser.get_named_cookie("id").await.is_err(),
        "cookie cleared"
    );
    // Every cookie re-added here keeps the domain the browser reported: WebDriver sends an
    // absent domain as `null`, which chromedriver refuses.
    let mut replay = remembered.clone();
    replay.set_value(before_logout);
    browser.add_cookie(replay).await.unwrap();
    browser.goto(&format!("{base}/me")).await.unwrap();
    assert!(
        text(&browser, "logged-out").await.is_some(),
        "a destroyed session stays dead"
    );

    // A fresh login, then one character of the cookie changed by hand.
    browser.delete_cookie("id").await.unwrap();
    log_in(&browser, &base, "Bea").await;
    let genuine = browser.get_named_cookie("id").await.unwrap();
    let mut forged = genuine.clone();
    let mut value = genuine.value().to_owned();
    let at = "s%3A".len() + 2;
    let swap = if &value[at..=at] == "A" { "B" } else { "A" };
    value.replace_range(at..=at, swap);
    forged.set_value(value);
    browser.delete_cookie("id").await.unwrap();
    browser.add_cookie(forged).await.unwrap();
    browser.goto(&format!("{base}/me")).await.unwrap();
    assert!(
        text(&browser, "logged-out").await.is_some(),
        "a forged cookie is a new session"
    );
    assert_eq!(text(&browser, "user").await, None);
    assert_eq!(text(&browser, "visits").await, None);

    // The genuine session was not harmed by the forgery.
    browser.delete_cookie("id").await.unwrap();
    browser.add_cookie(genuine).await.unwrap();
    browser.goto(&format!("{base}/me")).await.unwrap();
    assert_eq!(text(&browser, "user").await.as_deref(), Some("Bea"));
    assert_eq!(text(&browser, "visits").await.as_deref(), Some("2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn real_browser_login_remember_logout_and_forgery() {
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

    let base = serve_demo().await;
    let driver = Driver::start(&chromedriver);
    let browser = driver.browser(&chromium).await;
    // Run the scenario on its own task so a failed assertion still closes the browser.
    let run = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::spawn(scenario(browser.clone(), base)),
    )
    .await;
    let _ = browser.close().await;
    drop(driver);
    match run {
        Ok(Ok(())) => {}
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the browser scenario took over 120 s"),
    }
}
