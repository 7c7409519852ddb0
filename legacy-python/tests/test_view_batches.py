"""POST /_internal/legacy/threads/views: the TS side's thread views, written behind and sent in batches."""
import json
import os
from unittest import mock

from tests.support import ForumTestCase, call


class ViewBatchEndpointTest(ForumTestCase):
    def send(self, body, auth=None):
        headers = {"Content-Type": "application/json",
                   "Authorization": auth if auth is not None else f"Bearer {os.environ['STRANGLER_INTERNAL_TOKEN']}"}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return call(self.app, "POST", "/_internal/legacy/threads/views", raw, headers)

    def views(self, thread):
        return self.request("GET", f"/api/v1/threads/{thread}").json()["thread"]["view_count"]

    def test_it_adds_every_count_of_a_batch_and_names_threads_it_did_not_find(self):
        one, two = self.views(1), self.views(2)
        result = self.send({"batch": "b-1", "counts": {"1": 3, "2": 1, "999999": 4}})
        self.assertEqual((result.status, result.json()), (200, {"batch": "b-1", "applied": True, "missing": [999999]}))
        self.assertEqual(result.header("Cache-Control"), "no-store")
        self.assertEqual((self.views(1), self.views(2)), (one + 3, two + 1))

    def test_a_batch_sent_again_is_not_counted_twice(self):
        before = self.views(1)
        self.assertTrue(self.send({"batch": "again", "counts": {"1": 2}}).json()["applied"])
        self.assertEqual(self.send({"batch": "again", "counts": {"1": 2}}).json(),
                         {"batch": "again", "applied": False, "missing": []})
        self.assertEqual(self.views(1), before + 2)

    def test_a_batch_with_a_bad_field_is_400_naming_it_and_counts_nothing(self):
        before = self.views(1)
        cases = [
            ({"counts": {"1": 1}}, "batch must be 1 to 64 characters of A-Z a-z 0-9 _ -"),
            ({"batch": "x" * 65, "counts": {"1": 1}}, "batch must be 1 to 64 characters of A-Z a-z 0-9 _ -"),
            ({"batch": "b", "counts": [1]}, 'counts must be an object of at most 10000 thread ids, e.g. {"12": 3}'),
            ({"batch": "b", "counts": {"1": 1, "01": 1}}, "counts: '01' is not a thread id (a positive integer)"),
            ({"batch": "b", "counts": {"1": 0}}, "counts['1'] must be a positive integer"),
            ({"batch": "b", "counts": {"1": True}}, "counts['1'] must be a positive integer"),
            ({"batch": "b", "counts": {"1": 1.5}}, "counts['1'] must be a positive integer"),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                self.assertApiError(self.send(body), 400, "bad_request", message)
        self.assertApiError(self.send(b"[1]"), 400, "bad_request", "the request body must be a JSON object")
        self.assertEqual(self.views(1), before)
        # A refused batch was not remembered: the same id with good counts is applied.
        self.assertTrue(self.send({"batch": "b", "counts": {"1": 1}}).json()["applied"])

    def test_it_needs_the_token_like_the_other_internal_endpoints(self):
        before = self.views(1)
        self.assertApiError(self.send({"batch": "t", "counts": {"1": 1}}, "Bearer wrong"), 401, "unauthorized",
                            "missing or wrong bearer token")
        with mock.patch.dict(os.environ, {"STRANGLER_INTERNAL_TOKEN": ""}):
            self.assertEqual(self.send({"batch": "t", "counts": {"1": 1}}, "Bearer ").status, 404)
        self.assertEqual(self.views(1), before)

    def test_batches_older_than_a_week_are_forgotten(self):
        with self.app.db.write() as conn:
            conn.execute("INSERT INTO view_batches (id, applied_at) VALUES ('old', '2000-01-01T00:00:00Z')")
        self.send({"batch": "new", "counts": {"1": 1}})
        ids = {row[0] for row in self.app.db.read().execute("SELECT id FROM view_batches")}
        self.assertEqual(ids, {"new"})
