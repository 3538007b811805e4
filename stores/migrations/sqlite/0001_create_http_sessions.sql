-- Sessions of session-stores' SqliteStore. Instants are Unix milliseconds.
CREATE TABLE IF NOT EXISTS http_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    payload BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    version INTEGER NOT NULL
);
-- The cleanup task deletes by expiry.
CREATE INDEX IF NOT EXISTS http_sessions_expires_at ON http_sessions (expires_at);
