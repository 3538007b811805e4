//! Micro-benchmarks of the core. The raw HMAC-SHA256 of the same bytes sits in the same group
//! as the verifier so that their ratio is read off one run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures_util::FutureExt;
use hmac::{Hmac, KeyInit, Mac};
use session_core::{
    Codec, Config, HttpRequest, JsonCodec, Keyring, Record, SessionId, SessionManager,
    SessionState, Store, StoreError,
};
use sha2::Sha256;
use std::hint::black_box;
use time::macros::datetime;
use time::OffsetDateTime;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const ID: &str = "ocxDLNaDwJzdRMHI3FV_WVi17yimGhMK";
const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

fn signing(c: &mut Criterion) {
    let ring = Keyring::new([SECRET]).unwrap();
    let rotated = Keyring::new(["a newer secret, also 32 bytes long!", SECRET]).unwrap();
    let signed = ring.sign(ID);
    let tampered = signed.replacen('o', "p", 1);
    let mut g = c.benchmark_group("verify");
    g.bench_function("raw_hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(black_box(ID.as_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    g.bench_function("valid", |b| {
        b.iter(|| black_box(ring.unsign(black_box(&signed))))
    });
    g.bench_function("invalid", |b| {
        b.iter(|| black_box(ring.unsign(black_box(&tampered))))
    });
    g.bench_function("old_secret", |b| {
        b.iter(|| black_box(rotated.unsign(black_box(&signed))))
    });
    g.bench_function("sign", |b| b.iter(|| black_box(ring.sign(black_box(ID)))));
    g.finish();
}

/// A new id per new session: one read of the OS CSPRNG. Reading one back decodes its bytes.
fn ids(c: &mut Criterion) {
    c.bench_function("id/generate", |b| {
        b.iter(|| black_box(SessionId::generate()))
    });
    c.bench_function("id/parse", |b| {
        b.iter(|| black_box(SessionId::parse(black_box(ID))))
    });
}

