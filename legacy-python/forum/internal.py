"""What the forum asks the TypeScript side for, now that those pieces have moved there: the users table
(look-ups, password checks, registration) and the markdown renderer. Every call goes through the
stdlib client in strangler_client.py; this module turns its failures into the forum's own errors.

Every call shares the deadline of the request being answered (forum/app.py sets it; the client makes
each call wait at most what is left and honours the TS side's Retry-After within it), so a slow, busy
machine makes a login or a post slow, not failed. A call that still cannot be made (the TS side down,
stuck past the budget, or answering nonsense) becomes a 503 error page or JSON error with a plain
message, and one log line that names the call: never a traceback.
"""
import queue
import threading

import strangler_client as client_module

from .logs import log
from .web import HTTPError

UNAVAILABLE = "{what} is not answering right now; try again in a moment."
# A change notification that cannot go within this long is dropped: the TS cache's TTL covers it.
CHANGES_TIMEOUT_SECONDS = 2.0
# Notifications waiting for the sender thread; past this, new ones are dropped (and logged), never waited for.
MAX_PENDING_CHANGES = 10000
# The most changes in one call (the TS endpoint's limit).
MAX_CHANGES_PER_CALL = 1000
CHANGES_PATH = "/_internal/v1/changes"


class Moved:
    """The moved pieces, reached through one client (one pool of kept-alive connections)."""

    def __init__(self, client):
        self.client = client
        self.changes = ChangeNotifier(client)

    def changed(self, *changes):
        """After a commit: tell the TS side what changed (its page cache drops it), without waiting."""
        self.changes.notify(changes)

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

    def _call(self, what, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (client_module.NotFound, client_module.BadRequest):
            raise
        except client_module.InternalError as exc:
            log("error", "internal_call_failed", call=exc.call, error=str(exc), request_id=exc.request_id)
            raise HTTPError(503, "unavailable", UNAVAILABLE.format(what=what[0].upper() + what[1:])) from None


class ChangeNotifier:
    """After-commit notifications, POST /_internal/v1/changes {"changes": [...]}, sent by one background
    thread: the request that committed only puts them in a bounded queue and answers at once. A call that
    fails is logged and dropped (the TS cache serves a stale page for at most its TTL, 5 s by default);
    changes that pile up while one call is out go together in the next."""

    def __init__(self, client, timeout=CHANGES_TIMEOUT_SECONDS, max_pending=MAX_PENDING_CHANGES):
        self.client = client
        self.timeout = timeout
        self._pending = queue.Queue(maxsize=max_pending)
        self._lock = threading.Lock()
        self._thread = None

    def notify(self, changes):
        if not changes:
            return
        item = (list(changes), client_module.current_request_id())
        try:
            self._pending.put_nowait(item)
        except queue.Full:
            log("warn", "changes_dropped", changes=len(item[0]), request_id=item[1],
                consequence="the TS side may serve stale pages until its cache TTL")
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="change-notifier", daemon=True)
                self._thread.start()

    def close(self, timeout=CHANGES_TIMEOUT_SECONDS):
        """Send what is queued (within `timeout`), then stop the thread."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return
        try:
            self._pending.put(None, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)

    def _run(self):
        while True:
            item = self._pending.get()
            if item is None:
                return
            changes, request_id = item
            stop = False
            while len(changes) < MAX_CHANGES_PER_CALL:
                try:
                    more = self._pending.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                changes.extend(more[0])
            self._send(changes[:MAX_CHANGES_PER_CALL], request_id)
            for start in range(MAX_CHANGES_PER_CALL, len(changes), MAX_CHANGES_PER_CALL):
                self._send(changes[start:start + MAX_CHANGES_PER_CALL], request_id)
            if stop:
                return

    def _send(self, changes, request_id):
        try:
            # Dropping what changed is idempotent: a retry cannot do harm.
            self.client.post(CHANGES_PATH, {"changes": changes}, idempotent=True, timeout=self.timeout,
                             request_id=request_id)
        except client_module.InternalError as exc:
            log("warn", "internal_call_failed", call=exc.call, error=str(exc), request_id=exc.request_id,
                changes=len(changes), consequence="the TS side may serve stale pages until its cache TTL")
        except Exception as exc:  # noqa: BLE001 - a sender thread that died would drop every later change
            log("error", "change_notification_error", error=repr(exc), changes=len(changes))


def _public(user):
    return {"id": user["id"], "username": user["username"]}
