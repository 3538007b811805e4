-- The user index of session-stores' MySqlStore: which user a session is bound to, so
-- that a user's sessions can be listed and revoked ("log out everywhere").
ALTER TABLE http_sessions
    ADD COLUMN user_id VARCHAR(255) NULL,
    ADD INDEX http_sessions_user_id (user_id);
