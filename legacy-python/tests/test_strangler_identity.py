"""strangler_identity: the resolve endpoint as WSGI middleware (through wsgiref.validate) and the logout
relay against a real HTTP listener standing in for the TS server's internal side."""
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import strangler_client
import strangler_identity
from tests.support import call

TOKEN = "i" * 40
SESSIONS = {"alice-cookie": {"user_id": 1, "name": "Ålice"}}


def inner_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the app itself"]


def lookup(cookie_value):
    if cookie_value == "boom":
        raise RuntimeError("database is down")
    if cookie_value == "odd":
        return ["not", "a", "dict"]
    return SESSIONS.get(cookie_value)


APP = strangler_identity.IdentityMiddleware(inner_app, lookup, token=TOKEN)


def resolve(body, auth=f"Bearer {TOKEN}", content_type="application/json", app=APP, method="POST"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(app, method, strangler_identity.RESOLVE_PATH, data, {"Content-Type": content_type, "Authorization": auth})


class ResolveEndpointTest(unittest.TestCase):
    def assertRefused(self, result, status, code, message_part):
        self.assertEqual(result.status, status, result.body)
        self.assertEqual(result.header("Content-Type"), "application/json; charset=utf-8")
        error = json.loads(result.body)["error"]
        self.assertEqual(error["code"], code)
        self.assertIn(message_part, error["message"])

    def test_a_live_session_is_answered_with_what_the_lookup_returned(self):
        result = resolve({"token": "alice-cookie"})
        self.assertEqual(result.status, 200)
        self.assertEqual(json.loads(result.body), {"session": {"user_id": 1, "name": "Ålice"}})
        self.assertEqual(result.header("Cache-Control"), "no-store")

    def test_an_unknown_cookie_is_a_null_session(self):
        self.assertEqual(json.loads(resolve({"token": "nobody"}).body), {"session": None})

    def test_other_paths_reach_the_app_unchanged(self):
        result = call(APP, "GET", "/anything")
        self.assertEqual((result.status, result.body), (200, b"the app itself"))

    def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(self):
        for auth in ("", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"):
            with self.subTest(auth=auth):
                result = resolve({"token": "alice-cookie"}, auth=auth)
                self.assertRefused(result, 401, "unauthorized", "missing or wrong bearer token")
                self.assertEqual(result.header("WWW-Authenticate"), "Bearer")

    def test_without_a_token_of_32_bytes_the_endpoint_does_not_exist(self):
        for token in ("", "short"):
            with self.subTest(token=token):
                app = strangler_identity.IdentityMiddleware(inner_app, lookup, token=token)
                self.assertRefused(resolve({"token": "alice-cookie"}, auth=f"Bearer {token}", app=app), 404, "not_found", "no internal endpoint")

    def test_the_token_defaults_to_the_environment_read_once(self):
        environ = {"STRANGLER_INTERNAL_TOKEN": TOKEN}
        app = strangler_identity.IdentityMiddleware(inner_app, lookup, environ=environ)
        environ["STRANGLER_INTERNAL_TOKEN"] = "changed-later-" * 4
        self.assertEqual(resolve({"token": "alice-cookie"}, app=app).status, 200)

    def test_methods_other_than_post_are_405_with_allow(self):
        result = resolve(b"", method="GET")
        self.assertRefused(result, 405, "method_not_allowed", "only POST")
        self.assertEqual(result.header("Allow"), "POST")

    def test_bad_bodies_are_refused_saying_what_to_send(self):
        self.assertRefused(resolve({"token": "x"}, content_type="text/plain"), 415, "unsupported_media_type", "Content-Type: application/json")
        self.assertRefused(resolve(b"{not json"), 400, "bad_request", '{"token":')
        self.assertRefused(resolve(b"\xff\xfe"), 400, "bad_request", "must be JSON")
        for body in ({"token": ""}, {"token": 7}, {}, ["alice-cookie"], {"token": "x" * 4097}):
            with self.subTest(body=body):
                self.assertRefused(resolve(body), 400, "bad_request", "token: must be the session cookie's value")
        self.assertRefused(resolve(b"{" + b" " * strangler_identity.MAX_BODY_BYTES + b"}"), 413, "too_large", "at most")

    def test_a_lookup_that_fails_or_returns_no_dict_is_a_500_naming_the_cause(self):
        with self.assertLogs("strangler_identity", "ERROR"):
            self.assertRefused(resolve({"token": "boom"}), 500, "internal", "lookup failed")
        self.assertRefused(resolve({"token": "odd"}), 500, "internal", "returned list; it must return a dict or None")

    def test_mounting_refuses_a_lookup_that_is_not_callable_and_a_public_path(self):
        with self.assertRaisesRegex(TypeError, "lookup must be a function"):
            strangler_identity.IdentityMiddleware(inner_app, None, token=TOKEN)
        with self.assertRaisesRegex(ValueError, "under /_internal/"):
            strangler_identity.IdentityMiddleware(inner_app, lookup, token=TOKEN, path="/whoami")


class NotifyLogoutTest(unittest.TestCase):
    def setUp(self):
        self.seen = seen = []
        self.status = status = [204]

        class Handler(BaseHTTPRequestHandler):
            def do_DELETE(self):
                seen.append((self.path, self.headers.get("Authorization")))
                self.send_response(status[0])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = strangler_client.InternalClient(f"http://127.0.0.1:{self.server.server_port}", TOKEN, retries=0)

    def tearDown(self):
        self.client.close()
        self.server.shutdown()
        self.server.server_close()

    def test_it_deletes_the_sessions_sha256_with_the_token(self):
        self.assertTrue(strangler_identity.notify_logout("alice-cookie", self.client))
        self.assertEqual(self.seen, [(f"/_internal/v1/sessions/{strangler_identity.token_sha256('alice-cookie')}", f"Bearer {TOKEN}")])

    def test_no_cookie_tells_nothing(self):
        self.assertFalse(strangler_identity.notify_logout("", self.client))
        self.assertEqual(self.seen, [])

    def test_a_failure_is_handed_to_on_error_not_raised(self):
        self.status[0] = 401
        errors = []
        self.assertFalse(strangler_identity.notify_logout("alice-cookie", self.client, on_error=errors.append))
        self.assertIsInstance(errors[0], strangler_client.Unauthorized)

    def test_a_failure_without_on_error_is_logged_as_a_warning(self):
        self.status[0] = 500
        with self.assertLogs("strangler_identity", "WARNING") as logs:
            self.assertFalse(strangler_identity.notify_logout("alice-cookie", self.client))
        self.assertIn("could not tell the TS server about a logout", logs.output[0])


if __name__ == "__main__":
    unittest.main()
