//! `sessions migrate`: copies every live session from one store to another.
//!
//! Idempotent by construction: each session is *created* in the target (never overwritten
//! unless `--overwrite`), so a session already there is skipped, and a second run copies
//! nothing new. Resumable: with `--resume-file`, the source's cursor is saved after every
//! page whose sessions all went through, and a new run starts from it; without one, a new
//! run starts over and skips what is already there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use session_core::{Record, SessionId, StoreError, StoreErrorKind};
use session_stores::Cursor;

use crate::codec::{AnyCodec, CodecName};
use crate::error::{Exit, Failure};
use crate::output::{print_json, progress, span};
use crate::target::{AnyStore, Target};
use crate::Global;

/// Failures listed in the summary at most (all are counted).
const LISTED_FAILURES: usize = 20;

/// `sessions migrate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The store to copy from (a store URL, as --store takes).
    #[arg(long, value_name = "URL")]
    from: String,
    /// The store to copy to; its sessions table is created if it is missing.
    #[arg(long, value_name = "URL")]
    to: String,
    /// The target's codec [default: the target layout's: express for connect-redis:// and
    /// connect-pg://, json otherwise]. The source's is --codec.
    #[arg(long, value_enum, value_name = "CODEC")]
    to_codec: Option<CodecName>,
    /// With the express codec as the target's: the cookie max-age written into each record
    /// (express's `cookie.maxAge`, in seconds), unless a session has its own.
    #[arg(long, value_name = "SECS")]
    express_max_age: Option<u64>,
    /// Keep the source's cursor in this file after every page, and start from it when it
    /// exists; removed once the migration is complete.
    #[arg(long, value_name = "PATH")]
    resume_file: Option<PathBuf>,
    /// Replace a session that the target holds with different content (by default it is
    /// kept and counted as skipped).
    #[arg(long)]
    overwrite: bool,
    /// Sessions read from the source per page.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    page_size: usize,
    /// Sessions written to the target at once.
    #[arg(long, value_name = "N", default_value_t = 64)]
    concurrency: usize,
}

/// What became of one session.
enum Outcome {
    Copied,
    /// The target holds it with the same content.
    Same,
    /// The target holds it with other content, which was kept.
    Different,
    /// The target held other content, replaced (`--overwrite`).
    Replaced,
    /// It expired before it could be written.
    Expired,
    Failed(SessionId, String),
    /// The target failed in a way that stops the migration (unreachable, timing out).
    Fatal(StoreError),
}

#[derive(Default)]
struct Tally {
    copied: u64,
    same: u64,
    different: u64,
    replaced: u64,
    expired: u64,
    failed: u64,
    failures: Vec<(String, String)>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) -> Option<StoreError> {
        match outcome {
            Outcome::Copied => self.copied += 1,
            Outcome::Same => self.same += 1,
            Outcome::Different => self.different += 1,
            Outcome::Replaced => self.replaced += 1,
            Outcome::Expired => self.expired += 1,
            Outcome::Failed(id, why) => {
                self.failed += 1;
                if self.failures.len() < LISTED_FAILURES {
                    self.failures.push((id.as_str().to_owned(), why));
                }
            }
            Outcome::Fatal(err) => return Some(err),
        }
        None
    }

    fn skipped(&self) -> u64 {
        self.same + self.different + self.expired
    }
}

/// A failure of the target that will not go away by moving on to the next session.
fn fatal(err: &StoreError) -> bool {
    matches!(
        err.kind(),
        StoreErrorKind::Unavailable | StoreErrorKind::Timeout
    )
}

