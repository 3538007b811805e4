//! Runs each framework example's application on loopback and drives it with a real client:
//! the visit counter, login, and logout, through the cookie the example sets.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use session_axum::{Config, MemoryStore, SessionManager};

fn manager() -> SessionManager {
    let config = Config::builder()
        .secret("a test secret of at least thirty-two bytes")
        .build()
        .expect("config");
    SessionManager::builder(config)
        .store(MemoryStore::new())
        .build()
        .expect("manager")
}

async fn get(client: &reqwest::Client, url: String) -> String {
    let res = client.get(url).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    res.text().await.expect("body")
}

/// The session cookie a response sets, without its attributes.
fn cookie(res: &reqwest::Response) -> String {
    let set_cookie = res.headers()["set-cookie"].to_str().expect("ASCII");
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// What every framework example must do, served at `base`.
async fn visits_login_logout(base: &str) {
    // The defaults: `Secure` cookies, which clients send to http://127.0.0.1 too.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let first = client.get(format!("{base}/")).send().await.expect("GET /");
    let set_cookie = first.headers()["set-cookie"].to_str().expect("ASCII");
    assert!(set_cookie.starts_with("id=s%3A"), "{set_cookie}");
    for attribute in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Max-Age"), "{set_cookie}");
    let anonymous = cookie(&first);
    assert_eq!(first.text().await.expect("body"), "visit 1\n");
    assert_eq!(get(&client, format!("{base}/")).await, "visit 2\n");

    let login = client
        .post(format!("{base}/login"))
        .form(&[("name", "ann")])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(login.status(), 200);
    assert_ne!(cookie(&login), anonymous, "login gives a new session id");
    assert_eq!(login.text().await.expect("body"), "signed in as ann\n");
    assert_eq!(
        get(&client, format!("{base}/")).await,
        "visit 3, signed in as ann\n"
    );

    let logout = client
        .post(format!("{base}/logout"))
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(logout.status(), 200);
    let cleared = logout.headers()["set-cookie"].to_str().expect("ASCII");
    assert!(cleared.contains("Expires=Thu, 01 Jan 1970"), "{cleared}");
    assert_eq!(logout.text().await.expect("body"), "signed out\n");
    assert_eq!(get(&client, format!("{base}/")).await, "visit 1\n");
}

#[tokio::test]
async fn axum_example() {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = session_examples::axum::app(manager());
    tokio::spawn(async move { axum::serve(listener, app).await });
    visits_login_logout(&format!("http://{addr}")).await;
}

#[tokio::test]
async fn actix_example() {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = session_examples::actix::server(manager(), listener).expect("server");
    let handle = server.handle();
    tokio::spawn(server);
    visits_login_logout(&format!("http://{addr}")).await;
    handle.stop(false).await;
}

#[tokio::test]
async fn rocket_example() {
    use rocket::config::{LogLevel, Shutdown};
    use rocket::fairing::AdHoc;

    // No signal handlers and no grace period: the server ends with the test.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut shutdown = Shutdown {
        ctrlc: false,
        grace: 0,
        mercy: 0,
        ..Shutdown::default()
    };
    #[cfg(unix)]
    shutdown.signals.clear();
    let config = rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: LogLevel::Off,
        shutdown,
        ..rocket::Config::debug_default()
    };
    let (started, start) = tokio::sync::oneshot::channel();
    let started = Mutex::new(Some(started));
    let rocket = session_examples::rocket::app(manager())
        .configure(config)
        .attach(AdHoc::on_liftoff("report the port", move |rocket| {
            Box::pin(async move {
                if let Some(started) = started.lock().ok().and_then(|mut s| s.take()) {
                    let _ = started.send((rocket.config().port, rocket.shutdown()));
                }
            })
        }));
    tokio::spawn(rocket.launch());
    let (port, shutdown) = start.await.expect("Rocket lifted off");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    visits_login_logout(&format!("http://{addr}")).await;
    shutdown.notify();
}

#[tokio::test]
async fn warp_example() {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let routes = session_examples::warp::routes(manager());
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    visits_login_logout(&format!("http://{addr}")).await;
}

#[tokio::test]
async fn poem_example() {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).expect("acceptor");
    let app = session_examples::poem::app(manager());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    visits_login_logout(&format!("http://{addr}")).await;
}

#[tokio::test]
async fn salvo_example() {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let acceptor = salvo::conn::tcp::TcpAcceptor::try_from(listener).expect("acceptor");
    let router = session_examples::salvo::router(manager());
    tokio::spawn(salvo::Server::new(acceptor).serve(router));
    visits_login_logout(&format!("http://{addr}")).await;
}
