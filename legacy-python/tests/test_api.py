"""The JSON API against docs/forum-api.md, through wsgiref.validate."""
import contextlib
import io
import json
import sqlite3
import threading
import unittest

from tests.support import ForumTestCase, call


class ReadEndpointsTest(ForumTestCase):
    def test_boards_are_listed_in_position_order_with_counts_in_contract_key_order(self):
        result = self.request("GET", "/api/v1/boards")
        self.assertEqual(result.status, 200)
        self.assertEqual(result.header("Cache-Control"), "no-store")
        boards = result.json()["boards"]
        self.assertEqual([b["slug"] for b in boards], ["general", "help", "café"])
        self.assertEqual(list(boards[0]), ["id", "slug", "name", "description", "thread_count", "post_count"])
        self.assertEqual(sum(b["thread_count"] for b in boards), 12)
        self.assertEqual(sum(b["post_count"] for b in boards), 88)

    def test_json_is_compact_and_writes_non_ascii_as_utf8(self):
        body = self.request("GET", "/api/v1/boards").body
        self.assertIn("Café".encode("utf-8"), body)
        self.assertNotIn(b"\\u", body)
        self.assertEqual(body, json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode())

    def test_threads_come_newest_activity_first_with_paging_fields(self):
        result = self.request("GET", "/api/v1/boards/general/threads", query="per_page=2&page=1")
        data = result.json()
        self.assertEqual(list(data), ["board", "threads", "page", "per_page", "total", "pages"])
        self.assertEqual((data["page"], data["per_page"]), (1, 2))
        self.assertEqual(data["pages"], -(-data["total"] // 2))
        thread = data["threads"][0]
        self.assertEqual(list(thread), ["id", "board", "title", "author", "created_at", "last_post_at",
                                        "post_count", "view_count"])
        everything = self.request("GET", "/api/v1/boards/general/threads").json()["threads"]
        keys = [(t["last_post_at"], t["id"]) for t in everything]
        self.assertEqual(keys, sorted(keys, reverse=True))

    def test_non_ascii_slugs_are_found(self):
        data = self.request("GET", "/api/v1/boards/café/threads").json()
        self.assertEqual(data["board"]["name"], "Café")

    def test_a_page_past_the_end_is_an_empty_list(self):
        data = self.request("GET", "/api/v1/boards/general/threads", query="page=99").json()
        self.assertEqual((data["threads"], data["page"]), ([], 99))

    def test_an_empty_board_has_one_page(self):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("INSERT INTO boards (slug, name) VALUES ('empty', 'Empty')")
        data = self.request("GET", "/api/v1/boards/empty/threads").json()
        self.assertEqual((data["total"], data["pages"], data["threads"]), (0, 1, []))

    def test_the_first_repeated_parameter_counts_and_unknown_ones_are_ignored(self):
        data = self.request("GET", "/api/v1/threads/1", query="per_page=1&per_page=bad&colour=blue").json()
        self.assertEqual(data["per_page"], 1)

    def test_a_thread_has_its_posts_in_id_order_and_pages_past_fifty(self):
        thread_id = self._longest_thread()
        first = self.request("GET", f"/api/v1/threads/{thread_id}").json()
        self.assertEqual(list(first), ["thread", "posts", "page", "per_page", "total", "pages"])
        self.assertEqual((len(first["posts"]), first["per_page"], first["pages"]), (50, 50, 2))
        second = self.request("GET", f"/api/v1/threads/{thread_id}", query="page=2").json()
        ids = [p["id"] for p in first["posts"] + second["posts"]]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(ids), first["total"])
        self.assertEqual(list(first["posts"][0]), ["id", "thread_id", "author", "body", "body_html", "created_at"])

    def _longest_thread(self):
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute("SELECT id FROM threads ORDER BY post_count DESC LIMIT 1").fetchone()[0]

    def test_reading_a_thread_through_the_api_does_not_count_a_view(self):
        before = self.request("GET", "/api/v1/threads/1").json()["thread"]["view_count"]
        self.assertEqual(self.request("GET", "/api/v1/threads/1").json()["thread"]["view_count"], before)

    def test_head_answers_like_get_without_a_body(self):
        get, head = self.request("GET", "/api/v1/boards"), self.request("HEAD", "/api/v1/boards")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("Content-Length"), str(len(get.body)))


