"""Reading and writing the forum's rows, shaped exactly as docs/forum-api.md writes them.

The users table belongs to the TypeScript side: threads and posts come back with author ids only
(`"author": {"id": 1, "username": None}`), and the caller fills the names in with one call
(forum.moved.fill_authors). Post bodies arrive here already rendered.
"""

_THREAD_SELECT = (
    "SELECT threads.*, boards.slug AS board_slug FROM threads JOIN boards ON boards.id = threads.board_id")
_POST_SELECT = "SELECT posts.* FROM posts"
_BOARD_SELECT = (
    "SELECT boards.*, COUNT(threads.id) AS thread_count, COALESCE(SUM(threads.post_count), 0) AS post_count"
    " FROM boards LEFT JOIN threads ON threads.board_id = boards.id")


def board_json(row):
    return {"id": row["id"], "slug": row["slug"], "name": row["name"], "description": row["description"],
            "thread_count": row["thread_count"], "post_count": row["post_count"]}


def thread_json(row):
    return {"id": row["id"], "board": row["board_slug"], "title": row["title"],
            "author": {"id": row["author_id"], "username": None},
            "created_at": row["created_at"], "last_post_at": row["last_post_at"],
            "post_count": row["post_count"], "view_count": row["view_count"]}


def post_json(row):
    return {"id": row["id"], "thread_id": row["thread_id"],
            "author": {"id": row["author_id"], "username": None},
            "body": row["body"], "body_html": row["body_html"], "created_at": row["created_at"]}


def list_boards(conn):
    rows = conn.execute(_BOARD_SELECT + " GROUP BY boards.id ORDER BY boards.position, boards.id")
    return [board_json(row) for row in rows]


def find_board(conn, slug):
    row = conn.execute(_BOARD_SELECT + " WHERE boards.slug = ? GROUP BY boards.id", (slug,)).fetchone()
    return board_json(row) if row else None


def board_threads(conn, board_id, page, per_page):
    """(total, threads of that page) newest activity first."""
    total = conn.execute("SELECT COUNT(*) FROM threads WHERE board_id = ?", (board_id,)).fetchone()[0]
    rows = conn.execute(_THREAD_SELECT + " WHERE threads.board_id = ?"
                        " ORDER BY threads.last_post_at DESC, threads.id DESC LIMIT ? OFFSET ?",
                        (board_id, per_page, (page - 1) * per_page))
    return total, [thread_json(row) for row in rows]


def find_thread(conn, thread_id):
    row = conn.execute(_THREAD_SELECT + " WHERE threads.id = ?", (thread_id,)).fetchone()
    return thread_json(row) if row else None


def thread_posts(conn, thread_id, page, per_page):
    """(total, posts of that page) in id order."""
    total = conn.execute("SELECT COUNT(*) FROM posts WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    rows = conn.execute(_POST_SELECT + " WHERE posts.thread_id = ? ORDER BY posts.id LIMIT ? OFFSET ?",
                        (thread_id, per_page, (page - 1) * per_page))
    return total, [post_json(row) for row in rows]


def posts_after(conn, thread_id, after_id, limit=100):
    rows = conn.execute(_POST_SELECT + " WHERE posts.thread_id = ? AND posts.id > ? ORDER BY posts.id LIMIT ?",
                        (thread_id, after_id, limit))
    return [post_json(row) for row in rows]


def last_post_id(conn, thread_id):
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM posts WHERE thread_id = ?", (thread_id,)).fetchone()[0]


def insert_post(conn, thread_id, author_id, body, body_html, now):
    """Insert a post and bump its thread, inside the caller's write transaction; returns the post id.
    body_html is rendered before the transaction starts, so no call is made while the lock is held."""
    cursor = conn.execute(
        "INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?)",
        (thread_id, author_id, body, body_html, now))
    conn.execute("UPDATE threads SET post_count = post_count + 1, last_post_at = ? WHERE id = ?", (now, thread_id))
    return cursor.lastrowid


def insert_thread(conn, board_id, author_id, title, body, body_html, now):
    """Insert a thread with its first post inside the caller's write transaction; returns (thread id, post id)."""
    cursor = conn.execute(
        "INSERT INTO threads (board_id, author_id, title, created_at, last_post_at) VALUES (?, ?, ?, ?, ?)",
        (board_id, author_id, title, now, now))
    return cursor.lastrowid, insert_post(conn, cursor.lastrowid, author_id, body, body_html, now)


def find_post(conn, post_id):
    return post_json(conn.execute(_POST_SELECT + " WHERE posts.id = ?", (post_id,)).fetchone())


def count_view(conn, thread_id):
    """Count one view inside the caller's write transaction; the new count, or None for no such thread."""
    # fetchall: a RETURNING statement is only finished once its rows are read.
    rows = conn.execute("UPDATE threads SET view_count = view_count + 1 WHERE id = ? RETURNING view_count",
                        (thread_id,)).fetchall()
    return rows[0][0] if rows else None


def count_views(conn, counts):
    """Add {thread id: views} inside the caller's write transaction; the ids of threads that do not exist."""
    return [thread_id for thread_id, views in counts.items()
            if conn.execute("UPDATE threads SET view_count = view_count + ? WHERE id = ?", (views, thread_id)).rowcount == 0]


def view_batch_seen(conn, batch):
    return conn.execute("SELECT 1 FROM view_batches WHERE id = ?", (batch,)).fetchone() is not None


def remember_view_batch(conn, batch, now, keep_days):
    """Record a batch as applied, inside the same transaction, and forget batches older than keep_days."""
    conn.execute("INSERT INTO view_batches (id, applied_at) VALUES (?, ?)", (batch, now))
    conn.execute("DELETE FROM view_batches WHERE applied_at < strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?)",
                 (now, f"-{keep_days} days"))
