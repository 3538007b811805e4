-- The user index of session-stores' PostgresStore: which user a session is bound to, so
-- that a user's sessions can be listed and revoked ("log out everywhere").
ALTER TABLE http_sessions ADD COLUMN IF NOT EXISTS user_id TEXT;
CREATE INDEX IF NOT EXISTS http_sessions_user_id ON http_sessions (user_id);