class ReadErrorsTest(ForumTestCase):
    def test_malformed_thread_ids_are_400(self):
        for bad in ("abc", "0", "01", "-1", "+1", "1.0", "9007199254740992", "١", "1e3"):
            with self.subTest(id=bad):
                self.assertApiError(self.request("GET", f"/api/v1/threads/{bad}"), 400, "bad_request",
                                    "thread id must be a positive integer")

    def test_the_largest_safe_integer_is_a_valid_id_that_does_not_exist(self):
        self.assertApiError(self.request("GET", "/api/v1/threads/9007199254740991"), 404, "not_found",
                            "thread 9007199254740991 does not exist")

    def test_malformed_pages_are_400(self):
        for bad in ("", "0", "-1", "abc", "02", "1.5"):
            with self.subTest(page=bad):
                self.assertApiError(self.request("GET", "/api/v1/threads/1", query=f"page={bad}"), 400,
                                    "bad_request", "page must be a positive integer")

    def test_per_page_out_of_range_is_400_naming_the_range(self):
        self.assertApiError(self.request("GET", "/api/v1/boards/general/threads", query="per_page=101"), 400,
                            "bad_request", "per_page must be an integer from 1 to 100")
        self.assertApiError(self.request("GET", "/api/v1/threads/1", query="per_page=201"), 400,
                            "bad_request", "per_page must be an integer from 1 to 200")
        self.assertEqual(self.request("GET", "/api/v1/threads/1", query="per_page=200").status, 200)

    def test_missing_rows_are_404_naming_them(self):
        self.assertApiError(self.request("GET", "/api/v1/threads/999"), 404, "not_found", "thread 999 does not exist")
        self.assertApiError(self.request("GET", "/api/v1/boards/nope/threads"), 404, "not_found",
                            "board 'nope' does not exist")

    def test_unknown_api_paths_are_json_404(self):
        for path in ("/api", "/api/", "/api/v1", "/api/v2/boards", "/api/v1/boards/"):
            with self.subTest(path=path):
                self.assertApiError(self.request("GET", path), 404, "not_found", "no API endpoint at this path")

    def test_other_methods_are_405_with_allow(self):
        result = self.request("DELETE", "/api/v1/boards")
        self.assertApiError(result, 405, "method_not_allowed", "method DELETE is not allowed here; use GET, HEAD")
        self.assertEqual(result.header("Allow"), "GET, HEAD")
        result = self.request("PUT", "/api/v1/boards/general/threads")
        self.assertEqual(result.header("Allow"), "GET, HEAD, POST")
        result = self.request("GET", "/api/v1/login")
        self.assertApiError(result, 405, "method_not_allowed", "method GET is not allowed here; use POST")


