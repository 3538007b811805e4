-- User ids compare byte by byte, as in every other store. Under the table's default
-- collation (case- and accent-insensitive, such as utf8mb4_general_ci) listing or revoking
-- the sessions of "ann" also listed or revoked those of "Ann" and "ÅNN". utf8mb4_bin keeps
-- the index selective; the store's statements also compare user ids and session ids as
-- binary strings, which MySQL's and MariaDB's _bin collations do not do for trailing spaces
-- ("ann" = "ann "). The id column is already ascii_bin (case-sensitive) and stays as it is.
ALTER TABLE http_sessions
    MODIFY user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
