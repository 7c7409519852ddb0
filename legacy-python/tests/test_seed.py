"""seed.py: deterministic rows at each size, and no accidental overwrite."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from forum.app import create_app
from forum.passwords import verify_password
from seed import seed
from tests.support import call

LEGACY_DIR = Path(__file__).resolve().parents[1]


def dump(path):
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
                for table in ("users", "boards", "threads", "posts")}


class SeedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="forum-seed-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_the_same_command_gives_the_same_rows_and_the_same_json(self):
        seed(self.path("a.db"), "tiny")
        seed(self.path("b.db"), "tiny")
        self.assertEqual(dump(self.path("a.db")), dump(self.path("b.db")))
        bodies = []
        for name in ("a.db", "b.db"):
            app = create_app(self.path(name))
            self.addCleanup(app.close)
            bodies.append(call(app, "GET", "/api/v1/threads/6").body)
        self.assertEqual(bodies[0], bodies[1])

    def test_tiny_has_three_users_three_boards_a_long_thread_markdown_and_non_ascii(self):
        counts = seed(self.path("tiny.db"), "tiny")
        self.assertEqual((counts["users"], counts["boards"], counts["threads"]), (3, 3, 12))
        rows = dump(self.path("tiny.db"))
        self.assertEqual([u[1] for u in rows["users"]], ["alice", "bob", "carol"])
        self.assertGreater(max(t[6] for t in rows["threads"]), 50)
        bodies = " ".join(p[3] for p in rows["posts"])
        self.assertRegex(bodies, r"\*\w+\*")
        self.assertTrue(any(ord(char) > 127 for char in bodies))
        with sqlite3.connect(self.path("tiny.db")) as conn:
            mismatched = conn.execute("SELECT COUNT(*) FROM threads WHERE post_count !="
                                      " (SELECT COUNT(*) FROM posts WHERE thread_id = threads.id)"
                                      " OR last_post_at != (SELECT MAX(created_at) FROM posts WHERE thread_id = threads.id)")
            self.assertEqual(mismatched.fetchone()[0], 0)

    def test_seeded_users_have_username_dash_password_in_the_shared_hash_format(self):
        # The users table is the TS side's; the seed writes its rows, so check them as the TS side reads them.
        seed(self.path("tiny.db"), "tiny")
        with sqlite3.connect(self.path("tiny.db")) as conn:
            users = conn.execute("SELECT username, password_hash FROM users").fetchall()
        for username, stored in users:
            with self.subTest(username=username):
                self.assertTrue(verify_password(f"{username}-password", stored))
                self.assertFalse(verify_password(f"{username}-Password", stored))

    def run_cli(self, *args):
        return subprocess.run([sys.executable, "seed.py", *args], cwd=LEGACY_DIR, capture_output=True, text=True,
                              timeout=60, env={**os.environ, "FORUM_PBKDF2_ITERATIONS": "1000"})

    def test_the_command_refuses_a_database_with_data_unless_forced(self):
        target = self.path("cli.db")
        first = self.run_cli("--db", target, "--size", "tiny")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("alice", first.stdout)
        again = self.run_cli("--db", target, "--size", "tiny")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already has data; pass --force to replace it", again.stderr)
        forced = self.run_cli("--db", target, "--size", "demo", "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertEqual(len(dump(target)["boards"]), 5)

    def test_an_unknown_size_is_refused_listing_the_choices(self):
        result = self.run_cli("--db", self.path("x.db"), "--size", "huge")
        self.assertEqual(result.returncode, 2)
        self.assertIn("choose from 'bench', 'demo', 'tiny'", result.stderr)


if __name__ == "__main__":
    unittest.main()
