"""SQLite access: one connection per thread, autocommit, `BEGIN IMMEDIATE` for every write.

Each table has one owner side. The users table belongs to the TypeScript users service now: legacy
reaches it only through the internal client (forum/internal.py), and every connection opened here
refuses any statement that reads or writes it, so a leftover query fails loudly instead of quietly
bypassing the owner.
"""
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = Path(__file__).with_name("schema.sql")
BUSY_TIMEOUT_MS = 5000
# How long a write waits for this process's other writers before giving up with DatabaseBusy.
WRITE_WAIT_SECONDS = 30.0
# Tables another side owns: statements on them are refused on legacy's connections.
FOREIGN_TABLES = frozenset({"users"})
_TABLE_ACTIONS = {sqlite3.SQLITE_READ, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_DELETE,
                  sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_INDEX}


class DatabaseBusy(Exception):
    """No write transaction could start in time: the caller answers 503 and the client may try again."""


def database_path(environ=os.environ):
    """FORUM_DB, relative paths taken from the repository root; default data/forum.db."""
    return str(REPO_ROOT / environ.get("FORUM_DB", "data/forum.db"))


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Database:
    """db.read() gives this thread's connection; `with db.write() as conn:` runs one write transaction."""

    def __init__(self, path, foreign_tables=FOREIGN_TABLES):
        """foreign_tables: what this process may not touch; only the seed, which builds the whole file
        before either side runs, passes an empty set."""
        self.path = str(path)
        self.foreign_tables = frozenset(foreign_tables)
        self._local = threading.local()
        # One writer of this process at a time waits for SQLite's write lock. Left to SQLite alone,
        # hundreds of threads poll the lock with growing sleeps, and under load some lose every round
        # until the busy timeout ends them with "database is locked"; here they queue instead, and only
        # another process (the TS side) is ever waited for through the busy timeout.
        self._write_lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self._schema_applied = False

    def read(self):
        owner = getattr(self._local, "owner", None)
        if owner is None:
            owner = self._local.owner = _ThreadConnection(self._connect())
        return owner.conn

    @contextmanager
    def write(self):
        conn = self.read()
        if not self._write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
            raise DatabaseBusy(f"no write could start within {WRITE_WAIT_SECONDS:g} s")
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise DatabaseBusy(f"the database stayed locked by another process: {error}") from None
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._write_lock.release()

    def _connect(self):
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Used by one thread only; closed by _ThreadConnection, possibly from the thread tearing it down.
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._schema_lock:
            if not self._schema_applied:
                conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
                self._schema_applied = True
        if self.foreign_tables:
            # A function of the table names only: a bound method would tie the connection to this
            # Database, and through its thread-local store to the holder that must die with the thread.
            conn.set_authorizer(_authorizer(self.foreign_tables))
        return conn



class _ThreadConnection:
    """Holds one thread's connection and closes it when the thread ends. A sqlite3 connection is part of
    a reference cycle (it and its statement cache refer to each other), so without this it, and its two
    file descriptors, would outlive its thread until the garbage collector happens to run: a server that
    starts a thread per client connection would pile up open files under load and keep them when idle.
    This holder is in no cycle: the thread's end drops it at once."""

    def __init__(self, conn):
        self.conn = conn

    def __del__(self):
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - nothing to tell at thread exit; the connection is gone either way
            pass


def _authorizer(foreign_tables):
    def authorize(action, arg1, arg2, db_name, trigger):
        # Where SQLite puts the table name: second for ALTER TABLE (after the database) and CREATE INDEX
        # (after the index), first for the rest (READ and UPDATE then give the column second).
        table = arg2 if action in (sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_INDEX) else arg1
        if action not in _TABLE_ACTIONS or table not in foreign_tables:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and arg2 == "id":
            # Foreign key checks (posts.author_id -> users.id) read the parent key; the key alone says
            # nothing about a user, and any query that reads the table itself is still refused.
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    return authorize
