//! The `Store` implementation every SQL dialect shares; only the statements differ.

/// Implements `Store`, `builder`, `connect`, `from_pool`, `migrate`, `delete_expired` and
/// `pool` for a SQL store type that has `pool: sqlx::Pool<_>` and `settings: Settings`
/// fields. `$url` is an example URL for the docs, `$backend` the store's metrics label.
macro_rules! sql_store {
    ($store:ident, $pool:ident, $queries:expr, $url:literal, $backend:literal) => {
        impl $store {
            /// A builder for a store on `url`.
            #[doc = concat!(
                "\n```\nlet builder = session_stores::", stringify!($store), "::builder(\"", $url, "\");\n```"
            )]
            pub fn builder(url: &str) -> $crate::sql::SqlStoreBuilder<Self> {
                $crate::sql::SqlStoreBuilder::new(url)
            }

            /// Connects with the defaults (timeout 2 s, 10 connections).
            #[doc = concat!(
                "\n```no_run\n# async fn run() -> Result<(), session_core::StoreError> {\n",
                "let store = session_stores::", stringify!($store), "::connect(\"", $url, "\").await?;\n",
                "# Ok(()) }\n```"
            )]
            pub async fn connect(url: &str) -> Result<Self, session_core::StoreError> {
                Self::builder(url).connect().await
            }

            /// A store on a pool you already have, with the default timeout and cleanup batch.
            #[doc = concat!(
                "\n```no_run\n# fn run(pool: sqlx::", stringify!($pool), ") {\n",
                "let store = session_stores::", stringify!($store), "::from_pool(pool);\n# }\n```"
            )]
            pub fn from_pool(pool: $pool) -> Self {
                Self {
                    pool,
                    settings: $crate::sql::Settings::default(),
                }
            }

            /// Creates the sessions table and its expiry index if they are missing (the
            /// migrations shipped in `stores/migrations/`). Safe to call on every start-up
            /// and from several processes at once.
            #[doc = concat!(
                "\n```no_run\n# async fn run(store: session_stores::", stringify!($store),
                ") -> Result<(), session_core::StoreError> {\nstore.migrate().await?;\n# Ok(()) }\n```"
            )]
            pub async fn migrate(&self) -> Result<(), session_core::StoreError> {
                self.run_migrations().await
            }

            /// Deletes every row expired at `now`, in batches of the configured size (each
            /// its own statement, under the timeout); returns how many rows went.
            #[doc = concat!(
                "\n```no_run\n# async fn run(store: session_stores::", stringify!($store),
                ", now: time::OffsetDateTime) -> Result<(), session_core::StoreError> {\n",
                "let removed = store.delete_expired(now).await?;\n# Ok(()) }\n```"
            )]
            pub async fn delete_expired(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<u64, session_core::StoreError> {
                let now = session_core::unix_millis(now);
                let batch = self.settings.cleanup_batch;
                let mut total = 0;
                loop {
                    let done = $crate::deadline::within(self.settings.timeout, async {
                        sqlx::query($queries.delete_expired)
                            .bind(now)
                            .bind(i64::from(batch))
                            .execute(&self.pool)
                            .await
                            .map_err($crate::sql::error::store_error)
                    })
                    .await?
                    .rows_affected();
                    total += done;
                    if done < u64::from(batch) {
                        return Ok(total);
                    }
                }
            }

            /// The connection pool, for sharing it with the rest of the application.
            #[doc = concat!(
                "\n```no_run\n# fn run(store: session_stores::", stringify!($store),
                ") {\nlet pool = store.pool().clone();\n# }\n```"
            )]
            pub fn pool(&self) -> &$pool {
                &self.pool
            }
        }

        impl $crate::Inventory for $store {
            async fn scan(
                &self,
                after: Option<&$crate::Cursor>,
                limit: usize,
                now: time::OffsetDateTime,
            ) -> Result<$crate::Page, session_core::StoreError> {
                let limit = limit.max(1);
                let rows = $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query_as::<_, (String, Vec<u8>, i64, i64, Option<String>)>(
                        $queries.scan,
                    )
                    // No id is empty, so `''` starts before the first.
                    .bind(after.map_or("", $crate::Cursor::as_str))
                    .bind(session_core::unix_millis(now))
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::sql::error::store_error)
                })
                .await?;
                let full = rows.len() >= limit;
                let last = rows.last().map(|row| $crate::Cursor::new(row.0.clone()));
                let mut entries = Vec::with_capacity(rows.len());
                for (id, payload, expires_ms, version, user) in rows {
                    // A row whose id is not a session id was not written by this store.
                    let Some(id) = session_core::SessionId::parse(&id) else {
                        continue;
                    };
                    let record = session_core::Record::new(
                        payload,
                        session_core::from_unix_millis(expires_ms),
                        $crate::sql::error::record_version(version)?,
                    )
                    .with_user(user);
                    entries.push((id, record));
                }
                Ok($crate::Page::new(entries, last.filter(|_| full)))
            }

            async fn count(
                &self,
                now: time::OffsetDateTime,
            ) -> Result<u64, session_core::StoreError> {
                let (count,) = $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query_as::<_, (i64,)>($queries.count)
                        .bind(session_core::unix_millis(now))
                        .fetch_one(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }
        }

        impl $crate::sql::cleanup::Cleanup for $store {
            fn delete_expired(
                &self,
                now: time::OffsetDateTime,
            ) -> impl std::future::Future<Output = Result<u64, session_core::StoreError>> + Send
            {
                $store::delete_expired(self, now)
            }
        }

        impl session_core::Store for $store {
            fn backend_name(&self) -> &'static str {
                $backend
            }

            async fn load(
                &self,
                id: &session_core::SessionId,
                now: time::OffsetDateTime,
            ) -> Result<Option<session_core::Record>, session_core::StoreError> {
                let row = $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query_as::<_, (Vec<u8>, i64, i64, Option<String>)>($queries.load)
                        .bind(id.as_str())
                        .bind(session_core::unix_millis(now))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                let Some((payload, expires_ms, version, user)) = row else {
                    return Ok(None);
                };
                Ok(Some(
                    session_core::Record::new(
                        payload,
                        session_core::from_unix_millis(expires_ms),
                        $crate::sql::error::record_version(version)?,
                    )
                    .with_user(user),
                ))
            }

            async fn create(
                &self,
                id: &session_core::SessionId,
                record: &session_core::Record,
            ) -> Result<(), session_core::StoreError> {
                let version = $crate::sql::error::db_version(record.version)?;
                $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query($queries.insert)
                        .bind(id.as_str())
                        .bind(record.payload.as_slice())
                        .bind(session_core::unix_millis(record.expires_at))
                        .bind(version)
                        .bind(record.user.as_deref())
                        .execute(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                Ok(())
            }

            async fn save(
                &self,
                id: &session_core::SessionId,
                record: &session_core::Record,
                expected_version: u64,
            ) -> Result<(), session_core::StoreError> {
                let version = $crate::sql::error::db_version(record.version)?;
                let expected = $crate::sql::error::db_version(expected_version)?;
                $crate::deadline::within(self.settings.timeout, async {
                    let changed = sqlx::query($queries.update)
                        .bind(record.payload.as_slice())
                        .bind(session_core::unix_millis(record.expires_at))
                        .bind(version)
                        .bind(record.user.as_deref())
                        .bind(id.as_str())
                        .bind(expected)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)?
                        .rows_affected();
                    if changed > 0 {
                        return Ok(());
                    }
                    // Rare: only a lost race or a vanished session pays for this query.
                    let found = sqlx::query_as::<_, (i64,)>($queries.version_of)
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)?;
                    Err(match found {
                        Some(_) => session_core::StoreError::conflict(),
                        None => session_core::StoreError::not_found(),
                    })
                })
                .await
            }

            async fn touch(
                &self,
                id: &session_core::SessionId,
                expires_at: time::OffsetDateTime,
            ) -> Result<(), session_core::StoreError> {
                $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query($queries.touch)
                        .bind(session_core::unix_millis(expires_at))
                        .bind(id.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                Ok(())
            }

            async fn delete(
                &self,
                id: &session_core::SessionId,
            ) -> Result<(), session_core::StoreError> {
                $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query($queries.delete)
                        .bind(id.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                Ok(())
            }

            async fn user_sessions(
                &self,
                user: &str,
                now: time::OffsetDateTime,
            ) -> Result<
                Vec<(session_core::SessionId, session_core::Record)>,
                session_core::StoreError,
            > {
                let rows = $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query_as::<_, (String, Vec<u8>, i64, i64)>($queries.user_sessions)
                        .bind(user)
                        .bind(session_core::unix_millis(now))
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                let mut sessions = Vec::with_capacity(rows.len());
                for (id, payload, expires_ms, version) in rows {
                    // A row whose id is not a session id was not written by this store.
                    let Some(id) = session_core::SessionId::parse(&id) else {
                        continue;
                    };
                    let record = session_core::Record::new(
                        payload,
                        session_core::from_unix_millis(expires_ms),
                        $crate::sql::error::record_version(version)?,
                    )
                    .with_user(Some(user.to_owned()));
                    sessions.push((id, record));
                }
                Ok(sessions)
            }

            async fn delete_user_sessions(
                &self,
                user: &str,
                except: Option<&session_core::SessionId>,
            ) -> Result<u64, session_core::StoreError> {
                let keep = except.map_or("", |id| id.as_str());
                let done = $crate::deadline::within(self.settings.timeout, async {
                    sqlx::query($queries.delete_user)
                        .bind(user)
                        .bind(keep)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::sql::error::store_error)
                })
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use sql_store;
