//! Printing: instants, durations, JSON documents, progress.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant as RFC 3339 (UTC), for people and for JSON.
pub fn instant(at: OffsetDateTime) -> String {
    // Whole milliseconds: what the stores keep.
    let at = session_core::from_unix_millis(session_core::unix_millis(at));
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// A duration in the largest two units that matter: `2 d 3 h`, `4 min 10 s`, `850 ms`.
pub fn span(d: time::Duration) -> String {
    let ms = d.whole_milliseconds().unsigned_abs();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = ms / 1000;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// `at` relative to `now`: `in 3 h 2 min` or `4 min 10 s ago`.
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    if at >= now {
        format!("in {}", span(at - now))
    } else {
        format!("{} ago", span(now - at))
    }
}

/// Prints one JSON document on stdout.
pub fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        // A `Value` always serialises; never panic on output all the same.
        Err(_) => println!("{value}"),
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and `--json` is off.
pub fn progress(total: Option<u64>, json: bool) -> ProgressBar {
    let target = if json {
        ProgressDrawTarget::hidden()
    } else {
        // indicatif draws nothing when stderr is not a terminal.
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(total, target);
    let style = match total {
        Some(_) => ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} ({per_sec}, {eta} left) {msg}",
        ),
        None => ProgressStyle::with_template("{elapsed_precise} {spinner} {pos} {msg}"),
    };
    if let Ok(style) = style {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(time::Duration::milliseconds(850)), "850 ms");
        assert_eq!(span(time::Duration::seconds(250)), "4 min 10 s");
        assert_eq!(span(time::Duration::seconds(3 * 3600 + 120)), "3 h 2 min");
        assert_eq!(
            span(time::Duration::seconds(2 * 86_400 + 3 * 3600)),
            "2 d 3 h"
        );
    }
}
