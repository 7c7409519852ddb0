"""A small Flask app with its own server-side sessions, mounting strangler_identity as the README shows:
the TS side asks it whose session a cookie is, and it relays its logouts. Prints the listening line the
test helpers wait for. Run with Debian's /usr/bin/python3 (it has Flask)."""
import json
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "legacy-python"))

from flask import Flask, jsonify, make_response, request  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import strangler_identity  # noqa: E402

app = Flask(__name__)
SESSIONS = {}  # cookie value -> user


def lookup(cookie_value):
    return SESSIONS.get(cookie_value)


app.wsgi_app = strangler_identity.IdentityMiddleware(app.wsgi_app, lookup)


@app.post("/login")
def login():
    sid = secrets.token_urlsafe(24)
    SESSIONS[sid] = {"user_id": len(SESSIONS) + 1, "username": request.form["username"]}
    response = make_response(jsonify(ok=True))
    response.set_cookie("sid", sid, httponly=True, samesite="Lax")
    return response


@app.post("/logout")
def logout():
    sid = request.cookies.get("sid")
    if SESSIONS.pop(sid, None) is not None:
        strangler_identity.notify_logout(sid)
    response = make_response(jsonify(ok=True))
    response.delete_cookie("sid")
    return response


@app.get("/whoami")
def whoami():
    user = SESSIONS.get(request.cookies.get("sid", ""))
    return (jsonify(user=user), 200) if user else (jsonify(error="not signed in"), 401)


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{server.server_port}"}), flush=True)
    server.serve_forever()
