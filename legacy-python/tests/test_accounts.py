"""Password hashing and sessions."""
import hashlib
import os
import shutil
import sqlite3
import tempfile
import unittest
from datetime import datetime, timedelta, timezone
from unittest import mock

from forum import passwords, sessions
from forum.db import Database
from tests.support import ForumTestCase, seeded_db, ts_logged


class PasswordsTest(unittest.TestCase):
    def test_a_hash_has_the_schema_format_and_verifies_only_its_password(self):
        stored = passwords.hash_password("s3cret ✓", iterations=1000)
        self.assertRegex(stored, r"^pbkdf2_sha256\$1000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$")
        self.assertTrue(passwords.verify_password("s3cret ✓", stored))
        self.assertFalse(passwords.verify_password("s3cret", stored))

    def test_the_same_password_gets_a_different_salt_each_time(self):
        self.assertNotEqual(passwords.hash_password("pw", iterations=1000), passwords.hash_password("pw", iterations=1000))

    def test_the_iteration_count_comes_from_the_environment_with_a_safe_default(self):
        with mock.patch.dict(os.environ, {"FORUM_PBKDF2_ITERATIONS": "1234"}):
            self.assertIn("$1234$", passwords.hash_password("pw"))
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(passwords.iterations_from_env(), 600000)
        with mock.patch.dict(os.environ, {"FORUM_PBKDF2_ITERATIONS": "lots"}):
            with self.assertRaisesRegex(ValueError, "FORUM_PBKDF2_ITERATIONS must be a positive integer"):
                passwords.hash_password("pw")

    def test_a_known_vector_verifies(self):
        # The published PBKDF2-HMAC-SHA256 vector for P="password", S="salt", c=1 (120fb6cf...).
        stored = "pbkdf2_sha256$1$c2FsdA$Eg-2z_z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs"
        self.assertTrue(passwords.verify_password("password", stored))

    def test_malformed_stored_hashes_never_match(self):
        for stored in ("", "plain", "md5$1$c2FsdA$abc", "pbkdf2_sha256$x$c2FsdA$abc", "pbkdf2_sha256$1$%%$abc"):
            with self.subTest(stored=stored):
                self.assertFalse(passwords.verify_password("password", stored))


class SessionsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="forum-sessions-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = Database(seeded_db(self.tmp))

    def test_a_session_names_its_user_until_it_expires_after_fourteen_days(self):
        now = datetime(2026, 3, 1, tzinfo=timezone.utc)
        token, csrf = sessions.start(self.db, 1, now)
        self.assertNotEqual(token, csrf)
        conn = self.db.read()
        self.assertEqual(sessions.live_session(conn, token, now + timedelta(days=13)),
                         {"user_id": 1, "expires_at": "2026-03-15T00:00:00Z"})
        self.assertIsNone(sessions.live_session(conn, token, now + timedelta(days=14)))
        self.assertIsNone(sessions.live_session(conn, token + "x", now))
        self.assertIsNone(sessions.live_session(conn, "", now))

    def test_a_session_is_named_by_the_sha256_of_its_cookie(self):
        token, _ = sessions.start(self.db, 2)
        self.assertEqual(sessions.token_hash(token), hashlib.sha256(token.encode()).hexdigest())
        row = self.db.read().execute("SELECT token_hash FROM sessions").fetchone()
        self.assertEqual(row["token_hash"], sessions.token_hash(token))

    def test_csrf_tokens_must_be_present_and_equal(self):
        self.assertTrue(sessions.csrf_matches("abc", "abc"))
        for cookie, submitted in (("abc", "abd"), ("", ""), (None, "abc"), ("abc", None)):
            self.assertFalse(sessions.csrf_matches(cookie, submitted))


class SessionEndTest(ForumTestCase):
    def test_ending_a_session_forgets_it_here_and_tells_the_ts_side(self):
        self.login("bob")
        token = self.cookies["forum_session"]
        self.assertEqual(self.request("GET", "/api/v1/me").status, 200)
        sessions.end(self.app, token)
        self.assertIsNone(sessions.live_session(self.app.db.read(), token))
        self.assertEqual(self.request("GET", "/api/v1/me").status, 401)
        forgotten = f"/_internal/v1/sessions/{sessions.token_hash(token)}"
        self.assertTrue(ts_logged(lambda line: forgotten in line and '"DELETE"' in line),
                        "the TS server did not log the DELETE that makes it forget the session")


class DatabaseTest(unittest.TestCase):
    def test_a_new_file_gets_the_schema_in_wal_mode_with_foreign_keys(self):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(os.path.join(tmp, "sub", "new.db"))
            conn = db.read()
            self.assertEqual(conn.execute("PRAGMA journal_mode").fetchone()[0], "wal")
            self.assertEqual(conn.execute("PRAGMA foreign_keys").fetchone()[0], 1)
            self.assertGreaterEqual(conn.execute("PRAGMA busy_timeout").fetchone()[0], 5000)
            with self.assertRaises(sqlite3.IntegrityError):
                with db.write() as writer:
                    writer.execute("INSERT INTO threads (board_id, author_id, title, created_at, last_post_at)"
                                   " VALUES (9, 9, 't', 'x', 'x')")
            self.assertFalse(conn.in_transaction)
            conn.close()


if __name__ == "__main__":
    unittest.main()
