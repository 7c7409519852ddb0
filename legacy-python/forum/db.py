"""SQLite access: one connection per thread, autocommit, `BEGIN IMMEDIATE` for every write."""
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = Path(__file__).with_name("schema.sql")
BUSY_TIMEOUT_MS = 5000


def database_path(environ=os.environ):
    """FORUM_DB, relative paths taken from the repository root; default data/forum.db."""
    return str(REPO_ROOT / environ.get("FORUM_DB", "data/forum.db"))


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Database:
    """db.read() gives this thread's connection; `with db.write() as conn:` runs one write transaction."""

    def __init__(self, path):
        self.path = str(path)
        self._local = threading.local()
        self._schema_lock = threading.Lock()
        self._schema_applied = False

    def read(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self):
        conn = self.read()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connect(self):
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._schema_lock:
            if not self._schema_applied:
                conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
                self._schema_applied = True
        return conn
