//! One test per row of the decision table in `manual::decision_table`.

use super::*;
use crate::config::{Config, Unset};
use time::macros::datetime;

fn config(f: impl FnOnce(crate::ConfigBuilder) -> crate::ConfigBuilder) -> Config {
    f(Config::builder().secret("0123456789abcdef0123456789abcdef"))
        .build()
        .unwrap()
}

fn facts(loaded: Loaded) -> Facts {
    Facts {
        loaded,
        had_cookie: loaded == Loaded::Present,
        resign: false,
        modified: false,
        empty: loaded != Loaded::Present,
        regenerated: false,
        destroyed: false,
        server_error: false,
        touch_due: false,
        persistent_cookie: false,
        max_age_changed: false,
    }
}

fn plan(store: StoreOp, cookie: CookieOp) -> Plan {
    Plan { store, cookie }
}

#[test]
fn row_04_server_error_does_nothing_but_a_destroy() {
    let c = config(|b| b.save_uninitialized(true).rolling(true));
    for loaded in [Loaded::NotLoaded, Loaded::Absent, Loaded::Present] {
        let f = Facts {
            server_error: true,
            modified: true,
            empty: false,
            ..facts(loaded)
        };
        assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::None));
    }
}

#[test]
fn row_01_destroy_takes_effect_on_a_server_error() {
    let c = config(|b| b);
    let f = Facts {
        destroyed: true,
        server_error: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Delete, CookieOp::Clear));
    let f = Facts {
        destroyed: true,
        server_error: true,
        had_cookie: true,
        ..facts(Loaded::NotLoaded)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Delete, CookieOp::Clear));
}

#[test]
fn row_01_destroy_loaded_or_unloaded_with_cookie_deletes_and_clears() {
    let c = config(|b| b);
    let f = Facts {
        destroyed: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Delete, CookieOp::Clear));
    let f = Facts {
        destroyed: true,
        had_cookie: true,
        ..facts(Loaded::NotLoaded)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Delete, CookieOp::Clear));
}

#[test]
fn row_02_destroy_with_cookie_but_no_record_clears() {
    let c = config(|b| b);
    let f = Facts {
        destroyed: true,
        had_cookie: true,
        ..facts(Loaded::Absent)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::Clear));
}

#[test]
fn row_03_destroy_without_cookie_does_nothing() {
    let c = config(|b| b);
    for loaded in [Loaded::NotLoaded, Loaded::Absent] {
        let f = Facts {
            destroyed: true,
            ..facts(loaded)
        };
        assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::None));
    }
}

#[test]
fn row_05_untouched_does_nothing_even_when_rolling_or_resigning() {
    let c = config(|b| b.rolling(true).resave(true).save_uninitialized(true));
    let f = Facts {
        had_cookie: true,
        resign: true,
        ..facts(Loaded::NotLoaded)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::None));
}

#[test]
fn row_06_regenerate_without_record_creates() {
    let c = config(|b| b);
    let f = Facts {
        regenerated: true,
        ..facts(Loaded::Absent)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Create, CookieOp::Set));
}

#[test]
fn row_07_new_session_with_data_is_created() {
    let c = config(|b| b);
    let f = Facts {
        modified: true,
        empty: false,
        ..facts(Loaded::Absent)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Create, CookieOp::Set));
    // Written then removed again: still empty, so not created.
    let f = Facts {
        modified: true,
        empty: true,
        ..facts(Loaded::Absent)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::None));
}

#[test]
fn row_08_save_uninitialized_creates_empty_sessions() {
    let c = config(|b| b.save_uninitialized(true));
    assert_eq!(
        decide(&c, &facts(Loaded::Absent)),
        plan(StoreOp::Create, CookieOp::Set)
    );
}

#[test]
fn row_09_new_unwritten_session_is_not_stored() {
    let c = config(|b| b.rolling(true).resave(true));
    assert_eq!(
        decide(&c, &facts(Loaded::Absent)),
        plan(StoreOp::None, CookieOp::None)
    );
}

#[test]
fn row_10_regenerate_replaces() {
    let c = config(|b| b);
    let f = Facts {
        regenerated: true,
        modified: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Replace, CookieOp::Set));
}

#[test]
fn row_11_emptied_session_is_destroyed_with_unset_destroy() {
    let c = config(|b| b.unset(Unset::Destroy));
    let f = Facts {
        modified: true,
        empty: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Delete, CookieOp::Clear));
}

#[test]
fn row_11_unset_keep_ignores_the_emptying() {
    let c = config(|b| b.unset(Unset::Keep));
    let f = Facts {
        modified: true,
        empty: true,
        touch_due: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Touch, CookieOp::None));
}

