//! `sessions ls` and `sessions stats`: what the store holds.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{json, Value};
use session_core::{Record, SessionId};
use time::OffsetDateTime;

use crate::codec::AnyCodec;
use crate::error::{Exit, Failure};
use crate::output::{instant, print_json, progress, relative};
use crate::Global;

/// Sessions read per page when walking the whole store.
const PAGE: usize = 1000;

/// `sessions ls`'s arguments.
#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Only this user's sessions (the store's user index; not in the express layouts).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Show at most this many sessions.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
}

/// One listed session.
fn row(id: &SessionId, record: &Record, codec: &AnyCodec, now: OffsetDateTime) -> Value {
    let mut doc = json!({
        "id": id.as_str(),
        "user": record.user,
        "expires_at": instant(record.expires_at),
        "expires_in_s": (record.expires_at - now).whole_seconds(),
        "payload_bytes": record.payload.len(),
        "version": record.version,
    });
    match codec.decode(&record.payload) {
        Ok(state) => {
            let mut keys: Vec<&String> = state.data.keys().collect();
            keys.sort();
            doc["keys"] = json!(keys);
            doc["created_at"] = if state.created_at == OffsetDateTime::UNIX_EPOCH {
                Value::Null
            } else {
                instant(state.created_at).into()
            };
        }
        Err(e) => doc["decode_error"] = e.to_string().into(),
    }
    doc
}

