"""Text the forum cannot store faithfully is refused, not mangled: a NUL, or bytes that are not UTF-8, in
a query parameter, a form field or a JSON body get a 4xx naming what to fix (the TS side says the same
for the same query: services/forum-common/params.ts)."""
import json
import sqlite3
import unittest

from forum.web import HTTPError, text_pairs
from tests.support import ForumTestCase


class TextPairsTest(unittest.TestCase):
    def refusal(self, encoded):
        with self.assertRaises(HTTPError) as caught:
            text_pairs(encoded, "query parameter")
        return caught.exception.status, caught.exception.message

    def test_decodes_utf8_escapes_plus_signs_and_keeps_a_malformed_escape_as_sent(self):
        self.assertEqual(text_pairs("q=caf%C3%A9+au+lait&page=%zz&page=2&flag", "query parameter"),
                         {"q": "café au lait", "page": "%zz", "flag": ""})

    def test_refuses_a_value_or_a_name_that_is_not_utf8_naming_it_as_sent(self):
        self.assertEqual(self.refusal("page=1&q=%FF"),
                         (400, "query parameter 'q' is not valid UTF-8 text; encode it as UTF-8"))
        self.assertEqual(self.refusal("%C3%28=1"),
                         (400, "query parameter '%C3%28' is not valid UTF-8 text; encode it as UTF-8"))

    def test_refuses_a_nul_in_a_value_or_a_name(self):
        self.assertEqual(self.refusal("page=1%002"),
                         (400, "query parameter 'page' contains a NUL character (%00); remove it"))
        self.assertEqual(self.refusal("a%00b"), (400, "query parameter 'a%00b' contains a NUL character (%00); remove it"))


class RequestTextTest(ForumTestCase):
    def post_count(self):
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute("SELECT count(*) FROM posts").fetchone()[0]

    def test_refuses_a_query_parameter_with_a_nul_or_invalid_utf8_on_the_api_and_on_pages(self):
        for path in ("/api/v1/threads/1", "/api/v1/boards/general/threads"):
            with self.subTest(path=path):
                self.assertApiError(self.request("GET", path, query="page=1&q=%FF"), 400, "bad_request",
                                    "query parameter 'q' is not valid UTF-8 text; encode it as UTF-8")
                self.assertApiError(self.request("GET", path, query="q=%00"), 400, "bad_request",
                                    "query parameter 'q' contains a NUL character (%00); remove it")
        page = self.request("GET", "/t/1", query="page=%00")
        self.assertEqual(page.status, 400)
        self.assertIn("query parameter &#x27;page&#x27; contains a NUL character (%00); remove it", page.text)

    def test_refuses_a_reply_with_a_nul_in_its_json_body_storing_nothing(self):
        self.login()
        before = self.post_count()
        result = self.post_json("/api/v1/threads/1/posts", {"body": "hello\u0000world"})
        self.assertApiError(result, 422, "invalid", "body must not contain NUL characters (\\u0000); remove them")
        self.assertEqual(self.post_count(), before)

    def test_refuses_a_json_body_that_is_not_utf8(self):
        self.login()
        result = self.post_json("/api/v1/threads/1/posts", b'{"body":"caf\xe9"}')
        self.assertApiError(result, 400, "bad_request", "the request body is not valid UTF-8; send JSON encoded as UTF-8")

    def test_refuses_a_form_field_with_a_nul_or_invalid_utf8_storing_nothing(self):
        self.login()
        before = self.post_count()
        csrf = self.cookies["forum_csrf"]
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        nul = self.request("POST", "/t/1/reply", f"csrf={csrf}&body=hi%00there".encode(), form)
        self.assertEqual(nul.status, 400)
        self.assertIn("form field &#x27;body&#x27; contains a NUL character (%00); remove it", nul.text)
        bad = self.request("POST", "/t/1/reply", f"csrf={csrf}&body=caf%E9".encode(), form)
        self.assertEqual(bad.status, 400)
        self.assertIn("form field &#x27;body&#x27; is not valid UTF-8 text; encode it as UTF-8", bad.text)
        self.assertEqual(self.post_count(), before)

    def test_still_accepts_ordinary_unicode_everywhere(self):
        self.login()
        result = self.post_json("/api/v1/threads/1/posts", {"body": "naïve café ☕ 日本語"})
        self.assertEqual(result.status, 201, result.body)
        self.assertEqual(json.loads(result.body)["post"]["body"], "naïve café ☕ 日本語")


if __name__ == "__main__":
    unittest.main()
