"""Login sessions: a random cookie token, stored only as its sha256 hex, valid for 14 days."""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from . import passwords

SESSION_COOKIE = "forum_session"
CSRF_COOKIE = "forum_csrf"
SESSION_SECONDS = 14 * 24 * 3600
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authenticate(conn, username, password):
    """The user row for these credentials, or None."""
    user = conn.execute("SELECT id, username, password_hash FROM users WHERE username = ?", (username,)).fetchone()
    if user is None:
        passwords.dummy_verify(password)
        return None
    return user if passwords.verify_password(password, user["password_hash"]) else None


def start(db, user_id, now=None):
    """Create a session; returns (session token, csrf token) for the cookies."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=SESSION_SECONDS)
    with db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now.strftime(_TIME_FORMAT),))
        conn.execute("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (_token_hash(token), user_id, now.strftime(_TIME_FORMAT), expires.strftime(_TIME_FORMAT)))
    return token, secrets.token_urlsafe(32)


def current_user(conn, token, now=None):
    """{"id", "username"} of the live session with this cookie value, or None."""
    if not token:
        return None
    now = (now or datetime.now(timezone.utc)).strftime(_TIME_FORMAT)
    row = conn.execute(
        "SELECT users.id, users.username FROM sessions JOIN users ON users.id = sessions.user_id"
        " WHERE sessions.token_hash = ? AND sessions.expires_at > ?", (_token_hash(token), now)).fetchone()
    return {"id": row["id"], "username": row["username"]} if row else None


def end(db, token):
    if token:
        with db.write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))


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
