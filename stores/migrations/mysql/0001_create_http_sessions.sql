-- Sessions of session-stores' MySqlStore. Instants are Unix milliseconds.
-- The id is compared byte by byte (ascii_bin): ids are case-sensitive, and a
-- case-insensitive collation would let one id load another's session.
CREATE TABLE IF NOT EXISTS http_sessions (
    id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    payload LONGBLOB NOT NULL,
    expires_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    -- The cleanup task deletes by expiry.
    INDEX http_sessions_expires_at (expires_at)
);
