"""The forum's threaded HTTP/1.1 server, used by `npm start`: python3 legacy-python/serve.py

Environment: LEGACY_HOST (default 127.0.0.1), LEGACY_PORT (default 8090, 0 = any free port), FORUM_DB,
LOG_LEVEL, STRANGLER_INTERNAL_URL (the TS server's internal listener, default http://127.0.0.1:8082) and
STRANGLER_INTERNAL_TOKEN (required: users and markdown are served by the TS side now). Logs JSON lines on stdout; SIGTERM or SIGINT stops it with exit status 0.
STRANGLER_PARENT_PID (set by the supervisor that starts it): once that process is gone, it stops as on SIGTERM.
"""
import io
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes

from forum.app import create_app, error_response
from forum.logs import log
from forum.web import MAX_BODY_BYTES, HTTPError, Request

MAX_DRAIN_BYTES = 32 * 1024 * 1024
MAX_REQUEST_LINE = 65536
# A reverse proxy in front (nginx keeps idle upstream connections 60 s) must always close first, so it
# never sends a request into a connection this server is closing at the same moment.
IDLE_TIMEOUT_SECONDS = 75
READ_SIZE = 64 * 1024
LINGER_SECONDS = 2
NO_BODY_STATUSES = (204, 304)


class FramingError(Exception):
    """The request body cannot be read as sent; answer with this status and close the connection."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.error = HTTPError(status, code, message)


class WSGIRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "forum"
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers (about 40 ms on Linux) on every kept-alive response.
    disable_nagle_algorithm = True
    app = None

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if self.parse_request():
                self.run_wsgi()
        except (ConnectionError, TimeoutError):
            # A client that went away or went quiet is not an error: drop the connection.
            self.close_connection = True

    def run_wsgi(self):
        started = time.monotonic()
        self.status, self.headers_sent, self.chunked = None, False, False
        try:
            body, length = self.read_body()
        except FramingError as failure:
            self.close_connection = True
            self.send_app_error(failure.error)
            self.discard_rest()
        else:
            self.write_response(self.app(self.environ(body, length), self.start_response))
        finally:
            if self.status is not None:
                log("info", "request", method=self.command, path=self.path, status=int(self.status.split()[0]),
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                    request_id=self.headers.get("X-Request-Id"))

    def read_body(self):
        """(kept bytes, total length). Bodies over MAX_BODY_BYTES are read and discarded: the app sees
        their length and answers 413; bodies over MAX_DRAIN_BYTES are refused before reading."""
        transfer_encoding = self.headers.get("Transfer-Encoding")
        lengths = self.headers.get_all("Content-Length") or []
        if transfer_encoding is not None:
            if transfer_encoding.split(",")[-1].strip().lower() != "chunked":
                raise FramingError(501, "not_implemented", "only the chunked transfer coding is supported")
            if lengths:
                # Per RFC 9112 both at once may be an attempt at request smuggling: serve it, then close.
                self.close_connection = True
            return self.read_chunked()
        if not lengths:
            return b"", 0
        if len(set(lengths)) > 1 or not lengths[0].strip().isdigit():
            raise FramingError(400, "bad_request", "Content-Length must be one non-negative integer")
        length = int(lengths[0])
        if length > MAX_DRAIN_BYTES:
            raise FramingError(413, "too_large", "the request body is larger than 1 MiB")
        if length <= MAX_BODY_BYTES:
            return self.read_exactly(length), length
        remaining = length
        while remaining:
            remaining -= len(self.read_exactly(min(READ_SIZE, remaining)))
        return b"", length

    def read_exactly(self, size):
        data = self.rfile.read(size)
        if len(data) < size:
            raise ConnectionAbortedError("the client closed the connection mid-body")
        return data

    def read_chunked(self):
        kept, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise ConnectionAbortedError("the client closed the connection mid-body")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise FramingError(400, "bad_request", "malformed chunk size in the request body") from None
            if size == 0:
                break
            total += size
            if total > MAX_DRAIN_BYTES:
                raise FramingError(413, "too_large", "the request body is larger than 1 MiB")
            data = self.read_exactly(size)
            if total <= MAX_BODY_BYTES:
                kept.append(data)
            end_of_chunk = self.rfile.readline(3)
            if not end_of_chunk:
                raise ConnectionAbortedError("the client closed the connection mid-body")
            if end_of_chunk.strip():
                raise FramingError(400, "bad_request", "a chunk is longer than its declared size")
        for _ in range(100):  # trailer fields are read and ignored
            if not self.rfile.readline(MAX_REQUEST_LINE).strip():
                break
        return (b"".join(kept) if total <= MAX_BODY_BYTES else b""), total

    def environ(self, body, length):
        path, _, query = self.path.partition("?")
        environ = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "QUERY_STRING": query,
            # PEP 3333: PATH_INFO carries the decoded bytes as latin-1.
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(length),
            "SERVER_NAME": self.server.server_address[0], "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def start_response(self, status, headers, exc_info=None):
        if exc_info and self.headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.response_headers = status, headers
        return self.write_body

    def write_response(self, result):
        try:
            for chunk in result:
                if chunk:
                    self.write_body(chunk)
            if not self.headers_sent:
                self.send_headers()
            if self.chunked:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            if hasattr(result, "close"):
                result.close()

    def send_headers(self):
        self.headers_sent = True
        code = int(self.status.split()[0])
        self.send_response(code, self.status.partition(" ")[2])
        has_length = any(name.lower() == "content-length" for name, _ in self.response_headers)
        has_body = self.command != "HEAD" and code not in NO_BODY_STATUSES
        self.chunked = has_body and not has_length and self.request_version == "HTTP/1.1"
        for name, value in self.response_headers:
            self.send_header(name, value)
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif has_body and not has_length:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def write_body(self, data):
        if not self.headers_sent:
            self.send_headers()
        if self.command == "HEAD":
            return
        if self.chunked:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self.wfile.write(data)
        self.wfile.flush()

    def discard_rest(self):
        """Stop sending, then read what the client still sends for a moment: closing a socket with unread
        data resets the connection, and the client might lose the answer it has not read yet."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and self.connection.recv(READ_SIZE):
                pass
        except OSError:
            pass

    def send_app_error(self, error):
        environ = {"REQUEST_METHOD": self.command, "PATH_INFO": self.path.partition("?")[0]}
        response = error_response(Request(environ), error)
        self.start_response(response.status_line, response.headers)
        self.write_response([response.body])

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        log("warn", "http_error", message=format % args, client=self.client_address[0])

    def log_request(self, code="-", size="-"):
        pass  # run_wsgi logs one JSON line per request instead


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        log("error", "connection_error", client=client_address[0], error=repr(error))


