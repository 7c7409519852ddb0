"""The forum's WSGI application: `application` for any WSGI server, `create_app()` for tests.
Both need STRANGLER_INTERNAL_URL and STRANGLER_INTERNAL_TOKEN: users and markdown are the TS side's.

    gunicorn --chdir legacy-python forum.app:application
"""
import os
import traceback
from html import escape
from pathlib import Path
from string import Template

import strangler_client

from . import api, internal_api, live, pages, static_files
from .db import Database, DatabaseBusy, database_path
from .internal import Moved
from .logs import log
from .router import Router
from .web import HTML_TYPE, HTTPError, Request, Response, json_response, status_title

ERROR_TEMPLATE = Template((Path(__file__).parent / "templates" / "error.html").read_text(encoding="utf-8"))
PAGE_NOT_FOUND = "There is no page at this address."
API_NOT_FOUND = "no API endpoint at this path"
BUSY = "the forum is busy right now; try again in a moment"
# How long answering one request may wait for the TS side, all its internal calls together: under the front
# door's upstream timeout (60 s), so a busy machine makes a login slow rather than a 503 or a 504.
DEFAULT_REQUEST_BUDGET_SECONDS = 30.0


class Forum:
    """One WSGI callable; expected failures are HTTPError, anything else a logged 500."""

    def __init__(self, db_path=None, live_max_seconds=None, live_poll_seconds=1.0, live_keepalive_seconds=15.0,
                 client=None, request_budget_seconds=None):
        self.db = Database(db_path or database_path())
        self.request_budget_seconds = request_budget_seconds or request_budget_from_env()
        # Users and markdown live on the TS side now (forum/internal.py); one client, one connection pool.
        self.moved = Moved(client or strangler_client.InternalClient.from_env())
        self.live_max_seconds = live_max_seconds or float(os.environ.get("FORUM_LIVE_MAX_SECONDS", "300"))
        self.live_poll_seconds = live_poll_seconds
        self.live_keepalive_seconds = live_keepalive_seconds
        self.router = Router()
        for module in (api, pages, live, static_files, internal_api):
            module.routes(self.router)

    def close(self):
        """Send the change notifications still queued, then close the client's kept-alive connections
        (the database connections are per thread)."""
        self.moved.changes.close()
        self.moved.client.close()

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.respond(request)
        start_response(response.status_line, response.headers)
        if request.method == "HEAD":
            if hasattr(response.body, "close"):
                response.body.close()
            return [b""]
        return [response.body] if isinstance(response.body, bytes) else response.body

    def respond(self, request):
        # Calls to the TS side made while answering carry this request's id and share its deadline.
        with strangler_client.request_context(request.request_id, budget=self.request_budget_seconds):
            return self._respond(request)

    def _respond(self, request):
        try:
            handler, params = self.router.match(request.method, request.path)
            if handler is None:
                raise HTTPError(404, "not_found", API_NOT_FOUND if request.is_api else PAGE_NOT_FOUND)
            return handler(self, request, **params)
        except HTTPError as error:
            return error_response(request, error)
        except DatabaseBusy as busy:
            log("warn", "database_busy", request_id=request.request_id, method=request.method, path=request.path,
                error=str(busy))
            return error_response(request, HTTPError(503, "unavailable", BUSY, [("Retry-After", "1")]))
        except Exception:
            log("error", "unhandled_error", request_id=request.request_id, method=request.method,
                path=request.path, traceback=traceback.format_exc())
            return error_response(request, HTTPError(500, "internal", "something went wrong on our side; try again later"))


def request_budget_from_env(environ=os.environ):
    """FORUM_REQUEST_BUDGET_SECONDS: a positive number of seconds, default 30."""
    text = environ.get("FORUM_REQUEST_BUDGET_SECONDS", "").strip()
    if not text:
        return DEFAULT_REQUEST_BUDGET_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 3600:
        raise ValueError(f"FORUM_REQUEST_BUDGET_SECONDS must be a number of seconds above 0, e.g. 30; got {text!r}")
    return value


def error_response(request, error):
    """JSON under /api, the forum's own error page elsewhere."""
    if request.is_api:
        return json_response({"error": {"code": error.code, "message": error.message}}, error.status, error.headers)
    return Response(error.status, render_error_page(error.status, error.message), HTML_TYPE,
                    [("Cache-Control", "no-store"), *error.headers])


def render_error_page(status, message):
    """The bytes of templates/error.html for this status and message."""
    return ERROR_TEMPLATE.substitute(status=status, title=escape(status_title(status)),
                                     message=escape(message)).encode("utf-8")


def create_app(db_path=None, **options):
    return Forum(db_path, **options)


def __getattr__(name):
    # `application` is built on first use (gunicorn forum.app:application), not at import, so importing
    # the module never needs the environment that talking to the TS side does.
    if name == "application":
        globals()["application"] = create_app()
        return globals()["application"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
