//! Shared test doubles for the core's integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use session_core::{Config, HttpRequest, Record, SessionId, SessionManager, Store, StoreError};
use time::macros::datetime;
use time::OffsetDateTime;

pub const NOW: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// Begins a request carrying `headers` from `peer` at `now` (over TLS when `tls`).
pub fn request_with(
    m: &SessionManager,
    headers: &[(&str, &str)],
    peer: Option<std::net::IpAddr>,
    tls: bool,
    now: OffsetDateTime,
) -> session_core::Session {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            value.parse().expect("a header value"),
        );
    }
    m.begin(
        &HttpRequest {
            headers: &map,
            peer,
            tls,
        },
        now,
    )
}

/// A store that answers every id with an empty live session.
pub struct Everything;

impl Store for Everything {
    async fn load(&self, _: &SessionId, now: OffsetDateTime) -> Result<Option<Record>, StoreError> {
        let payload = br#"{"d":{},"c":0}"#.to_vec();
        Ok(Some(Record::new(payload, now + time::Duration::HOUR, 1)))
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

/// The id the manager loads for a request carrying `cookie_header`.
pub fn loaded_id(config: Config, cookie_header: &str) -> Option<String> {
    let manager = SessionManager::new(config, Everything);
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(cookie_header.as_bytes()) {
        headers.append(http::header::COOKIE, value);
    }
    let session = manager.begin(
        &HttpRequest {
            headers: &headers,
            peer: None,
            tls: false,
        },
        NOW,
    );
    let id = session
        .id()
        .now_or_never()
        .expect("no real IO")
        .expect("store works");
    id.map(|id| id.as_str().to_owned())
}

/// A simple map store with a call log, for flow tests.
#[derive(Clone, Default)]
pub struct LogStore {
    pub records: Arc<Mutex<HashMap<String, Record>>>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl LogStore {
    fn note(&self, what: &str) {
        self.log.lock().unwrap().push(what.to_owned());
    }
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
    pub fn get(&self, id: &str) -> Option<Record> {
        self.records.lock().unwrap().get(id).cloned()
    }
}

impl Store for LogStore {
    async fn load(
        &self,
        id: &SessionId,
        now: OffsetDateTime,
    ) -> Result<Option<Record>, StoreError> {
        self.note("load");
        Ok(self.get(id.as_str()).filter(|r| r.expires_at > now))
    }
    async fn create(&self, id: &SessionId, record: &Record) -> Result<(), StoreError> {
        self.note("create");
        let mut map = self.records.lock().unwrap();
        if map.contains_key(id.as_str()) {
            return Err(StoreError::duplicate_id());
        }
        map.insert(id.as_str().to_owned(), record.clone());
        Ok(())
    }
    async fn save(&self, id: &SessionId, record: &Record, expected: u64) -> Result<(), StoreError> {
        self.note("save");
        let mut map = self.records.lock().unwrap();
        match map.get(id.as_str()) {
            None => Err(StoreError::not_found()),
            Some(r) if r.version != expected => Err(StoreError::conflict()),
            Some(_) => {
                map.insert(id.as_str().to_owned(), record.clone());
                Ok(())
            }
        }
    }
    async fn touch(&self, id: &SessionId, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        self.note("touch");
        if let Some(r) = self.records.lock().unwrap().get_mut(id.as_str()) {
            r.expires_at = expires_at;
        }
        Ok(())
    }
    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.note("delete");
        self.records.lock().unwrap().remove(id.as_str());
        Ok(())
    }
}
