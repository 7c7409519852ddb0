"""HTML pages, form posts with CSRF, error pages, static files and the live stream, through wsgiref.validate."""
import re
import sqlite3
import threading
import time
import unittest
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from tests.support import ForumTestCase

ERROR_TEMPLATE = Path(__file__).resolve().parents[1] / "forum" / "templates" / "error.html"


class PagesTest(ForumTestCase):
    def view_count(self, thread_id):
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute("SELECT view_count FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]

    def form_post(self, path, fields):
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def login_by_form(self, username="alice"):
        self.request("GET", "/login")
        result = self.form_post("/login", {"csrf": self.cookies["forum_csrf"], "username": username,
                                           "password": f"{username}-password", "next": "/b/help"})
        self.assertEqual((result.status, result.header("Location")), (303, "/b/help"))
        return result

    def test_the_front_page_lists_every_board(self):
        result = self.request("GET", "/")
        self.assertEqual((result.status, result.header("Content-Type")), (200, "text/html; charset=utf-8"))
        for name in ("General", "Help", "Café"):
            self.assertIn(f">{name}</a>", result.text)
        self.assertIn('href="/b/caf%C3%A9"', result.text)

    def test_a_board_page_lists_its_threads_and_offers_login_to_guests(self):
        result = self.request("GET", "/b/help")
        self.assertEqual(result.status, 200)
        self.assertEqual(result.text.count('<tr><td><a href="/t/'), 6)
        self.assertIn("to start a thread", result.text)

    def test_a_get_of_a_thread_page_counts_one_view_and_head_counts_none(self):
        before = self.view_count(1)
        self.assertEqual(self.request("GET", "/t/1").status, 200)
        self.assertEqual(self.view_count(1), before + 1)
        head = self.request("HEAD", "/t/1")
        self.assertEqual((head.status, head.body), (200, b""))
        self.assertEqual(self.view_count(1), before + 1)

    def test_a_shadow_copy_of_a_thread_page_counts_no_view_and_shows_the_same_count(self):
        before = self.view_count(1)
        self.assertEqual(self.request("GET", "/t/1").status, 200)
        copy = self.request("GET", "/t/1", headers={"X-Strangler-Shadow": "1"})
        self.assertEqual(copy.status, 200)
        self.assertIn(f"{before + 1} views", copy.text)
        self.assertEqual(self.view_count(1), before + 1)

    def test_thread_pages_page_posts_by_fifty(self):
        with sqlite3.connect(self.db_path) as conn:
            long_id = conn.execute("SELECT id FROM threads ORDER BY post_count DESC LIMIT 1").fetchone()[0]
        first, second = self.request("GET", f"/t/{long_id}"), self.request("GET", f"/t/{long_id}", query="page=2")
        self.assertEqual(first.text.count('<article class="post"'), 50)
        self.assertEqual(second.text.count('<article class="post"'), 5)
        self.assertIn(f'href="/t/{long_id}?page=2"', first.text)

    def test_login_by_form_sets_both_cookies_and_logout_clears_them(self):
        result = self.login_by_form()
        self.assertEqual([c.split("=")[0] for c in result.header_all("Set-Cookie")], ["forum_session", "forum_csrf"])
        page = self.request("GET", "/b/help")
        self.assertIn('<span class="who">alice</span>', page.text)
        self.assertIn('action="/b/help/new"', page.text)
        logout = self.form_post("/logout", {"csrf": self.cookies["forum_csrf"]})
        self.assertEqual((logout.status, logout.header("Location")), (303, "/"))
        self.assertNotIn("forum_session", self.cookies)

    def test_a_wrong_password_shows_the_form_again_with_401(self):
        self.request("GET", "/login")
        result = self.form_post("/login", {"csrf": self.cookies["forum_csrf"], "username": "alice", "password": "x"})
        self.assertEqual(result.status, 401)
        self.assertIn("wrong username or password", result.text)
        self.assertEqual(result.header_all("Set-Cookie"), [])

    def test_form_posts_without_the_csrf_token_are_403(self):
        self.login_by_form()
        for fields in ({"body": "hi"}, {"body": "hi", "csrf": "forged"}):
            with self.subTest(fields=fields):
                result = self.form_post("/t/1/reply", fields)
                self.assertEqual(result.status, 403)
                self.assertIn("<h1>403 Forbidden</h1>", result.text)
        self.assertEqual(self.form_post("/logout", {}).status, 403)

    def test_login_redirects_only_to_local_paths(self):
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            with self.subTest(target=target):
                self.request("GET", "/login")
                result = self.form_post("/login", {"csrf": self.cookies["forum_csrf"], "username": "bob",
                                                   "password": "bob-password", "next": target})
                self.assertEqual(result.header("Location"), "/")

    def test_a_form_reply_is_stored_rendered_and_redirects_to_it(self):
        self.login_by_form()
        result = self.form_post("/t/1/reply", {"csrf": self.cookies["forum_csrf"], "body": "<img src=x onerror=alert(1)> *ok*"})
        self.assertEqual(result.status, 303)
        self.assertRegex(result.header("Location"), r"^/t/1\?page=1#p\d+$")
        page = self.request("GET", "/t/1").text
        self.assertIn("<p>&lt;img src=x onerror=alert(1)&gt; <em>ok</em></p>", page)

    def test_a_form_thread_is_created_and_redirects_to_it(self):
        self.login_by_form("carol")
        result = self.form_post("/b/general/new", {"csrf": self.cookies["forum_csrf"], "title": "Form <thread>",
                                                   "body": "First!"})
        self.assertEqual(result.status, 303)
        page = self.request("GET", result.header("Location"))
        self.assertIn("<h1>Form &lt;thread&gt;</h1>", page.text)

    def test_form_writes_need_login(self):
        self.request("GET", "/login")
        result = self.form_post("/t/1/reply", {"csrf": self.cookies["forum_csrf"], "body": "x"})
        self.assertEqual(result.status, 401)


class ErrorPagesTest(ForumTestCase):
    def expected(self, status, title, message):
        text = ERROR_TEMPLATE.read_text(encoding="utf-8")
        self.assertEqual(set(re.findall(r"\$(\w+)", text)), {"status", "title", "message"})
        return Template(text).substitute(status=status, title=title, message=escape(message)).encode()

    def test_every_html_error_is_the_error_template_filled_with_three_values(self):
        cases = [
            ("GET", "/nowhere", 404, "Not Found", "There is no page at this address."),
            ("GET", "/t/01", 400, "Bad Request", "thread id must be a positive integer"),
            ("GET", "/t/999", 404, "Not Found", "thread 999 does not exist"),
            ("GET", "/b/<script>", 404, "Not Found", "board '<script>' does not exist"),
            ("GET", "/t/1", 400, "Bad Request", "page must be a positive integer"),
            ("DELETE", "/", 405, "Method Not Allowed", "method DELETE is not allowed here; use GET, HEAD"),
            ("GET", "/logout", 405, "Method Not Allowed", "method GET is not allowed here; use POST"),
        ]
        for method, path, status, title, message in cases:
            with self.subTest(path=path, method=method):
                result = self.request(method, path, query="page=0" if message.startswith("page") else "")
                self.assertEqual(result.status, status)
                self.assertEqual(result.header("Content-Type"), "text/html; charset=utf-8")
                self.assertEqual(result.body, self.expected(status, title, message))

    def test_an_html_405_carries_allow(self):
        self.assertEqual(self.request("POST", "/t/1").header("Allow"), "GET, HEAD")


class StaticFilesTest(ForumTestCase):
    def test_assets_are_served_with_type_and_etag_and_revalidate_with_304(self):
        result = self.request("GET", "/static/style.css")
        self.assertEqual((result.status, result.header("Content-Type")), (200, "text/css; charset=utf-8"))
        again = self.request("GET", "/static/style.css", headers={"If-None-Match": result.header("ETag")})
        self.assertEqual((again.status, again.body), (304, b""))
        self.assertEqual(self.request("GET", "/static/forum.js").header("Content-Type"), "text/javascript; charset=utf-8")

    def test_nothing_outside_the_static_folder_is_reachable(self):
        for path in ("/static/../app.py", "/static/..%2Fapp.py", "/static/", "/static/missing.css", "/static/.."):
            with self.subTest(path=path):
                self.assertEqual(self.request("GET", path).status, 404)


class LiveTest(ForumTestCase):
    def test_the_stream_starts_with_a_comment_sends_new_posts_and_ends_after_its_limit(self):
        def reply_soon():
            time.sleep(0.3)
            with sqlite3.connect(self.db_path) as conn:
                conn.execute("INSERT INTO posts (thread_id, author_id, body, body_html, created_at)"
                             " VALUES (1, 2, 'live', '<p>live</p>', '2026-02-01T00:00:00Z')")

        writer = threading.Thread(target=reply_soon)
        writer.start()
        # The request returning at all shows the stream ended (after live_max_seconds); how fast is not asserted.
        result = self.request("GET", "/live/t/1")
        writer.join()
        self.assertEqual(result.header("Content-Type"), "text/event-stream; charset=utf-8")
        self.assertTrue(result.text.startswith(": connected\n\n"))
        self.assertRegex(result.text, r'event: post\nid: \d+\ndata: \{"id":\d+,"thread_id":1,"author":\{"id":2,'
                                      r'"username":"bob"\},"body":"live","body_html":"<p>live</p>",')

    def test_a_reconnecting_client_gets_the_posts_after_its_last_event_id(self):
        text = self.request("GET", "/live/t/1", headers={"Last-Event-ID": "1"}).text
        self.assertEqual(re.findall(r"^id: (\d+)$", text, re.MULTILINE), ["2", "3"])

    def test_a_quiet_stream_sends_keepalive_comments(self):
        self.app.live_keepalive_seconds = 0.4
        text = self.request("GET", "/live/t/1").text
        self.assertIn(text.count(": keepalive\n\n"), (2, 3))  # every 0.4 s of a 1.5 s stream
        self.assertNotIn("event: post", text)

    def test_a_stream_for_a_missing_thread_is_404(self):
        self.assertEqual(self.request("GET", "/live/t/999").status, 404)


if __name__ == "__main__":
    unittest.main()
