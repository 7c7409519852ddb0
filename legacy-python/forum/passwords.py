"""Salted PBKDF2-SHA256 password hashes: pbkdf2_sha256$<iterations>$<salt>$<hash>.

Salt and hash are URL-safe base64 without `=` padding; the salt is 16 bytes, the hash 32.
"""
import base64
import hashlib
import hmac
import os
import secrets

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000


def iterations_from_env():
    text = os.environ.get("FORUM_PBKDF2_ITERATIONS", str(DEFAULT_ITERATIONS))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"FORUM_PBKDF2_ITERATIONS must be a positive integer, got {text!r}")
    return int(text)


def _b64(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password, iterations=None, salt=None):
    iterations = iterations or iterations_from_env()
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password, stored):
    """True when password matches the stored hash; a malformed stored value never matches."""
    try:
        algorithm, iterations, salt, expected = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations))
        return hmac.compare_digest(digest, _unb64(expected))
    except (ValueError, UnicodeEncodeError):
        return False


def dummy_verify(password):
    """Spend one hash on an unknown username so a login takes as long whether or not the user exists."""
    hashlib.pbkdf2_hmac("sha256", password.encode("utf-8", "replace"), b"\0" * 16, iterations_from_env())