#[test]
fn row_12_modified_is_saved_and_cookie_sent_when_needed() {
    let base = Facts {
        modified: true,
        empty: false,
        ..facts(Loaded::Present)
    };
    let c = config(|b| b);
    assert_eq!(decide(&c, &base), plan(StoreOp::Save, CookieOp::None));
    let persistent = Facts {
        persistent_cookie: true,
        ..base
    };
    assert_eq!(decide(&c, &persistent), plan(StoreOp::Save, CookieOp::Set));
    let resign = Facts {
        resign: true,
        ..base
    };
    assert_eq!(decide(&c, &resign), plan(StoreOp::Save, CookieOp::Set));
    let rolling = config(|b| b.rolling(true));
    assert_eq!(decide(&rolling, &base), plan(StoreOp::Save, CookieOp::Set));
    let lifetime = Facts {
        max_age_changed: true,
        ..base
    };
    assert_eq!(decide(&c, &lifetime), plan(StoreOp::Save, CookieOp::Set));
}

#[test]
fn row_13_resave_saves_unchanged_sessions() {
    let c = config(|b| b.resave(true));
    let f = Facts {
        empty: false,
        persistent_cookie: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Save, CookieOp::None));
    let c = config(|b| b.resave(true).rolling(true));
    assert_eq!(decide(&c, &f), plan(StoreOp::Save, CookieOp::Set));
}

#[test]
fn row_14_unchanged_session_is_touched_when_due() {
    let c = config(|b| b);
    let f = Facts {
        empty: false,
        touch_due: true,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::Touch, CookieOp::None));
    let c = config(|b| b.rolling(true));
    assert_eq!(decide(&c, &f), plan(StoreOp::Touch, CookieOp::Set));
}

#[test]
fn row_15_unchanged_session_not_due_costs_nothing() {
    let c = config(|b| b);
    let f = Facts {
        empty: false,
        ..facts(Loaded::Present)
    };
    assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::None));
    let f = Facts { resign: true, ..f };
    assert_eq!(decide(&c, &f), plan(StoreOp::None, CookieOp::Set));
}

const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

#[test]
fn expiry_prefers_custom_then_idle_then_max_age_then_fallback() {
    let h = Duration::from_secs(3600);
    let c = config(|b| b);
    assert_eq!(
        store_expiry(&c, T0, None, T0),
        T0 + time::Duration::hours(24)
    );
    let c = config(|b| b.max_age(Some(2 * h)));
    assert_eq!(
        store_expiry(&c, T0, None, T0),
        T0 + time::Duration::hours(2)
    );
    let c = config(|b| b.max_age(Some(2 * h)).idle_timeout(h));
    assert_eq!(
        store_expiry(&c, T0, None, T0),
        T0 + time::Duration::hours(1)
    );
    assert_eq!(
        store_expiry(&c, T0, Some(5 * h), T0),
        T0 + time::Duration::hours(5)
    );
}

#[test]
fn absolute_timeout_caps_store_and_cookie_expiry() {
    let h = Duration::from_secs(3600);
    let c = config(|b| b.max_age(Some(10 * h)).absolute_timeout(3 * h));
    let now = T0 + time::Duration::hours(2);
    assert_eq!(
        store_expiry(&c, T0, None, now),
        T0 + time::Duration::hours(3)
    );
    let (max_age, expires) = cookie_expiry(&c, T0, None, now).unwrap();
    assert_eq!(max_age, h);
    assert_eq!(expires, T0 + time::Duration::hours(3));
    assert!(is_live(&c, T0 + time::Duration::hours(9), T0, now));
    assert!(!is_live(
        &c,
        T0 + time::Duration::hours(9),
        T0,
        T0 + time::Duration::hours(3)
    ));
}

#[test]
fn browser_session_cookie_has_no_expiry() {
    let c = config(|b| b.idle_timeout(Duration::from_secs(60)));
    assert_eq!(cookie_expiry(&c, T0, None, T0), None);
    assert!(cookie_expiry(&c, T0, Some(Duration::from_secs(9)), T0).is_some());
}

#[test]
fn expired_records_are_not_live() {
    let c = config(|b| b);
    assert!(!is_live(&c, T0, T0, T0));
    assert!(is_live(&c, T0 + time::Duration::SECOND, T0, T0));
}

#[test]
fn touch_threshold_defaults_to_one_percent_of_lifetime() {
    let c = config(|b| b.idle_timeout(Duration::from_secs(100 * 60)));
    assert!(!touch_due(&c, None, T0, T0 + time::Duration::seconds(59)));
    assert!(touch_due(&c, None, T0, T0 + time::Duration::seconds(60)));
    let c = config(|b| b.touch_threshold(Duration::ZERO));
    assert!(touch_due(
        &c,
        None,
        T0,
        T0 + time::Duration::milliseconds(1)
    ));
    assert!(!touch_due(&c, None, T0, T0));
}
