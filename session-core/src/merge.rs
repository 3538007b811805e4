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
    let unchanged = |key: &String| original.data.get(key) == fresh.data.get(key);
    let clean = if state.cleared {
        original.data == fresh.data
    } else {
        let read = |key: &&String| state.reads.contains(&key_hash(key));
        let read_keys = original.data.keys().chain(fresh.data.keys()).filter(read);
        read_keys.chain(&state.writes).all(unchanged)
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
    for key in &state.writes {
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