class WriteEndpointsTest(ForumTestCase):
    def test_login_sets_two_cookies_and_me_answers_the_user(self):
        result = self.login("bob")
        self.assertEqual(result.json(), {"user": {"id": 2, "username": "bob"}})
        cookies = result.header_all("Set-Cookie")
        self.assertEqual(len(cookies), 2)
        self.assertRegex(cookies[0], r"^forum_session=[\w-]{40,}; Max-Age=1209600; Path=/; HttpOnly; SameSite=Lax$")
        self.assertRegex(cookies[1], r"^forum_csrf=[\w-]{40,}; Max-Age=1209600; Path=/; SameSite=Lax$")
        self.assertEqual(self.request("GET", "/api/v1/me").json(), {"user": {"id": 2, "username": "bob"}})

    def test_the_session_is_stored_only_as_its_hash(self):
        self.login()
        with sqlite3.connect(self.db_path) as conn:
            stored = conn.execute("SELECT token_hash FROM sessions").fetchall()
        self.assertEqual(len(stored), 1)
        self.assertNotEqual(stored[0][0], self.cookies["forum_session"])
        self.assertRegex(stored[0][0], r"^[0-9a-f]{64}$")

    def test_wrong_credentials_are_401(self):
        for username, password in (("alice", "wrong"), ("nobody", "alice-password")):
            result = self.post_json("/api/v1/login", {"username": username, "password": password})
            self.assertApiError(result, 401, "unauthorized", "wrong username or password")
            self.assertEqual(result.header_all("Set-Cookie"), [])

    def test_login_fields_must_be_strings(self):
        self.assertApiError(self.post_json("/api/v1/login", {"username": "alice"}), 422, "invalid",
                            "password must be a string")

    def test_logout_clears_the_cookies_and_ends_the_session(self):
        self.login()
        token = self.cookies["forum_session"]
        result = self.post_json("/api/v1/logout", b"")
        self.assertEqual(result.body, b'{"ok":true}')
        self.assertEqual(len(result.header_all("Set-Cookie")), 2)
        self.assertTrue(all("Max-Age=0" in c for c in result.header_all("Set-Cookie")))
        self.cookies["forum_session"] = token
        self.assertApiError(self.request("GET", "/api/v1/me"), 401, "unauthorized", "log in first")

    def test_me_without_a_session_is_401(self):
        self.assertApiError(self.request("GET", "/api/v1/me"), 401, "unauthorized", "log in first")
        self.cookies["forum_session"] = "forged"
        self.assertApiError(self.request("GET", "/api/v1/me"), 401, "unauthorized", "log in first")

    def test_creating_a_thread_answers_201_with_thread_and_rendered_post(self):
        self.login()
        result = self.post_json("/api/v1/boards/help/threads", {"title": "  Hello wörld  ", "body": "*hi* <b>"})
        self.assertEqual(result.status, 201, result.body)
        data = result.json()
        self.assertEqual(list(data), ["thread", "post"])
        self.assertEqual(data["thread"]["title"], "Hello wörld")
        self.assertEqual((data["thread"]["post_count"], data["thread"]["board"]), (1, "help"))
        self.assertEqual(data["post"]["body_html"], "<p><em>hi</em> &lt;b&gt;</p>")
        self.assertEqual(data["post"]["author"], {"id": 1, "username": "alice"})
        listed = self.request("GET", "/api/v1/boards/help/threads").json()["threads"][0]
        self.assertEqual(listed, data["thread"])

    def test_a_reply_bumps_its_thread(self):
        self.login("carol")
        result = self.post_json("/api/v1/threads/1/posts", {"body": "Me too"})
        self.assertEqual(result.status, 201, result.body)
        post = result.json()["post"]
        thread = self.request("GET", "/api/v1/threads/1", query="per_page=200").json()
        self.assertEqual(thread["posts"][-1], post)
        self.assertEqual(thread["thread"]["last_post_at"], post["created_at"])
        self.assertEqual(thread["thread"]["post_count"], thread["total"])

    def test_writes_need_login(self):
        self.assertApiError(self.post_json("/api/v1/threads/1/posts", {"body": "x"}), 401, "unauthorized",
                            "log in first")
        self.assertApiError(self.post_json("/api/v1/boards/general/threads", {"title": "t", "body": "x"}), 401,
                            "unauthorized", "log in first")

    def test_posts_without_json_content_type_are_refused_as_csrf(self):
        self.login()
        for content_type in ("application/x-www-form-urlencoded", "text/plain", ""):
            with self.subTest(content_type=content_type):
                result = self.post_json("/api/v1/threads/1/posts", {"body": "x"}, content_type)
                self.assertApiError(result, 403, "forbidden",
                                    "send the request body as JSON with Content-Type: application/json")
        self.assertEqual(self.post_json("/api/v1/threads/1/posts", {"body": "x"},
                                        "application/json; charset=utf-8").status, 201)

    def test_malformed_json_is_400(self):
        self.login()
        for body in (b"{", b"[]", b'"text"', b"[" * 100000):
            with self.subTest(body=body):
                self.assertApiError(self.post_json("/api/v1/threads/1/posts", body), 400, "bad_request",
                                    "the request body must be a JSON object")
        self.assertApiError(self.post_json("/api/v1/threads/1/posts", b"\xff"), 400, "bad_request",
                            "the request body is not valid UTF-8; send JSON encoded as UTF-8")

    def test_invalid_fields_are_422_naming_the_field_and_rule(self):
        self.login()
        cases = [
            ({"title": "   ", "body": "x"}, "title must be 1 to 200 characters after trimming"),
            ({"title": "x" * 201, "body": "x"}, "title must be 1 to 200 characters after trimming"),
            ({"title": 5, "body": "x"}, "title must be a string"),
            ({"title": "t", "body": " \n "}, "body must be 1 to 20000 characters and not blank"),
            ({"title": "t", "body": "x" * 20001}, "body must be at most 20000 characters"),
            ({"title": "t", "body": "\ud800"}, "body must be valid Unicode text (no lone surrogates)"),
        ]
        for fields, message in cases:
            with self.subTest(message=message):
                self.assertApiError(self.post_json("/api/v1/boards/general/threads", fields), 422, "invalid", message)
        self.assertEqual(self.post_json("/api/v1/boards/general/threads",
                                        {"title": " " + "x" * 200 + " ", "body": "y" * 20000}).status, 201)

    def test_writes_to_missing_rows_are_404(self):
        self.login()
        self.assertApiError(self.post_json("/api/v1/threads/999/posts", {"body": "x"}), 404, "not_found",
                            "thread 999 does not exist")
        self.assertApiError(self.post_json("/api/v1/boards/nope/threads", {"title": "t", "body": "x"}), 404,
                            "not_found", "board 'nope' does not exist")

    def test_a_body_over_one_mebibyte_is_413(self):
        result = self.request("POST", "/api/v1/login", b"x" * (1024 * 1024 + 1), {"Content-Type": "application/json"})
        self.assertApiError(result, 413, "too_large", "the request body is larger than 1 MiB")


