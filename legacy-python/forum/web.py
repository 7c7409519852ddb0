"""Requests, responses and HTTP errors: the seam between WSGI and the forum's handlers."""
import json
import secrets
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote_plus

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


# Fixed here rather than taken from http.HTTPStatus, whose phrases change between Python versions
# (413, 422): the error page's bytes must not depend on the interpreter.
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          413: "Content Too Large", 422: "Unprocessable Content", 500: "Internal Server Error",
          501: "Not Implemented"}


def status_title(status):
    return TITLES.get(status) or HTTPStatus(status).phrase


class HTTPError(Exception):
    """An expected failure, answered as JSON under /api and as the forum's error page elsewhere."""

    def __init__(self, status, code, message, headers=()):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = list(headers)


def bad_request(message):
    return HTTPError(400, "bad_request", message)


def not_found(message):
    return HTTPError(404, "not_found", message)


def _too_large():
    return HTTPError(413, "too_large", "the request body is larger than 1 MiB")


def invalid(message):
    return HTTPError(422, "invalid", message)


class Response:
    """A status, headers and a body: bytes, or an iterable of bytes for a stream."""

    def __init__(self, status=200, body=b"", content_type=HTML_TYPE, headers=()):
        self.status = status
        self.headers = [("Content-Type", content_type)] if content_type else []
        self.headers.extend(headers)
        self.body = body
        if isinstance(body, bytes) and status not in (204, 304):
            self.headers.append(("Content-Length", str(len(body))))

    @property
    def status_line(self):
        return f"{self.status} {status_title(self.status)}"


def json_bytes(value):
    """The contract's encoding: compact, keys in insertion order, UTF-8 rather than \\u escapes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(value, status=200, headers=()):
    return Response(status, json_bytes(value), JSON_TYPE, [("Cache-Control", "no-store"), *headers])


def redirect(location, headers=()):
    return Response(303, b"", HTML_TYPE, [("Location", location), *headers])


class Request:
    def __init__(self, environ):
        self.environ = environ
        self.method = environ["REQUEST_METHOD"].upper()
        self.path = _decode_path(environ.get("PATH_INFO") or "/")
        self._query = None
        self.request_id = _request_id(environ.get("HTTP_X_REQUEST_ID"))
        self.cookies = parse_cookies(environ.get("HTTP_COOKIE", ""))
        self._body = None

    @property
    def query(self):
        """The query's parameters, first value of each; a 400 when one is not text the forum can store
        (invalid UTF-8, or a NUL). Checked when a handler reads the query, as the TS side does."""
        if self._query is None:
            self._query = text_pairs(self.environ.get("QUERY_STRING", ""), "query parameter")
        return self._query

    @query.setter
    def query(self, values):
        self._query = values

    @property
    def is_api(self):
        """JSON errors for the API and for internal endpoints; HTML pages for everything else."""
        return self.path in ("/api", "/_internal") or self.path.startswith(("/api/", "/_internal/"))

    @property
    def content_type(self):
        return self.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()

    def body(self):
        """The request body, at most MAX_BODY_BYTES; larger bodies are refused with 413."""
        if self._body is None:
            self._body = self._read_body()
        return self._body

    def _read_body(self):
        length, stream = self.environ.get("CONTENT_LENGTH") or "", self.environ["wsgi.input"]
        if not length and self.environ.get("wsgi.input_terminated"):
            # A chunked body under a server that ends the stream with it (gunicorn).
            data = stream.read(MAX_BODY_BYTES + 1)
            if len(data) > MAX_BODY_BYTES:
                raise _too_large()
            return data
        if not length:
            return b""
        if not length.isdigit():
            raise bad_request("Content-Length must be a non-negative integer")
        if int(length) > MAX_BODY_BYTES:
            raise _too_large()
        return stream.read(int(length))

    def json_object(self):
        try:
            text = self.body().decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the request body is not valid UTF-8; send JSON encoded as UTF-8") from None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise bad_request("the request body must be a JSON object") from None
        if not isinstance(value, dict):
            raise bad_request("the request body must be a JSON object")
        return value

    def form(self):
        try:
            text = self.body().decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the form must be sent as UTF-8") from None
        return text_pairs(text, "form field")


def text_pairs(encoded, what):
    """The first value of each name=value pair of a query string or urlencoded form, decoded as UTF-8;
    a 400 naming the pair (as sent) whose name or value is not valid UTF-8 or holds a NUL. A malformed
    escape such as %zz stays as sent, as parse_qsl leaves it."""
    for piece in encoded.split("&"):
        if not piece:
            continue
        raw_name = piece.partition("=")[0]
        for part in piece.partition("=")[::2]:
            try:
                text = unquote_plus(part, errors="strict")
            except UnicodeDecodeError:
                raise bad_request(f"{what} '{raw_name}' is not valid UTF-8 text; encode it as UTF-8") from None
            if "\x00" in text:
                raise bad_request(f"{what} '{raw_name}' contains a NUL character (%00); remove it") from None
    return _first_values(parse_qsl(encoded, keep_blank_values=True))


def _request_id(header):
    """The front door's X-Request-Id when it looks like one; a fresh id otherwise (same rule as the TS side)."""
    if header and len(header) <= 128 and header.isascii() and all(c.isalnum() or c in "._-" for c in header):
        return header
    return secrets.token_hex(16)


def _decode_path(path):
    # PEP 3333 hands the path over as latin-1; the forum's URLs are UTF-8.
    try:
        return path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return path


def _first_values(pairs):
    """Repeated parameters: the first one counts."""
    values = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


def parse_cookies(header):
    cookies = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies.setdefault(name, value.strip().strip('"'))
    return cookies
