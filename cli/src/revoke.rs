//! `sessions revoke` and `sessions purge-expired`.

use serde_json::json;
use session_core::SessionId;

use crate::error::{Exit, Failure};
use crate::output::print_json;
use crate::Global;

/// `sessions revoke`'s arguments: one session, or a user's.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// End this session.
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "user",
        conflicts_with = "user"
    )]
    id: Option<String>,
    /// End every session of this user (the store's user index; not in the express layouts).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// With --user: keep this session (the one the user is on).
    #[arg(long, value_name = "ID", requires = "user")]
    except: Option<String>,
}

pub async fn revoke(args: RevokeArgs, global: &Global) -> Result<Exit, Failure> {
    let target = global.target()?;
    let store = target.open(global.timeout, false).await?;
    let shown = &target.shown;
    let now = global.now();
    if let Some(id) = &args.id {
        let id = SessionId::parse(id).ok_or_else(|| Failure::usage("--id is empty"))?;
        let live = store
            .load(&id, now)
            .await
            .map_err(|e| Failure::store("loading the session", shown, &e))?
            .is_some();
        // Deleted either way: an expired record that is still kept goes too.
        store
            .delete(&id)
            .await
            .map_err(|e| Failure::store("deleting the session", shown, &e))?;
        if global.json {
            print_json(&json!({"store": shown, "id": id.as_str(), "revoked": u64::from(live)}));
        } else if live {
            println!("revoked 1 session in {shown}");
        } else {
            println!("no live session with this id in {shown}: nothing to revoke");
        }
        return Ok(if live { Exit::Ok } else { Exit::Findings });
    }
    let Some(user) = &args.user else {
        return Err(Failure::usage("give --id ID or --user USER"));
    };
    if !store.has_user_index() {
        return Err(Failure::usage(format!(
            "the {} layout keeps no user index: revoke its sessions one by one with --id",
            store.layout()
        )));
    }
    let except = match &args.except {
        Some(id) => Some(SessionId::parse(id).ok_or_else(|| Failure::usage("--except is empty"))?),
        None => None,
    };
    let revoked = store
        .delete_user_sessions(user, except.as_ref())
        .await
        .map_err(|e| Failure::store("revoking the user's sessions", shown, &e))?;
    if global.json {
        print_json(&json!({
            "store": shown,
            "user": user,
            "except": except.as_ref().map(SessionId::as_str),
            "revoked": revoked,
        }));
    } else {
        let kept = if except.is_some() { " (one kept)" } else { "" };
        println!("revoked {revoked} session(s) of user {user:?}{kept} in {shown}");
    }
    Ok(Exit::Ok)
}

pub async fn purge_expired(global: &Global) -> Result<Exit, Failure> {
    let target = global.target()?;
    let store = target.open(global.timeout, false).await?;
    let shown = &target.shown;
    let deleted = store
        .purge_expired(global.now())
        .await
        .map_err(|e| Failure::store("deleting expired sessions", shown, &e))?;
    let note = "Redis removes expired sessions itself: each key's TTL is the session's expiry";
    match (deleted, global.json) {
        (Some(n), true) => print_json(&json!({"store": shown, "deleted": n})),
        (Some(n), false) => println!("deleted {n} expired session(s) from {shown}"),
        (None, true) => print_json(&json!({"store": shown, "deleted": 0, "note": note})),
        (None, false) => println!("nothing to do: {note}"),
    }
    Ok(Exit::Ok)
}
