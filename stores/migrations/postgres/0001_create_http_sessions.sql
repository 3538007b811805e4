-- Sessions of session-stores' PostgresStore. Instants are Unix milliseconds.
CREATE TABLE IF NOT EXISTS http_sessions (
    id TEXT PRIMARY KEY,
    payload BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
-- The cleanup task deletes by expiry.
CREATE INDEX IF NOT EXISTS http_sessions_expires_at ON http_sessions (expires_at);