pub async fn ls(args: LsArgs, global: &Global) -> Result<Exit, Failure> {
    let target = global.target()?;
    let store = target.open(global.timeout, false).await?;
    let shown = &target.shown;
    let codec = AnyCodec::new(global.codec.unwrap_or_else(|| target.default_codec()), None)?;
    let now = global.now();
    let limit = args.limit.max(1);
    let (total, mut sessions) = match &args.user {
        Some(user) => {
            if !store.has_user_index() {
                return Err(Failure::usage(format!(
                    "the {} layout keeps no user index: `ls --user` needs this library's own \
                     layout",
                    store.layout()
                )));
            }
            let mut found = store
                .user_sessions(user, now)
                .await
                .map_err(|e| Failure::store("listing the user's sessions", shown, &e))?;
            found.sort_by_key(|(_, record)| record.expires_at);
            (found.len() as u64, found)
        }
        None => {
            let total = store
                .count(now)
                .await
                .map_err(|e| Failure::store("counting sessions", shown, &e))?;
            let mut found = Vec::new();
            let mut seen = HashSet::new();
            let mut after = None;
            while found.len() < limit {
                let page = store
                    .scan(after.as_ref(), (limit - found.len()).min(PAGE), now)
                    .await
                    .map_err(|e| Failure::store("listing sessions", shown, &e))?;
                for (id, record) in page.entries {
                    // Redis' SCAN may return a key twice.
                    if seen.insert(id.as_str().to_owned()) {
                        found.push((id, record));
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            (total, found)
        }
    };
    sessions.truncate(limit);
    let rows: Vec<Value> = sessions
        .iter()
        .map(|(id, record)| row(id, record, &codec, now))
        .collect();
    if global.json {
        print_json(&json!({
            "store": shown,
            "user": args.user,
            "total": total,
            "shown": rows.len(),
            "sessions": rows,
        }));
        return Ok(Exit::Ok);
    }
    if !rows.is_empty() {
        println!(
            "{:<32}  {:<16}  {:<20}  {:<16}  {:>7}  KEYS",
            "ID", "USER", "CREATED", "EXPIRES", "BYTES"
        );
    }
    for ((_, record), row) in sessions.iter().zip(&rows) {
        let text = |key: &str| row[key].as_str().unwrap_or("-").to_owned();
        let keys = match row["keys"].as_array() {
            Some(keys) => keys
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            None => "(does not decode: see --codec)".to_owned(),
        };
        println!(
            "{:<32}  {:<16}  {:<20}  {:<16}  {:>7}  {keys}",
            text("id"),
            text("user"),
            text("created_at"),
            relative(record.expires_at, now),
            record.payload.len(),
        );
    }
    let whose = args
        .user
        .as_deref()
        .map(|u| format!(" of user {u:?}"))
        .unwrap_or_default();
    println!("{} of {total} live sessions{whose} in {shown}", rows.len());
    Ok(Exit::Ok)
}

/// Histogram buckets: an upper bound in seconds (exclusive) and its label.
const BUCKETS: [(i64, &str); 8] = [
    (60, "< 1 min"),
    (600, "< 10 min"),
    (3600, "< 1 h"),
    (6 * 3600, "< 6 h"),
    (86_400, "< 1 d"),
    (7 * 86_400, "< 7 d"),
    (30 * 86_400, "< 30 d"),
    (i64::MAX, ">= 30 d"),
];

fn bucket(seconds: i64) -> usize {
    BUCKETS
        .iter()
        .position(|(bound, _)| seconds < *bound)
        .unwrap_or(BUCKETS.len() - 1)
}

pub async fn stats(global: &Global) -> Result<Exit, Failure> {
    let target = global.target()?;
    let store = target.open(global.timeout, false).await?;
    let shown = &target.shown;
    let codec = AnyCodec::new(global.codec.unwrap_or_else(|| target.default_codec()), None)?;
    let now = global.now();
    let bar = progress(None, global.json);
    bar.set_message("sessions read");
    let (mut live, mut with_user, mut undecodable, mut unknown_age) = (0u64, 0u64, 0u64, 0u64);
    let (mut bytes, mut max_bytes) = (0u64, 0u64);
    let mut by_age = [0u64; BUCKETS.len()];
    let mut by_remaining = [0u64; BUCKETS.len()];
    let mut users: HashSet<u64> = HashSet::new();
    // Ids seen, as 64-bit hashes (Redis' SCAN may return a key twice): 8 bytes a session.
    let mut seen: HashSet<u64> = HashSet::new();
    let mut after = None;
    loop {
        let page = store
            .scan(after.as_ref(), PAGE, now)
            .await
            .map_err(|e| Failure::store("reading sessions", shown, &e))?;
        for (id, record) in &page.entries {
            if !seen.insert(hash(id.as_str())) {
                continue;
            }
            live += 1;
            bytes += record.payload.len() as u64;
            max_bytes = max_bytes.max(record.payload.len() as u64);
            if let Some(user) = &record.user {
                with_user += 1;
                users.insert(hash(user));
            }
            by_remaining[bucket((record.expires_at - now).whole_seconds())] += 1;
            match codec.decode(&record.payload) {
                Ok(state) if state.created_at != OffsetDateTime::UNIX_EPOCH => {
                    by_age[bucket((now - state.created_at).whole_seconds().max(0))] += 1;
                }
                Ok(_) => unknown_age += 1,
                Err(_) => {
                    undecodable += 1;
                    unknown_age += 1;
                }
            }
        }
        bar.inc(page.entries.len() as u64);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    bar.finish_and_clear();
    let histogram = |counts: &[u64]| -> Value {
        BUCKETS
            .iter()
            .zip(counts)
            .map(|((_, label), n)| json!({"bucket": label, "sessions": n}))
            .collect()
    };
    if global.json {
        print_json(&json!({
            "store": shown,
            "at": instant(now),
            "live": live,
            "with_user": with_user,
            "distinct_users": users.len(),
            "anonymous": live - with_user,
            "payload_bytes": {"total": bytes, "average": bytes.checked_div(live).unwrap_or(0), "max": max_bytes},
            "undecodable": undecodable,
            "by_age": histogram(&by_age),
            "age_unknown": unknown_age,
            "by_remaining_lifetime": histogram(&by_remaining),
        }));
        return Ok(Exit::Ok);
    }
    println!("store:          {shown}");
    println!("live sessions:  {live}");
    if store.has_user_index() {
        println!(
            "with a user:    {with_user} ({} distinct users); anonymous: {}",
            users.len(),
            live - with_user
        );
    }
    println!(
        "payload:        {bytes} bytes in all, {} on average, {max_bytes} at most",
        bytes.checked_div(live).unwrap_or(0)
    );
    if undecodable > 0 {
        println!(
            "undecodable:    {undecodable} sessions do not decode with the chosen codec (see --codec)"
        );
    }
    let scale = |counts: &[u64]| counts.iter().copied().max().unwrap_or(0).max(1);
    for (title, counts, extra) in [
        ("by age (since created)", &by_age, unknown_age),
        ("by remaining lifetime", &by_remaining, 0),
    ] {
        println!("{title}:");
        let most = scale(counts);
        for ((_, label), n) in BUCKETS.iter().zip(counts.iter()) {
            let width = (n * 40).div_ceil(most) as usize;
            println!("  {label:<9} {n:>9}  {}", "#".repeat(width));
        }
        if extra > 0 {
            println!("  {:<9} {extra:>9}", "unknown");
        }
    }
    Ok(Exit::Ok)
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_half_open() {
        assert_eq!(BUCKETS[bucket(0)].1, "< 1 min");
        assert_eq!(BUCKETS[bucket(59)].1, "< 1 min");
        assert_eq!(BUCKETS[bucket(60)].1, "< 10 min");
        assert_eq!(BUCKETS[bucket(40 * 86_400)].1, ">= 30 d");
        assert_eq!(BUCKETS[bucket(-5)].1, "< 1 min");
    }
}
