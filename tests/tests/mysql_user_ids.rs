//! MySQL/MariaDB (`SESSION_TEST_MYSQL_URL`, default `mysql://root@127.0.0.1:3306/test`): a
//! table made by the first two migrations, whose `user_id` has the table's default collation
//! (case- and accent-insensitive), compares user ids exactly once `migrate` has upgraded it,
//! and keeps its rows. The server must be reachable: this test never skips.

use std::borrow::Cow;

use session_core::{Record, SessionId, Store};
use session_stores::MySqlStore;
use session_tests::store_suite::test_url;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, MySqlPool};
use time::OffsetDateTime;

/// The schema as the first two migrations left it, recorded where `migrate` looks.
fn first_two_migrations() -> Migrator {
    let sql = [
        include_str!("../../stores/migrations/mysql/0001_create_http_sessions.sql"),
        include_str!("../../stores/migrations/mysql/0002_user_index.sql"),
    ];
    let names = ["create http_sessions", "user index"];
    let migrations = (1..).zip(names).zip(sql).map(|((version, name), sql)| {
        Migration::new(
            version,
            Cow::Borrowed(name),
            MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(sql),
            false,
        )
    });
    let mut migrator = Migrator::with_migrations(migrations.collect());
    migrator.dangerous_set_table_name("_session_store_migrations");
    migrator
}

async fn user_id_collation(pool: &MySqlPool) -> String {
    let (collation,): (String,) = sqlx::query_as(
        "SELECT CAST(COLLATION_NAME AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'http_sessions' \
         AND COLUMN_NAME = 'user_id'",
    )
    .fetch_one(pool)
    .await
    .expect("the user_id column");
    collation
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgraded_mysql_table_compares_user_ids_exactly() {
    let url = test_url("SESSION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    let admin = MySqlPool::connect(&url)
        .await
        .expect("MySQL at SESSION_TEST_MYSQL_URL must be reachable");
    let database = format!("session_user_ids_{}", std::process::id());
    // The name is made of digits and a fixed prefix: nothing to escape.
    sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {database}")))
        .execute(&admin)
        .await
        .expect("drop a leftover database");
    sqlx::query(AssertSqlSafe(format!(
        "CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
    )))
    .execute(&admin)
    .await
    .expect("create a database");
    let (server, _) = url.rsplit_once('/').expect("a URL with a database");
    let pool = MySqlPool::connect(&format!("{server}/{database}"))
        .await
        .expect("connect to the new database");
    first_two_migrations()
        .run(&pool)
        .await
        .expect("the first two migrations");
    assert!(user_id_collation(&pool).await.ends_with("_ci"));

    let store = MySqlStore::from_pool(pool.clone());
    #[allow(clippy::disallowed_methods)] // the rows must outlive the test's few seconds
    let now = OffsetDateTime::now_utc();
    let later = now + time::Duration::minutes(10);
    let users = ["ann", "Ann", "ANN", "ÅNN", "ann "];
    let mut ids = Vec::new();
    for user in users {
        let id = SessionId::generate().expect("randomness");
        let record = Record::new(b"{}".to_vec(), later, 1).with_user(Some(user.to_owned()));
        store.create(&id, &record).await.expect("create");
        ids.push(id);
    }
    // What the old statements compared: all five are one user under the old collation.
    let (same,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM http_sessions WHERE user_id = ?")
        .bind("ann")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(same, 5, "the old collation takes all five for \"ann\"");

    store.migrate().await.expect("the upgrade");
    assert_eq!(user_id_collation(&pool).await, "utf8mb4_bin");
    for (user, id) in users.iter().zip(&ids) {
        let listed = store.user_sessions(user, now).await.expect("list");
        let listed: Vec<&SessionId> = listed.iter().map(|(id, _)| id).collect();
        assert_eq!(listed, [id], "{user:?} lists only its own session");
    }
    let deleted = store
        .delete_user_sessions("ann", None)
        .await
        .expect("revoke");
    assert_eq!(deleted, 1, "revoking \"ann\" deletes only its session");
    for (user, id) in users.iter().zip(&ids).skip(1) {
        let record = store.load(id, now).await.expect("load");
        let kept = record.expect("another user's session survives");
        assert_eq!(
            kept.user.as_deref(),
            Some(*user),
            "the upgrade kept the user"
        );
    }

    pool.close().await;
    sqlx::query(AssertSqlSafe(format!("DROP DATABASE {database}")))
        .execute(&admin)
        .await
        .expect("drop the database");
}