def stop_when_parent_gone(parent_pid, stop, interval_seconds=1.0):
    """Stop (as on SIGTERM) once the process that started this server is gone, instead of running on as an orphan."""
    if not (parent_pid or "").isdigit():
        return

    def watch():
        while os.getppid() == int(parent_pid):
            time.sleep(interval_seconds)
        log("info", "parent_gone", parent_pid=int(parent_pid))
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main():
    host = os.environ.get("LEGACY_HOST", "127.0.0.1")
    port_text = os.environ.get("LEGACY_PORT", "8090")
    if not port_text.isdigit() or int(port_text) > 65535:
        log("error", "bad_config", message=f"LEGACY_PORT must be a port number from 0 to 65535, got {port_text!r}")
        return 2
    token = os.environ.get("STRANGLER_INTERNAL_TOKEN", "")
    if len(token.encode()) < 32:
        log("error", "bad_config", message="STRANGLER_INTERNAL_TOKEN must be set to the TS server's internal token "
            "(at least 32 bytes): the forum's users and markdown are served by the TS side now. npm start sets it; "
            "otherwise use the same value for both, e.g. STRANGLER_INTERNAL_TOKEN=$(openssl rand -hex 32)")
        return 2
    WSGIRequestHandler.app = create_app()
    try:
        server = Server((host, int(port_text)), WSGIRequestHandler)
    except OSError as error:
        log("error", "listen_failed", message=f"cannot listen on {host}:{port_text} ({error.strerror}); "
                                              "is the port taken? Set LEGACY_PORT to a free port or 0")
        return 1
    stop = lambda signum, frame: threading.Thread(target=server.shutdown, daemon=True).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stop_when_parent_gone(os.environ.get("STRANGLER_PARENT_PID"), lambda: stop(signal.SIGTERM, None))
    bound_host, bound_port = server.server_address[:2]
    log("info", "listening", url=f"http://{bound_host}:{bound_port}", db=WSGIRequestHandler.app.db.path)
    server.serve_forever()
    server.server_close()
    log("info", "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
