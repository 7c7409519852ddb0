"""serve.py over a real socket: keep-alive, chunked bodies, HEAD, aborts, oversized bodies, cookies, signals."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from tests.support import internal_server, seeded_db, wait_for

LEGACY_DIR = Path(__file__).resolve().parents[1]



def setUpModule():
    # The servers started here talk to the real TS server for users and markdown, like everything else.
    internal_server()

class RunningServer:
    """A process started from the legacy directory; its output lines are collected in the background."""

    def __init__(self, args, env, ready_pattern):
        # STRANGLER_PARENT_PID: the server stops by itself if this test process dies without stopping it.
        self.process = subprocess.Popen(args, cwd=LEGACY_DIR, env={**os.environ, "STRANGLER_PARENT_PID": str(os.getpid()), **env},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("server exited before listening:\n" + "".join(self.lines))
            self.lines.append(line)
            found = re.search(ready_pattern, line)
            if found:
                self.port = int(found.group(1))
                break
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()

    def _drain(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(10)
        self.drainer.join(5)
        self.process.stdout.close()
        return status


def raw_exchange(port, data, read_until_close=False, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if not read_until_close:
            return read_response(sock)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def recv_until(sock, marker):
    """What the socket delivers until marker has arrived (or the peer closes)."""
    data = b""
    while marker not in data and (chunk := sock.recv(65536)):
        data += chunk
    return data


def read_response(sock):
    """One response with a Content-Length body, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    while length and len(body) < int(length.group(1)):
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="forum-serve-")
        env = {"LEGACY_PORT": "0", "FORUM_DB": seeded_db(cls.tmp), "FORUM_LIVE_MAX_SECONDS": "3"}
        cls.server = RunningServer([sys.executable, "serve.py"], env, r'"event":"listening".*"url":"http://127\.0\.0\.1:(\d+)"')
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, True)

    def connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        self.addCleanup(conn.close)
        return conn

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = self.connection()
        conn.request("GET", "/api/v1/boards")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        conn.request("GET", "/api/v1/threads/1")
        second = conn.getresponse()
        self.assertEqual((first.status, second.status), (200, 200))
        self.assertEqual(json.loads(second.read())["thread"]["id"], 1)
        self.assertIs(conn.sock, sock)

    def test_login_sends_two_set_cookie_headers(self):
        conn = self.connection()
        body = json.dumps({"username": "alice", "password": "alice-password"})
        conn.request("POST", "/api/v1/login", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        self.assertEqual(response.status, 200)
        cookies = response.headers.get_all("Set-Cookie")
        self.assertEqual([c.split("=")[0] for c in cookies], ["forum_session", "forum_csrf"])

    def test_a_chunked_body_with_trailers_is_decoded_and_the_connection_stays_usable(self):
        body = b'{"username":"bob","password":"bob-password"}'
        request = (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                   + b"%x;ext=1\r\n%s\r\n" % (10, body[:10]) + b"%x\r\n%s\r\n" % (len(body) - 10, body[10:])
                   + b"0\r\nX-Checksum: abc\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request)
            first = read_response(sock)
            sock.sendall(b"GET /api/v1/boards HTTP/1.1\r\nHost: x\r\n\r\n")
            second = read_response(sock)
        self.assertTrue(first.startswith(b"HTTP/1.1 200"), first)
        self.assertIn(b'{"user":{"id":2,"username":"bob"}}', first)
        self.assertTrue(second.startswith(b"HTTP/1.1 200"), second)

    def test_head_has_headers_but_no_body(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"HEAD /api/v1/boards HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
            data = recv_until(sock, b"log in first")
        head_response, _, rest = data.partition(b"\r\n\r\n")
        self.assertRegex(head_response, rb"Content-Length: [1-9]\d*")
        self.assertTrue(rest.startswith(b"HTTP/1.1 401"), rest)

    def test_a_body_over_one_mebibyte_is_drained_then_refused_with_413_and_keep_alive(self):
        conn = self.connection()
        conn.request("POST", "/api/v1/login", b"x" * (2 * 1024 * 1024), {"Content-Type": "application/json"})
        response = conn.getresponse()
        self.assertEqual(response.status, 413)
        self.assertEqual(json.loads(response.read())["error"]["code"], "too_large")
        conn.request("GET", "/api/v1/boards")
        self.assertEqual(conn.getresponse().status, 200)

    def test_an_oversized_form_post_gets_the_html_413_page(self):
        conn = self.connection()
        conn.request("POST", "/login", b"x" * (1024 * 1024 + 1), {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        self.assertEqual((response.status, response.getheader("Content-Type")), (413, "text/html; charset=utf-8"))
        self.assertIn(b"413 Content Too Large", response.read())

    def test_a_body_over_the_drain_limit_is_refused_at_once_and_the_connection_closed(self):
        request = (b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 40000000\r\n\r\n")
        response = raw_exchange(self.port, request, read_until_close=True)
        self.assertTrue(response.startswith(b"HTTP/1.1 413"), response)
        self.assertIn(b"Connection: close", response)

    def test_a_client_still_sending_a_huge_body_receives_the_413(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            def send():
                try:
                    sock.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 40000000\r\n\r\n"
                                 + b"x" * 40_000_000)
                except OSError:
                    pass  # the server stops reading after a while; what matters is the answer

            sender = threading.Thread(target=send)
            sender.start()
            response = b""
            while chunk := sock.recv(65536):
                response += chunk
            sender.join()
        self.assertTrue(response.startswith(b"HTTP/1.1 413"), response[:200])
        self.assertIn(b'"code":"too_large"', response)

    def test_malformed_framing_is_refused_and_the_connection_closed(self):
        cases = [
            (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", b"HTTP/1.1 400", b"malformed chunk size"),
            (b"Transfer-Encoding: gzip\r\n\r\n", b"HTTP/1.1 501", b"only the chunked transfer coding"),
            (b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", b"HTTP/1.1 400", b"Content-Length must be one"),
        ]
        for headers, status, message in cases:
            with self.subTest(headers=headers):
                response = raw_exchange(self.port, b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\n" + headers,
                                        read_until_close=True)
                self.assertTrue(response.startswith(status), response)
                self.assertIn(message, response)
                self.assertIn(b"Connection: close", response)

    def test_chunked_together_with_content_length_is_answered_then_closed(self):
        request = (b"POST /api/v1/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"
                   b"GET /api/v1/boards HTTP/1.1\r\nHost: x\r\n\r\n")
        response = raw_exchange(self.port, request, read_until_close=True)
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), response)
        self.assertIn(b"Connection: close", response)
        self.assertEqual(response.count(b"HTTP/1.1 "), 1)

    def test_an_http_1_0_stream_is_delimited_by_closing(self):
        response = raw_exchange(self.port, b"GET /live/t/1 HTTP/1.0\r\n\r\n", read_until_close=True, timeout=10)
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), response)
        self.assertIn(b"Connection: close", response)
        self.assertNotIn(b"Transfer-Encoding", response)
        self.assertIn(b"\r\n\r\n: connected\n\n", response)

    def test_a_body_on_a_get_is_read_and_ignored(self):
        conn = self.connection()
        conn.request("GET", "/api/v1/boards", b"unexpected" * 1000)
        first = conn.getresponse()
        first.read()
        conn.request("GET", "/api/v1/boards")
        self.assertEqual((first.status, conn.getresponse().status), (200, 200))

    def test_a_client_that_aborts_mid_request_or_mid_response_leaves_the_server_healthy(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"user")
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"GET /live/t/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b": connected", recv_until(sock, b": connected"))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        time.sleep(0.3)
        conn = self.connection()
        conn.request("GET", "/api/v1/boards")
        self.assertEqual(conn.getresponse().status, 200)
        self.assertNotIn("Traceback", "".join(self.server.lines))

    def test_each_request_is_logged_as_json_with_its_request_id(self):
        conn = self.connection()
        conn.request("GET", "/api/v1/boards?page=1", headers={"X-Request-Id": "req-42"})
        conn.getresponse().read()
        wait_for(lambda: any('"req-42"' in line for line in self.server.lines), "the request's log line")
        records = [json.loads(line) for line in self.server.lines if '"req-42"' in line]
        self.assertEqual(len(records), 1)
        self.assertEqual((records[0]["event"], records[0]["method"], records[0]["status"]), ("request", "GET", 200))
        self.assertIsInstance(records[0]["duration_ms"], (int, float))

    def test_the_live_stream_is_chunked_and_delivers_a_new_post(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"GET /live/t/2 HTTP/1.1\r\nHost: x\r\n\r\n")
            first = recv_until(sock, b": connected")
            self.assertIn(b"Transfer-Encoding: chunked", first)
            self.assertIn(b"Content-Type: text/event-stream", first)
            self.post_reply(2, "live **news**")
            received = first
            while b"event: post" not in received:
                chunk = sock.recv(65536)
                self.assertTrue(chunk, received)
                received += chunk
        self.assertIn(b"<strong>news</strong>", received)

    def post_reply(self, thread_id, text):
        conn = self.connection()
        conn.request("POST", "/api/v1/login", json.dumps({"username": "carol", "password": "carol-password"}),
                     {"Content-Type": "application/json"})
        login = conn.getresponse()
        login.read()
        cookie = "; ".join(c.split(";")[0] for c in login.headers.get_all("Set-Cookie"))
        conn.request("POST", f"/api/v1/threads/{thread_id}/posts", json.dumps({"body": text}),
                     {"Content-Type": "application/json", "Cookie": cookie})
        response = conn.getresponse()
        response.read()
        self.assertEqual(response.status, 201)


class ServeLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="forum-serve-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.env = {"LEGACY_PORT": "0", "FORUM_DB": seeded_db(self.tmp)}

    def test_sigterm_stops_the_server_with_exit_status_zero(self):
        server = RunningServer([sys.executable, "serve.py"], self.env, r'"url":"http://127\.0\.0\.1:(\d+)"')
        self.assertEqual(server.stop(), 0)
        self.assertIn('"event":"stopped"', "".join(server.lines))

    def test_a_bad_port_is_refused_with_a_message_naming_the_variable(self):
        result = subprocess.run([sys.executable, "serve.py"], cwd=LEGACY_DIR, env={**os.environ, **self.env,
                                "LEGACY_PORT": "eighty"}, capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 2)
        self.assertIn("LEGACY_PORT must be a port number from 0 to 65535", result.stdout)

    @unittest.skipUnless(shutil.which("gunicorn"), "gunicorn is not installed")
    def test_the_app_serves_under_gunicorn(self):
        server = RunningServer(["gunicorn", "--chdir", str(LEGACY_DIR), "-b", "127.0.0.1:0", "forum.app:application"],
                               self.env, r"Listening at: http://127\.0\.0\.1:(\d+)")
        self.addCleanup(server.stop)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/api/v1/threads/1")
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(response.read())["thread"]["id"], 1)
        conn.request("POST", "/api/v1/login", iter([b'{"username":"alice",', b'"password":"alice-password"}']),
                     {"Content-Type": "application/json"}, encode_chunked=True)
        login = conn.getresponse()
        self.assertEqual((login.status, login.read()), (200, b'{"user":{"id":1,"username":"alice"}}'))
        conn.close()


if __name__ == "__main__":
    unittest.main()