class ConcurrencyTest(ForumTestCase):
    def test_concurrent_replies_from_many_threads_are_all_stored(self):
        self.login()
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        statuses = []

        def reply(worker):
            for n in range(5):
                result = call(self.app, "POST", "/api/v1/threads/2/posts", json.dumps({"body": f"concurrent {worker}-{n}"}).encode(),
                              {"Content-Type": "application/json", "Cookie": cookie})
                statuses.append(result.status)

        workers = [threading.Thread(target=reply, args=(w,)) for w in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.assertEqual(statuses, [201] * 40)
        thread = self.request("GET", "/api/v1/threads/2", query="per_page=200").json()
        self.assertEqual(thread["thread"]["post_count"], thread["total"])
        self.assertEqual(len({p["body"] for p in thread["posts"] if p["body"].startswith("concurrent ")}), 40)


class UnexpectedErrorsTest(ForumTestCase):
    def test_an_unexpected_error_is_a_json_500_that_hides_the_details(self):
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("DROP TABLE posts")
            conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY)")
        logs = io.StringIO()
        with contextlib.redirect_stdout(logs):
            result = self.request("GET", "/api/v1/threads/1", headers={"X-Request-Id": "req-500"})
        self.assertApiError(result, 500, "internal", "something went wrong on our side; try again later")
        record = json.loads(logs.getvalue().splitlines()[-1])
        self.assertEqual((record["level"], record["event"], record["request_id"]), ("error", "unhandled_error", "req-500"))
        self.assertIn("Traceback", record["traceback"])

    def test_keyboard_interrupt_is_never_swallowed(self):
        def interrupt(*args, **kwargs):
            raise KeyboardInterrupt

        self.app.router.add("/api/v1/interrupt", GET=interrupt)
        self.app.router._routes.insert(0, self.app.router._routes.pop())
        with self.assertRaises(KeyboardInterrupt):
            self.request("GET", "/api/v1/interrupt")


if __name__ == "__main__":
    unittest.main()
