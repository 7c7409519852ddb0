"""Login sessions: a random cookie token, stored only as its sha256 hex, valid for 14 days.

Legacy owns the sessions table; the users they belong to live with the TypeScript users service, so
credentials are checked and names looked up through forum.moved. The TS side asks legacy whose session
a cookie is (POST /_internal/legacy/sessions/resolve) and is told about every logout, both through
strangler_identity (docs/identity.md).
"""
import hmac
import secrets
from datetime import datetime, timedelta, timezone

import strangler_identity

from .logs import log

SESSION_COOKIE = "forum_session"
CSRF_COOKIE = "forum_csrf"
SESSION_SECONDS = 14 * 24 * 3600
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


# How a session is named everywhere but in its cookie: the sha256 hex of the cookie value.
token_hash = strangler_identity.token_sha256


def start(db, user_id, now=None):
    """Create a session; returns (session token, csrf token) for the cookies."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=SESSION_SECONDS)
    with db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now.strftime(_TIME_FORMAT),))
        conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (token_hash(token), user_id, now.strftime(_TIME_FORMAT), expires.strftime(_TIME_FORMAT)))
    return token, secrets.token_urlsafe(32)


def live_session(conn, token, now=None):
    """{"user_id", "expires_at"} of the live session with this cookie value, or None."""
    if not token:
        return None
    now = (now or datetime.now(timezone.utc)).strftime(_TIME_FORMAT)
    row = conn.execute("SELECT user_id, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
                       (token_hash(token), now)).fetchone()
    return {"user_id": row["user_id"], "expires_at": row["expires_at"]} if row else None


def current_user(forum, token):
    """{"id", "username"} of the live session with this cookie value, or None."""
    session = live_session(forum.db.read(), token)
    return forum.moved.user(session["user_id"]) if session else None


def end(forum, token):
    """Delete the session, then tell the TS side so its cache forgets it at once."""
    if token:
        with forum.db.write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))
        strangler_identity.notify_logout(token, forum.moved.client, on_error=_logout_not_relayed)


def _logout_not_relayed(exc):
    # A lost relay costs only the TS cache's few seconds, so the logout itself still succeeds.
    log("warn", "internal_call_failed", call=exc.call, error=str(exc), request_id=exc.request_id,
        consequence="the TS side may recognise this session for a few more seconds")


def login_cookies(token, csrf):
    return [("Set-Cookie", f"{SESSION_COOKIE}={token}; Max-Age={SESSION_SECONDS}; Path=/; HttpOnly; SameSite=Lax"),
            ("Set-Cookie", f"{CSRF_COOKIE}={csrf}; Max-Age={SESSION_SECONDS}; Path=/; SameSite=Lax")]


def csrf_cookie(csrf):
    return ("Set-Cookie", f"{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax")


def logout_cookies():
    return [("Set-Cookie", f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"),
            ("Set-Cookie", f"{CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax")]


def csrf_matches(cookie_value, submitted):
    return bool(cookie_value) and bool(submitted) and hmac.compare_digest(cookie_value.encode(), submitted.encode())


def new_csrf():
    return secrets.token_urlsafe(32)
