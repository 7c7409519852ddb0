"""The users table belongs to the TypeScript users service: the forum reaches it only through the
internal client. Two checks, so neither a new query nor a clever one slips through: no SQL in the forum's
code names the table, and every connection the forum opens refuses statements that touch it."""
import os
import re
import shutil
import sqlite3
import tempfile
import unittest
from pathlib import Path

from forum.db import FOREIGN_TABLES, Database
from tests.support import seeded_db

FORUM_DIR = Path(__file__).resolve().parents[1] / "forum"
# A table named after FROM, JOIN, INTO, UPDATE or TABLE, optionally schema-qualified or quoted.
SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(?:main\.)?\\?[\"`\[]?(\w+)", re.IGNORECASE)


def tables_named_in(source):
    """Tables named in the string literals of a Python source file."""
    literals = re.findall(r"(?s)\"\"\".*?\"\"\"|'''.*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'", source)
    return {match.lower() for literal in literals for match in SQL_TABLE.findall(literal)}


class OwnershipTest(unittest.TestCase):
    def test_no_sql_in_the_forum_names_a_table_another_side_owns(self):
        offenders = {}
        for path in sorted(FORUM_DIR.rglob("*.py")):
            named = tables_named_in(path.read_text(encoding="utf-8")) & FOREIGN_TABLES
            if named:
                offenders[str(path.relative_to(FORUM_DIR.parent))] = sorted(named)
        self.assertEqual(offenders, {}, "these files issue SQL on tables the TS side owns; call it through "
                                        "forum.moved (forum/internal.py) instead")

    def test_the_scan_finds_sql_on_the_users_table_in_its_usual_forms(self):
        for source in ('q = "SELECT id FROM users WHERE id = ?"', "q = 'SELECT * FROM posts JOIN users ON 1'",
                       'q = """INSERT INTO users (username) VALUES (?)"""', "q = 'UPDATE main.users SET x = 1'",
                       'q = "DELETE FROM \\"users\\""'):
            with self.subTest(source=source):
                self.assertIn("users", tables_named_in(source))
        self.assertNotIn("users", tables_named_in('note = "the users of the forum"  # FROM users in a comment'))

    def test_the_forums_connections_refuse_every_statement_on_the_users_table(self):
        tmp = tempfile.mkdtemp(prefix="forum-ownership-")
        self.addCleanup(shutil.rmtree, tmp, True)
        db = Database(seeded_db(tmp))
        conn = db.read()
        for statement in ("SELECT * FROM users", "SELECT username FROM users WHERE id = 1", "SELECT count(*) FROM users",
                          "SELECT 1 FROM users", "SELECT id FROM users",
                          "SELECT posts.id FROM posts JOIN users ON users.id = posts.author_id",
                          "SELECT (SELECT password_hash FROM users LIMIT 1)",
                          "WITH u AS (SELECT * FROM main.users) SELECT * FROM u",
                          "UPDATE users SET username = 'x'", "DELETE FROM users",
                          "INSERT INTO users (username, password_hash, created_at) VALUES ('x', 'y', 'z')",
                          "DROP TABLE users", "ALTER TABLE users ADD COLUMN x", "CREATE INDEX ux ON users(username)"):
            with self.subTest(statement=statement):
                with self.assertRaises(sqlite3.DatabaseError):
                    conn.execute(statement)

    def test_foreign_keys_to_the_users_table_still_hold(self):
        tmp = tempfile.mkdtemp(prefix="forum-ownership-")
        self.addCleanup(shutil.rmtree, tmp, True)
        db = Database(seeded_db(tmp))
        with db.write() as conn:
            conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('a', 1, 'x', 'y')")
        with self.assertRaises(sqlite3.IntegrityError):
            with db.write() as conn:
                conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('b', 999, 'x', 'y')")

    def test_only_the_seed_opens_the_database_without_the_refusal(self):
        opened_without = []
        for path in sorted(FORUM_DIR.parent.rglob("*.py")):
            if "tests" in path.parts:
                continue
            if re.search(r"foreign_tables\s*=\s*\(\s*\)", path.read_text(encoding="utf-8")):
                opened_without.append(path.name)
        self.assertEqual(opened_without, ["seed.py"])


if __name__ == "__main__":
    unittest.main()
