"""What the forum asks the TypeScript side for, now that those pieces have moved there: the users table
(look-ups, password checks, registration) and the markdown renderer. Every call goes through the
stdlib client in strangler_client.py; this module turns its failures into the forum's own errors.

Every call shares the deadline of the request being answered (forum/app.py sets it; the client makes
each call wait at most what is left and honours the TS side's Retry-After within it), so a slow, busy
machine makes a login or a post slow, not failed. A call that still cannot be made (the TS side down,
stuck past the budget, or answering nonsense) becomes a 503 error page or JSON error with a plain
message, and one log line that names the call: never a traceback.
"""
from urllib.parse import quote

import strangler_client as client_module

from .logs import log
from .web import HTTPError

UNAVAILABLE = "{what} is not answering right now; try again in a moment."
# Telling the TS side about a logout only saves its cache a few seconds: never worth more of the request.
FORGET_TIMEOUT_SECONDS = 2.0


class Moved:
    """The moved pieces, reached through one client (one pool of kept-alive connections)."""

    def __init__(self, client):
        self.client = client

    def user(self, user_id):
        """{"id", "username"} of a user, or None when there is no such user."""
        try:
            found = self._call("the user service", self.client.get, f"/_internal/v1/users/{int(user_id)}")
        except client_module.NotFound:
            return None
        return _public(found["user"])

    def usernames(self, user_ids):
        """{id: username} for the ids that exist, in one call."""
        ids = sorted({int(user_id) for user_id in user_ids})
        names = {}
        for start in range(0, len(ids), 500):
            chunk = ",".join(str(user_id) for user_id in ids[start:start + 500])
            found = self._call("the user service", self.client.get, "/_internal/v1/users", params={"ids": chunk})
            names.update((user["id"], user["username"]) for user in found["users"])
        return names

    def fill_authors(self, *records):
        """Set author.username on threads and posts whose author has only an id."""
        names = self.usernames(record["author"]["id"] for record in records)
        for record in records:
            record["author"]["username"] = names.get(record["author"]["id"], "[unknown]")
        return records

    def verify(self, username, password):
        """{"id", "username"} when the password is the user's, else None."""
        found = self._call("the user service", self.client.post, "/_internal/v1/users/verify",
                           {"username": username, "password": password}, idempotent=True)
        return _public(found["user"]) if found["user"] else None

    def register(self, username, password):
        """The new user's {"id", "username"}; HTTPError 409 when the name is taken, 422 when it is invalid."""
        try:
            made = self._call("the user service", self.client.post, "/_internal/v1/users",
                              {"username": username, "password": password})
        except client_module.Conflict as exc:
            raise HTTPError(409, "conflict", exc.message) from None
        except client_module.BadRequest as exc:
            raise HTTPError(422, "invalid", exc.message) from None
        return _public(made["user"])

    def render(self, source):
        """The safe HTML of a post's markdown."""
        answer = self._call("the markdown renderer", self.client.post, "/_internal/v1/markdown/render",
                            {"source": source}, idempotent=True)
        return answer["html"]

    def forget_session(self, token_sha256):
        """Tell the TS side a session ended, so its cache drops it now; a failure only costs the cache's
        few seconds, so it is logged, not raised."""
        try:
            self.client.delete(f"/_internal/v1/sessions/{quote(token_sha256, safe='')}", timeout=FORGET_TIMEOUT_SECONDS)
        except client_module.InternalError as exc:
            log("warn", "internal_call_failed", call=exc.call, error=str(exc), request_id=exc.request_id,
                consequence="the TS side may recognise this session for a few more seconds")

    def _call(self, what, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (client_module.NotFound, client_module.BadRequest):
            raise
        except client_module.InternalError as exc:
            log("error", "internal_call_failed", call=exc.call, error=str(exc), request_id=exc.request_id)
            raise HTTPError(503, "unavailable", UNAVAILABLE.format(what=what[0].upper() + what[1:])) from None


def _public(user):
    return {"id": user["id"], "username": user["username"]}
