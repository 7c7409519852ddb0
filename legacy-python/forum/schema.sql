-- The forum's database. One SQLite file shared by the legacy app and the TypeScript services,
-- opened in WAL mode with busy_timeout >= 5000 ms on both sides; writers use BEGIN IMMEDIATE.
-- Timestamps are ISO 8601 UTC text with second precision: 2026-01-02T03:04:05Z.
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  -- pbkdf2_sha256$<iterations>$<salt, urlsafe base64>$<hash, urlsafe base64>
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
  -- sha256 hex of the cookie value: a leaked database does not leak live sessions
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS boards (
  id          INTEGER PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS threads (
  id           INTEGER PRIMARY KEY,
  board_id     INTEGER NOT NULL REFERENCES boards(id),
  author_id    INTEGER NOT NULL REFERENCES users(id),
  title        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_post_at TEXT NOT NULL,
  post_count   INTEGER NOT NULL DEFAULT 0,
  view_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS threads_by_board ON threads(board_id, last_post_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS posts (
  id         INTEGER PRIMARY KEY,
  thread_id  INTEGER NOT NULL REFERENCES threads(id),
  author_id  INTEGER NOT NULL REFERENCES users(id),
  body       TEXT NOT NULL,  -- markdown source as the author wrote it
  body_html  TEXT NOT NULL,  -- safe HTML rendered from body when the post was written
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_thread ON posts(thread_id, id);

-- Batches of thread views the TS side sent (POST /_internal/legacy/threads/views), applied in the same
-- transaction as their counts: a batch sent again after a lost answer is not counted twice.
CREATE TABLE IF NOT EXISTS view_batches (
  id         TEXT PRIMARY KEY,
  applied_at TEXT NOT NULL
);
