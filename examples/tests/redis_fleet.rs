//! Runs the `redis_fleet` example's application twice, on two ports, against one Redis
//! (`SESSION_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`): one session, whichever
//! instance answers. Without a Redis this test fails.

use std::net::Ipv4Addr;

use session_axum::Config;

async fn instance(redis_url: &str) -> String {
    let config = Config::builder()
        .secret("the fleet's shared secret, 32 bytes or more")
        .build()
        .expect("config");
    let app = session_examples::redis_fleet::app(config, redis_url)
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis at {redis_url}: {e}"));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn get(client: &reqwest::Client, url: String) -> String {
    let res = client.get(url).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    res.text().await.expect("body")
}

#[tokio::test]
async fn two_instances_share_one_session() {
    let redis_url = std::env::var("SESSION_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let (a, b) = (instance(&redis_url).await, instance(&redis_url).await);
    assert_ne!(a, b);
    // Cookies are per host, not per port: the client sends the same one to both.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");

    assert_eq!(get(&client, format!("{a}/")).await, "visit 1\n");
    assert_eq!(get(&client, format!("{b}/")).await, "visit 2\n");

    let login = client
        .post(format!("{b}/login"))
        .form(&[("name", "ann")])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(login.status(), 200);
    assert_eq!(
        get(&client, format!("{a}/")).await,
        "visit 3, signed in as ann\n"
    );

    let logout = client
        .post(format!("{a}/logout"))
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(logout.status(), 200);
    assert_eq!(get(&client, format!("{b}/")).await, "visit 1\n");
}
