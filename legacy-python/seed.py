"""Fill the forum's database deterministically: the same command gives the same rows.

    python3 legacy-python/seed.py --db data/forum.db --size tiny|demo|bench [--force]

Every seeded user's password is "<username>-password".
"""
import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

from forum.db import Database, database_path
from forum.markdown import render
from forum.passwords import hash_password

SEED = 20260101
BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)
# boards, users, threads, posts per ordinary thread (min, max), posts in the one long thread
SIZES = {
    "tiny": (3, 3, 12, (1, 4), 55),
    "demo": (5, 8, 60, (1, 12), 120),
    "bench": (8, 40, 2000, (5, 45), 400),
}
BOARDS = [
    ("general", "General", "Anything that fits nowhere else."),
    ("help", "Help", "Questions and answers about the forum."),
    ("café", "Café", "Off-topic chatter: ☕ and everything else."),
    ("announcements", "Announcements", "News from the team."),
    ("python", "Python", "Legacy code, WSGI and friends."),
    ("typescript", "TypeScript", "Where the code is going."),
    ("showcase", "Showcase", "Show what you built."),
    ("meta", "Meta", "About this forum itself."),
]
USERNAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
WORDS = ("migration endpoint legacy gateway route shadow canary request thread board reply parity "
         "sqlite python typescript proxy header cookie session markdown stream test deploy rollback "
         "naïve café façade jalapeño straße 日本語 привет").split()
TITLES = ["How do I {w}?", "Thoughts on {w}", "{W} is slow again", "Moving {w} to TypeScript",
          "Ünïcödé in {w} titles", "Question about {w} and {w2}", "Weekly {w} thread"]
EXTRAS = ["", "", "", "\n\n**Update:** it works now.", "\n\n```python\nprint('hello, {w}')\n```",
          "\n\n- first {w}\n- second {w2}\n  - nested {w}", "\n\n> quoted {w} from above",
          "\n\nSee [the docs](https://example.com/{w}) or <https://example.org>.",
          "\n\n<script>alert('{w}')</script> stays text.", "\n\nEmoji too: 🎉 and `inline {w}`."]


def usernames(size):
    return [USERNAMES[i] if i < len(USERNAMES) else f"user{i + 1}" for i in range(SIZES[size][1])]


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
    if rng.random() < 0.3:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    return " ".join(words).capitalize() + "."


def post_body(rng):
    text = " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))
    return text + rng.choice(EXTRAS).format(w=rng.choice(WORDS), w2=rng.choice(WORDS))


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(size):
    """The rows for a size: (users, boards, threads, posts) as tuples ready for INSERT."""
    board_count, user_count, thread_count, (low, high), long_thread_posts = SIZES[size]
    rng = random.Random(SEED)
    names = usernames(size)
    users = [(i + 1, name, hash_password(f"{name}-password", salt=rng.randbytes(16)), stamp(BASE_TIME))
             for i, name in enumerate(names)]
    boards = [(i + 1, *BOARDS[i], i) for i in range(board_count)]
    threads, posts = [], []
    created = BASE_TIME + timedelta(days=1)
    long_thread = thread_count // 2 + 1
    for thread_id in range(1, thread_count + 1):
        created += timedelta(minutes=rng.randint(5, 600))
        author = rng.randint(1, user_count)
        title = rng.choice(TITLES).format(w=rng.choice(WORDS), W=rng.choice(WORDS).capitalize(), w2=rng.choice(WORDS))
        count = long_thread_posts if thread_id == long_thread else rng.randint(low, high)
        moment = created
        for index in range(count):
            if index:
                moment += timedelta(minutes=rng.randint(1, 240))
            body = post_body(rng)
            poster = author if index == 0 else rng.randint(1, user_count)
            posts.append((len(posts) + 1, thread_id, poster, body, render(body), stamp(moment)))
        board = 1 + (thread_id - 1) % board_count if thread_id <= board_count else rng.randint(1, board_count)
        threads.append((thread_id, board, author, title, stamp(created), stamp(moment), count, rng.randint(0, 500)))
    return users, boards, threads, posts


def is_empty(conn):
    return not any(conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in ("users", "boards", "threads", "posts"))


def seed(db_path, size, force=False):
    """Create the schema and fill it; refuses a non-empty database unless force. Returns the row counts."""
    # The seed builds every table before either side runs, so it alone may write the TS-owned users table.
    db = Database(db_path, foreign_tables=())
    if not is_empty(db.read()) and not force:
        raise SystemExit(f"seed.py: {db_path} already has data; pass --force to replace it")
    users, boards, threads, posts = build(size)
    with db.write() as conn:
        for table in ("sessions", "posts", "threads", "boards", "users"):
            conn.execute(f"DELETE FROM {table}")
        conn.executemany("INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)", users)
        conn.executemany("INSERT INTO boards (id, slug, name, description, position) VALUES (?, ?, ?, ?, ?)", boards)
        conn.executemany("INSERT INTO threads (id, board_id, author_id, title, created_at, last_post_at, post_count,"
                         " view_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", threads)
        conn.executemany("INSERT INTO posts (id, thread_id, author_id, body, body_html, created_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", posts)
    # Fold the write-ahead log into the file so it can be copied or shipped on its own.
    db.read().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.read().close()
    return {"users": len(users), "boards": len(boards), "threads": len(threads), "posts": len(posts)}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fill the forum's database with deterministic sample data.")
    parser.add_argument("--db", help="SQLite file, relative to the repository root like FORUM_DB (default: FORUM_DB)")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny", help="how much data (default: tiny)")
    parser.add_argument("--force", action="store_true", help="replace the rows of a database that has data")
    args = parser.parse_args(argv)
    started = time.monotonic()
    path = database_path({"FORUM_DB": args.db} if args.db else os.environ)
    counts = seed(path, args.size, args.force)
    print(f"seeded {path} ({args.size}) in {time.monotonic() - started:.1f} s: "
          + ", ".join(f"{count} {table}" for table, count in counts.items()))
    print("users (password: <username>-password, e.g. alice-password): " + ", ".join(usernames(args.size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