/// Copies one session.
async fn copy_one(
    to: &AnyStore,
    from_codec: &AnyCodec,
    to_codec: &AnyCodec,
    overwrite: bool,
    (id, record): (SessionId, Record),
) -> Outcome {
    let now = session_core::Clock::now(&session_core::SystemClock);
    if record.expires_at <= now {
        return Outcome::Expired;
    }
    let state = match from_codec.decode(&record.payload) {
        Ok(state) => state,
        Err(e) => {
            return Outcome::Failed(id, format!("does not decode with the source codec: {e}"))
        }
    };
    let payload = match to_codec.encode(&state, record.expires_at) {
        Ok(payload) => payload,
        Err(e) => {
            return Outcome::Failed(id, format!("does not encode with the target codec: {e}"))
        }
    };
    let user = if to.has_user_index() {
        record.user.clone()
    } else {
        None
    };
    let copy = Record::new(payload, record.expires_at, 1).with_user(user);
    let err = match to.create(&id, &copy).await {
        Ok(()) => return Outcome::Copied,
        Err(err) => err,
    };
    if fatal(&err) {
        return Outcome::Fatal(err);
    }
    if err.kind() != StoreErrorKind::DuplicateId {
        return Outcome::Failed(id, err.to_string());
    }
    // The target has this id: the same session (an earlier run), or another version of it.
    let existing = match to.load(&id, now).await {
        Ok(Some(existing)) => existing,
        Ok(None) => {
            return Outcome::Failed(
                id,
                "an expired record in the target still holds this id: run `sessions \
                 purge-expired` on the target, then migrate again"
                    .to_owned(),
            )
        }
        Err(err) if fatal(&err) => return Outcome::Fatal(err),
        Err(err) => return Outcome::Failed(id, err.to_string()),
    };
    let same = to_codec
        .decode(&existing.payload)
        .is_ok_and(|held| held == state)
        && existing.user == copy.user;
    if same {
        return Outcome::Same;
    }
    if !overwrite {
        return Outcome::Different;
    }
    let replacement = Record::new(
        copy.payload,
        copy.expires_at,
        existing.version.wrapping_add(1),
    )
    .with_user(copy.user);
    match to.save(&id, &replacement, existing.version).await {
        Ok(()) => Outcome::Replaced,
        Err(err) if fatal(&err) => Outcome::Fatal(err),
        Err(err) => Outcome::Failed(id, format!("replacing it failed: {err}")),
    }
}

/// Where a resumed migration starts, and for which pair of stores.
fn read_resume(path: &Path, from: &str, to: &str) -> Result<Option<Cursor>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read the resume file {}: {e}",
                path.display()
            )))
        }
    };
    let doc: Value = serde_json::from_str(&text).map_err(|_| {
        Failure::usage(format!(
            "the resume file {} is not one this tool wrote; remove it to start over",
            path.display()
        ))
    })?;
    if doc["from"] != from || doc["to"] != to {
        return Err(Failure::usage(format!(
            "the resume file {} belongs to a migration from {} to {}; remove it to start over",
            path.display(),
            doc["from"],
            doc["to"]
        )));
    }
    Ok(doc["cursor"].as_str().map(Cursor::new))
}

/// Saves the cursor, atomically (a new file, renamed over the old one).
fn write_resume(path: &Path, from: &str, to: &str, cursor: &Cursor) -> Result<(), Failure> {
    let doc = json!({"from": from, "to": to, "cursor": cursor.as_str()});
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, doc.to_string())
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            Failure::usage(format!(
                "cannot write the resume file {}: {e}",
                path.display()
            ))
        })
}

