//! Re-applying one request's changes onto a record another request saved meanwhile.

use serde_json::{Map, Value};

use crate::record::SessionState;
use crate::session::{key_hash, State};

/// Result of [`merge`].
pub(crate) enum Merged {
    /// `state` now holds the fresh record with this request's writes applied.
    Applied,
    /// A key this request read or wrote was changed by the other request: merging would lose
    /// a write.
    Conflict,
}

/// Merges this request's changes (in `state`) onto `fresh`, given the `original` it loaded.
pub(crate) fn merge(original: &SessionState, fresh: &SessionState, state: &mut State) -> Merged {
    // Keys are known by fingerprint (see `key_hash`). A key that shares one with a key this
    // request touched is checked and copied as if touched: it must be unchanged between
    // `original` and `fresh`, and untouched here it still holds `original`'s value, so
    // copying it changes nothing. A collision can only make a merge more cautious.
    let touched = |key: &&String| {
        let hash = key_hash(key);
        state.reads.contains(&hash) || state.writes.contains(&hash)
    };
    let unchanged = |key: &String| original.data.get(key) == fresh.data.get(key);
    let clean = if state.cleared {
        original.data == fresh.data
    } else {
        let known = original.data.keys().chain(fresh.data.keys());
        known.filter(touched).all(unchanged)
    };
    if !clean {
        return Merged::Conflict;
    }
    // Saving decoded the data already; an error here would be a record gone bad meanwhile.
    let Ok(mine) = state.data.map() else {
        return Merged::Conflict;
    };
    let mut data: Map<String, Value> = if state.cleared {
        Map::new()
    } else {
        fresh.data.clone()
    };
    let written = |key: &&String| state.writes.contains(&key_hash(key));
    // A key written here is in `mine`, or was removed here and so is in one of the others.
    let candidates = mine
        .keys()
        .chain(original.data.keys())
        .chain(fresh.data.keys());
    for key in candidates.filter(written) {
        match mine.get(key) {
            Some(value) => data.insert(key.clone(), value.clone()),
            None => data.remove(key),
        };
    }
    *mine = data;
    state.created_at = fresh.created_at;
    if state.max_age == original.max_age {
        state.max_age = fresh.max_age;
    }
    Merged::Applied
}