/// A signed id as a cookie value: percent-encoded into a response, decoded from a request.
fn encoding(c: &mut Criterion) {
    let signed = Keyring::new([SECRET]).unwrap().sign(ID);
    let mut encoded = String::new();
    session_core::encode_uri_component_into(&signed, &mut encoded);
    let header = format!("theme=dark; id={encoded}; lang=en");
    let mut g = c.benchmark_group("encoding");
    g.bench_function("encode_signed", |b| {
        let mut out = String::with_capacity(128);
        b.iter(|| {
            out.clear();
            session_core::encode_uri_component_into(black_box(&signed), &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("decode_signed", |b| {
        b.iter(|| black_box(session_core::decode_uri_component(black_box(&encoded))))
    });
    g.bench_function("cookie_value", |b| {
        b.iter(|| black_box(session_core::cookie_values(black_box(header.as_bytes()), "id").next()))
    });
    g.finish();
}

/// Answers every load with the same small live record, without IO.
struct Fixed(Vec<u8>);

impl Store for Fixed {
    async fn load(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        Ok(Some(Record::new(
            self.0.clone(),
            NOW + time::Duration::HOUR,
            1,
        )))
    }
    async fn create(&self, _: &SessionId, _: &Record) -> Result<(), StoreError> {
        Ok(())
    }
    async fn save(&self, _: &SessionId, _: &Record, _: u64) -> Result<(), StoreError> {
        Ok(())
    }
    async fn touch(&self, _: &SessionId, _: OffsetDateTime) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete(&self, _: &SessionId) -> Result<(), StoreError> {
        Ok(())
    }
}

fn decisions(c: &mut Criterion) {
    let config = Config::builder().secret(SECRET).build().unwrap();
    let payload = br#"{"d":{"n":1},"c":1893456000000}"#.to_vec();
    let manager = SessionManager::new(config.clone(), Fixed(payload));
    let mut value = String::new();
    session_core::encode_uri_component_into(&config.keyring().sign(ID), &mut value);
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::COOKIE, format!("id={value}").parse().unwrap());
    let req = HttpRequest {
        headers: &headers,
        peer: None,
        tls: true,
    };
    let mut g = c.benchmark_group("request");
    g.bench_function("untouched", |b| {
        b.iter(|| {
            let s = manager.begin(&req, NOW);
            black_box(manager.finish(s, 200, NOW).now_or_never())
        })
    });
    g.bench_function("read_unchanged", |b| {
        b.iter(|| {
            let s = manager.begin(&req, NOW);
            let n: Option<u64> = s.get("n").now_or_never().unwrap().unwrap();
            black_box(n);
            black_box(manager.finish(s, 200, NOW).now_or_never())
        })
    });
    g.bench_function("read_write", |b| {
        b.iter(|| {
            let s = manager.begin(&req, NOW);
            let n: u64 = s.get("n").now_or_never().unwrap().unwrap().unwrap_or(0);
            s.insert("n", n + 1).now_or_never().unwrap().unwrap();
            black_box(manager.finish(s, 200, NOW).now_or_never())
        })
    });
    // A session as an app keeps it: a user, a CSRF token, a cart, preferences (~1 KiB).
    let mut app_data = serde_json::json!({
        "user": {"id": 4711, "name": "Ann Example", "roles": ["admin", "editor"]},
        "csrf": "k3l4j5h6g7f8d9s0a1q2w3e4r5t6y7u8",
        "cart": (0..30).map(|i| serde_json::json!({"sku": format!("SKU-{i:05}"), "qty": i % 3 + 1})).collect::<Vec<_>>(),
        "prefs": {"theme": "dark", "lang": "en-GB", "tz": "Europe/London"},
        "flash": null,
    });
    app_data["n"] = 1.into();
    let app_payload = format!(r#"{{"d":{app_data},"c":1893456000000}}"#).into_bytes();
    let app = SessionManager::new(config.clone(), Fixed(app_payload));
    g.bench_function("read_one_key_of_1kib", |b| {
        b.iter(|| {
            let s = app.begin(&req, NOW);
            let n: Option<u64> = s.get("n").now_or_never().unwrap().unwrap();
            black_box(n);
            black_box(app.finish(s, 200, NOW).now_or_never())
        })
    });
    g.bench_function("read_write_one_key_of_1kib", |b| {
        b.iter(|| {
            let s = app.begin(&req, NOW);
            let n: u64 = s.get("n").now_or_never().unwrap().unwrap().unwrap_or(0);
            s.insert("n", n + 1).now_or_never().unwrap().unwrap();
            black_box(app.finish(s, 200, NOW).now_or_never())
        })
    });
    let empty = http::HeaderMap::new();
    let fresh = HttpRequest {
        headers: &empty,
        peer: None,
        tls: true,
    };
    g.bench_function("new_session", |b| {
        b.iter(|| {
            let s = manager.begin(&fresh, NOW);
            s.insert("n", 1).now_or_never().unwrap().unwrap();
            black_box(manager.finish(s, 200, NOW).now_or_never())
        })
    });
    g.finish();
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("json_codec");
    for size in [64usize, 10 * 1024] {
        let mut data = serde_json::Map::new();
        data.insert("user".into(), "ann".into());
        data.insert("blob".into(), "x".repeat(size).into());
        let state = SessionState {
            data,
            created_at: NOW,
            max_age: None,
        };
        let bytes = JsonCodec.encode(&state, NOW).unwrap();
        g.bench_with_input(BenchmarkId::new("encode", size), &state, |b, s| {
            b.iter(|| black_box(JsonCodec.encode(s, NOW)))
        });
        g.bench_with_input(BenchmarkId::new("decode", size), &bytes, |b, bytes| {
            b.iter(|| black_box(JsonCodec.decode(bytes)))
        });
    }
    g.finish();
}

criterion_group!(benches, signing, ids, encoding, decisions, codec);
criterion_main!(benches);