pub async fn run(args: MigrateArgs, global: &Global) -> Result<Exit, Failure> {
    let from_target = Target::parse(&args.from)?;
    let to_target = Target::parse(&args.to)?;
    if from_target.shown == to_target.shown {
        return Err(Failure::usage("--from and --to name the same store"));
    }
    let from_name = global.codec.unwrap_or_else(|| from_target.default_codec());
    let to_name = args.to_codec.unwrap_or_else(|| to_target.default_codec());
    let from_codec = AnyCodec::new(from_name, None)?;
    let to_codec = AnyCodec::new(to_name, args.express_max_age.map(Duration::from_secs))?;
    let (page_size, concurrency) = (args.page_size.max(1), args.concurrency.max(1));
    let from = from_target.open(global.timeout, false).await?;
    let to = to_target.open(global.timeout, true).await?;
    let (from_shown, to_shown) = (&from_target.shown, &to_target.shown);

    let mut after = match &args.resume_file {
        Some(path) => read_resume(path, from_shown, to_shown)?,
        None => None,
    };
    let resumed = after.is_some();
    // The elapsed time of the summary: a process's own stopwatch, not session time.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let total = from
        .count(global.now())
        .await
        .map_err(|e| Failure::store("counting the source's sessions", from_shown, &e))?;
    let bar = progress(Some(total), global.json);
    let mut tally = Tally::default();
    let mut stopped = None;
    loop {
        let page = from
            .scan(after.as_ref(), page_size, global.now())
            .await
            .map_err(|e| Failure::store("reading the source", from_shown, &e))?;
        let read = page.entries.len() as u64;
        let mut outcomes = stream::iter(page.entries)
            .map(|entry| copy_one(&to, &from_codec, &to_codec, args.overwrite, entry))
            .buffer_unordered(concurrency);
        while let Some(outcome) = outcomes.next().await {
            if let Some(err) = tally.add(outcome) {
                stopped.get_or_insert(err);
            }
        }
        bar.inc(read);
        if stopped.is_some() {
            // The cursor stays before this page: a new run retries all of it.
            break;
        }
        match page.next {
            Some(next) => {
                if let Some(path) = &args.resume_file {
                    write_resume(path, from_shown, to_shown, &next)?;
                }
                after = Some(next);
            }
            None => break,
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let complete = stopped.is_none();
    if let (true, Some(path)) = (complete, &args.resume_file) {
        // Done: the next run starts over (and skips what is there).
        let _ = std::fs::remove_file(path);
    }
    let done = tally.copied + tally.replaced;
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    let mut summary = None;
    if global.json {
        let failures: Vec<Value> = tally
            .failures
            .iter()
            .map(|(id, why)| json!({"id": id, "error": why}))
            .collect();
        let doc = json!({
            "from": from_shown,
            "to": to_shown,
            "from_codec": from_name.name(),
            "to_codec": to_name.name(),
            "resumed": resumed,
            "complete": complete,
            "copied": tally.copied,
            "replaced": tally.replaced,
            "skipped": tally.skipped(),
            "skipped_same": tally.same,
            "skipped_different": tally.different,
            "skipped_expired": tally.expired,
            "failed": tally.failed,
            "failures": failures,
            "elapsed_ms": elapsed.as_millis() as u64,
            "per_second": rate.round(),
        });
        if stopped.is_some() {
            // Printed with the error, as one document.
            summary = Some(doc);
        } else {
            print_json(&doc);
        }
    } else {
        println!(
            "migrated {from_shown} ({}) -> {to_shown} ({})",
            from_name.name(),
            to_name.name()
        );
        println!("  copied:   {}", tally.copied);
        if tally.replaced > 0 {
            println!(
                "  replaced: {} (different in the target, --overwrite)",
                tally.replaced
            );
        }
        println!(
            "  skipped:  {} ({} already there, {} different in the target and kept, {} expired meanwhile)",
            tally.skipped(),
            tally.same,
            tally.different,
            tally.expired
        );
        println!("  failed:   {}", tally.failed);
        for (id, why) in &tally.failures {
            println!("    {id}: {why}");
        }
        if tally.failed > tally.failures.len() as u64 {
            println!(
                "    ... and {} more",
                tally.failed - tally.failures.len() as u64
            );
        }
        println!(
            "  elapsed:  {} ({rate:.0} sessions/s){}",
            span(time::Duration::try_from(elapsed).unwrap_or(time::Duration::MAX)),
            if resumed { ", resumed" } else { "" }
        );
    }
    if let Some(err) = stopped {
        let resume = match &args.resume_file {
            Some(path) => format!("run it again with --resume-file {}", path.display()),
            None => "run it again: what is copied is skipped".to_owned(),
        };
        return Err(Failure {
            exit: Exit::Unreachable,
            message: format!("the migration stopped: {to_shown}: {err}; {resume}"),
            detail: summary,
        });
    }
    Ok(if tally.failed > 0 {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
