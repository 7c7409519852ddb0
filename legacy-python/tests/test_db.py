"""forum.db's connections: one per thread, and closed when their thread ends, so a server that starts a
thread per client connection goes back to the open files it had once the load is over."""
import os
import shutil
import tempfile
import threading
import unittest
from unittest import mock

from forum import db as db_module
from forum.db import Database
from tests.support import ForumTestCase

FD_DIR = "/proc/self/fd"


def open_files():
    return len(os.listdir(FD_DIR))


@unittest.skipUnless(os.path.isdir(FD_DIR), "counting open files needs /proc")
class ThreadConnectionTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = Database(os.path.join(self.dir, "forum.db"))

    def in_threads(self, work, count):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def test_closes_each_threads_connection_when_the_thread_ends(self):
        # As in the server, no connection outlives its request thread: SQLite keeps the descriptor of a
        # closed connection while another connection of the process holds a lock on the file.
        self.in_threads(lambda n: self.db.read().execute("SELECT 1").fetchall(), 1)  # creates the schema
        baseline = open_files()

        def query(n):
            with self.db.write() as conn:
                conn.execute("INSERT INTO boards (slug, name, description) VALUES (?, 'B', 'd')", (f"b{n}",))
            self.db.read().execute("SELECT count(*) FROM boards").fetchone()

        self.in_threads(query, 40)
        # Each connection holds the database file and its WAL: 40 leaked connections would be 80 more.
        self.assertLessEqual(open_files(), baseline + 1)
        counts = []
        self.in_threads(lambda n: counts.append(self.db.read().execute("SELECT count(*) FROM boards").fetchone()[0]), 1)
        self.assertEqual(counts, [40])

    def test_keeps_one_connection_per_thread_while_it_lives(self):
        self.assertIs(self.db.read(), self.db.read())


class BusyWriteTest(ForumTestCase):
    def test_answers_503_with_retry_after_when_no_write_can_start_in_time(self):
        self.login()
        holder_ready, release = threading.Event(), threading.Event()

        def hold_the_writers():
            with self.app.db.write():
                holder_ready.set()
                release.wait(10)

        holder = threading.Thread(target=hold_the_writers)
        holder.start()
        self.addCleanup(holder.join)
        self.addCleanup(release.set)
        holder_ready.wait(10)
        with mock.patch.object(db_module, "WRITE_WAIT_SECONDS", 0.05):
            result = self.post_json("/api/v1/threads/1/posts", {"body": "waits for the lock"})
        self.assertApiError(result, 503, "unavailable", "the forum is busy right now; try again in a moment")
        self.assertEqual(result.header("Retry-After"), "1")


if __name__ == "__main__":
    unittest.main()
