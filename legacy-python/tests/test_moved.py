"""The forum's side of the pieces that moved to TypeScript: registration through the users service,
legacy's own internal endpoint for the TS side, and what a page does when the TS side is away."""
import json
import os
from unittest import mock

import strangler_client
from forum.app import create_app
from tests.support import ForumTestCase, call


class RegistrationTest(ForumTestCase):
    def test_registering_through_the_api_makes_a_user_who_is_logged_in(self):
        result = self.post_json("/api/v1/users", {"username": "dora_1", "password": "dora-password"})
        self.assertEqual(result.status, 201, result.body)
        user = result.json()["user"]
        self.assertEqual(user["username"], "dora_1")
        self.assertEqual(self.request("GET", "/api/v1/me").json(), {"user": user})
        self.post_json("/api/v1/logout", {})
        self.assertEqual(self.post_json("/api/v1/login", {"username": "DORA_1", "password": "dora-password"}).status, 200)

    def test_a_taken_username_is_409_with_the_users_services_message(self):
        self.assertApiError(self.post_json("/api/v1/users", {"username": "Alice", "password": "another-password"}),
                            409, "conflict", "username 'Alice' is taken; choose another")

    def test_invalid_fields_are_422_naming_them(self):
        self.assertApiError(self.post_json("/api/v1/users", {"username": "a b", "password": "short"}), 422, "invalid",
                            "username: must be 3 to 32 characters of A-Z a-z 0-9 _ -; password: must be at least 8 characters")
        self.assertApiError(self.post_json("/api/v1/users", {"username": 7, "password": "long-enough"}), 422, "invalid",
                            "username must be a string")

    def test_the_register_form_logs_the_new_user_in_and_redirects_home(self):
        page = self.request("GET", "/register")
        self.assertEqual(page.status, 200)
        csrf = self.cookies["forum_csrf"]
        result = self.request("POST", "/register", f"csrf={csrf}&username=erin2&password=erin-password".encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((result.status, result.header("Location")), (303, "/"))
        self.assertIn("erin2", self.request("GET", "/").text)

    def test_the_register_form_shows_a_taken_name_on_the_form_escaped(self):
        self.request("GET", "/register")
        result = self.request("POST", "/register", f"csrf={self.cookies['forum_csrf']}&username=bob&password=pw-password".encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(result.status, 409)
        self.assertIn("username &#x27;bob&#x27; is taken", result.text)


class LegacyInternalEndpointTest(ForumTestCase):
    def resolve(self, token_value, auth=None):
        headers = {"Content-Type": "application/json",
                   "Authorization": auth if auth is not None else f"Bearer {os.environ['STRANGLER_INTERNAL_TOKEN']}"}
        return call(self.app, "POST", "/_internal/legacy/sessions/resolve", json.dumps({"token": token_value}).encode(), headers)

    def test_it_names_the_user_of_a_live_session_and_null_otherwise(self):
        self.login("carol")
        session = self.resolve(self.cookies["forum_session"]).json()["session"]
        self.assertEqual(session["user_id"], 3)
        self.assertRegex(session["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.resolve("no-such-session").json(), {"session": None})

    def test_a_missing_or_wrong_token_is_401_and_says_nothing_else(self):
        for auth in ("", "Bearer wrong", f"Basic {os.environ['STRANGLER_INTERNAL_TOKEN']}"):
            with self.subTest(auth=auth):
                self.assertApiError(self.resolve("x", auth), 401, "unauthorized", "missing or wrong bearer token")

    def test_without_a_configured_token_the_endpoint_does_not_exist(self):
        with mock.patch.dict(os.environ, {"STRANGLER_INTERNAL_TOKEN": ""}):
            self.assertEqual(self.resolve("x", "Bearer ").status, 404)


class TsSideAwayTest(ForumTestCase):
    def setUp(self):
        super().setUp()
        self.app = create_app(self.db_path, client=strangler_client.InternalClient("http://127.0.0.1:1", "t" * 40, retries=0))
        self.addCleanup(self.app.close)

    def test_a_page_with_authors_is_a_503_error_page_that_says_what_is_missing(self):
        result = self.request("GET", "/b/general")
        self.assertEqual(result.status, 503)
        self.assertIn("The user service is not answering right now; try again in a moment.", result.text)

    def test_a_page_without_authors_still_works(self):
        self.assertEqual(self.request("GET", "/").status, 200)
