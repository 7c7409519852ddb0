"""strangler_client against the real TS server (lookups, writes, errors, request ids, reuse, threads, a
measured round trip), and against tiny raw-socket servers for what the real one cannot do on demand:
answer slowly, answer garbage, be down, or close kept-alive connections."""
import json
import re
import socket
import struct
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import bench_internal_call
import strangler_client
from strangler_client import (BadRequest, Conflict, InternalClient, InternalError, NotFound, ProtocolError,
                              Timeout, Unauthorized, Unavailable, internal_path, request_context)
from tests.support import wait_for
from tests.ts_server import TsServer

USER_1 = {"id": 1, "username": "alice", "created_at": "2026-01-01T00:00:00Z"}


class RealServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = TsServer.start()
        cls.client = InternalClient(cls.server.internal_url, cls.server.token)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()

    def fresh_client(self, token=None, **options):
        client = InternalClient(self.server.internal_url, token or self.server.token, **options)
        self.addCleanup(client.close)
        return client

    def test_looks_up_a_user_by_id(self):
        self.assertEqual(self.client.get(internal_path("v1", "users", 1)), {"user": USER_1})

    def test_looks_up_a_username_in_any_letter_case_with_the_segment_quoted(self):
        self.assertEqual(self.client.get(internal_path("v1", "users", "by-username", "ALICE")), {"user": USER_1})
        with self.assertRaises(NotFound) as caught:
            self.client.get(internal_path("v1", "users", "by-username", "al/../ice"))
        self.assertEqual(caught.exception.message, "user 'al/../ice' does not exist")

    def test_looks_up_many_ids_in_the_order_asked_leaving_unknown_ones_out(self):
        found = self.client.get("/_internal/v1/users", params={"ids": "3,99,1"})
        self.assertEqual([user["username"] for user in found["users"]], ["carol", "alice"])

    def test_verifies_a_right_and_a_wrong_password(self):
        right = self.client.post("/_internal/v1/users/verify", {"username": "bob", "password": "bob-password"},
                                 idempotent=True)
        wrong = self.client.post("/_internal/v1/users/verify", {"username": "bob", "password": "alice-password"},
                                 idempotent=True)
        self.assertEqual((right["user"]["username"], wrong), ("bob", {"user": None}))

    def test_registers_a_user_then_raises_conflict_with_the_servers_message(self):
        made = self.client.request("POST", "/_internal/v1/users", {"username": "dora", "password": "dora-password"})
        self.assertEqual((made.status, made.body["user"]["username"]), (201, "dora"))
        with self.assertRaises(Conflict) as caught:
            self.client.post("/_internal/v1/users", {"username": "DORA", "password": "other-password"})
        error = caught.exception
        self.assertIsInstance(error, BadRequest)
        self.assertEqual((error.status, error.code, error.call), (409, "conflict", "POST /_internal/v1/users"))
        self.assertEqual(error.message, "username 'DORA' is taken; choose another")
        verified = self.client.post("/_internal/v1/users/verify", {"username": "dora", "password": "dora-password"},
                                    idempotent=True)
        self.assertEqual(verified["user"]["id"], made.body["user"]["id"])

    def test_raises_bad_request_carrying_the_field_the_server_names(self):
        with self.assertRaises(BadRequest) as caught:
            self.client.post("/_internal/v1/users", {"username": "ok_name", "password": "short"})
        self.assertEqual((caught.exception.status, caught.exception.code), (400, "bad_request"))
        self.assertEqual(caught.exception.message, "password: must be at least 8 characters")
        self.assertNotIsInstance(caught.exception, Conflict)

    def test_raises_not_found_naming_the_call_in_one_line(self):
        with self.assertRaises(NotFound) as caught:
            self.client.get("/_internal/v1/users/99")
        text = str(caught.exception)
        self.assertRegex(text, r"^GET /_internal/v1/users/99 failed: answered 404 not_found: user 99 does not exist\. ")
        self.assertIn(caught.exception.request_id, text)
        self.assertNotIn("\n", text)

    def test_raises_unauthorized_saying_the_tokens_differ_without_retrying(self):
        client = self.fresh_client(token="0" * 64)
        with self.assertRaises(Unauthorized) as caught:
            client.get("/_internal/v1/users/1")
        self.assertEqual(caught.exception.status, 401)
        self.assertIn("STRANGLER_INTERNAL_TOKEN differs between this process and the TS server", str(caught.exception))
        self.assertEqual(client.stats()["requests"], 1)

    def test_passes_the_context_request_id_on_and_an_explicit_one_wins(self):
        with request_context("forum-req-1"):
            from_context = self.client.request("GET", "/_internal/v1/users/1")
            explicit = self.client.request("GET", "/_internal/v1/users/1", request_id="explicit-2")
            with self.assertRaises(NotFound) as caught:
                self.client.get("/_internal/v1/users/98")
        self.assertEqual((from_context.request_id, explicit.request_id), ("forum-req-1", "explicit-2"))
        self.assertEqual(from_context.headers["X-Request-Id"], "forum-req-1")
        self.assertEqual(caught.exception.request_id, "forum-req-1")

    def test_mints_a_request_id_when_there_is_none_or_it_is_malformed(self):
        minted = self.client.request("GET", "/_internal/v1/users/1")
        with request_context("bad id\r\nX-Evil: 1"):
            replaced = self.client.request("GET", "/_internal/v1/users/1")
        for answer in (minted, replaced):
            self.assertRegex(answer.request_id, r"^[0-9a-f]{32}$")
            self.assertEqual(answer.headers["X-Request-Id"], answer.request_id)

    def test_forgets_a_session_with_a_204_and_returns_none(self):
        self.assertIsNone(self.client.delete(internal_path("v1", "sessions", "ab" * 32)))

    def test_fetches_the_openapi_document(self):
        self.assertEqual(self.client.get("/_internal/openapi.json")["openapi"], "3.1.0")

    def test_reuses_one_connection_for_100_sequential_calls(self):
        client = self.fresh_client()
        for user_id in range(100):
            client.get(internal_path("v1", "users", user_id % 3 + 1))
        self.assertEqual(client.stats(), {"connections_opened": 1, "requests": 100, "retries": 0, "idle": 1})

    def test_serves_16_threads_each_with_its_own_request_id_on_at_most_16_connections(self):
        client = self.fresh_client()

        def work(thread):
            for call in range(50):
                user_id = (thread + call) % 3 + 1
                with request_context(f"t{thread}-{call}"):
                    answer = client.request("GET", internal_path("v1", "users", user_id))
                self.assertEqual((answer.request_id, answer.body["user"]["id"]), (f"t{thread}-{call}", user_id))
            return thread

        with ThreadPoolExecutor(16) as pool:
            self.assertEqual(sorted(pool.map(work, range(16))), list(range(16)))
        stats = client.stats()
        self.assertEqual((stats["requests"], stats["retries"]), (800, 0))
        self.assertLessEqual(stats["connections_opened"], 16)

    def test_prints_round_trips_with_reused_and_new_connections(self):
        result = bench_internal_call.measure(self.server.internal_url, self.server.token, calls=1000, block=50)
        print(f"\n  GET /_internal/v1/users/1, 1000 calls each: reused p50 {result['reused']['p50_ms']} ms, "
              f"p90 {result['reused']['p90_ms']} ms; new connection p50 {result['new_connection']['p50_ms']} ms, "
              f"p90 {result['new_connection']['p90_ms']} ms; ratio p50 {result['p50_ratio']}, p90 {result['p90_ratio']}")
        self.assertEqual(result["reused"]["connections_opened"], 1)
        self.assertGreaterEqual(result["new_connection"]["connections_opened"], 1000)


def respond(status=200, body=b'{"ok":true}', content_type="application/json", extra=b""):
    """One whole HTTP/1.1 answer."""
    return (b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
            % (status, content_type.encode(), len(body), extra) + body)


class FakeServer:
    """A raw HTTP/1.1 server on 127.0.0.1:0. behaviour(n, sock) handles the n-th request received (from 1),
    writing what it likes, and returns True to keep the connection for another request."""

    def __init__(self, behaviour):
        self.behaviour, self.received, self.requests, self.lock = behaviour, 0, [], threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.sockets = []
        self.closed = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        reader = sock.makefile("rb")
        try:
            while True:
                head = reader.readline()
                while head and not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                if not head:
                    return
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                request = head + reader.read(int(length.group(1)) if length else 0)
                with self.lock:
                    self.received += 1
                    self.requests.append(request)
                    n = self.received
                if not self.behaviour(n, sock):
                    return
        except OSError:
            pass
        finally:
            sock.close()
            with self.lock:
                self.closed += 1

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            sock.close()


LOADED_MACHINE_FACTOR = 10
SLOW_ANSWER_SECONDS = 30


def answer(data, keep=True, delay=0.0):
    def behaviour(n, sock):
        time.sleep(delay)
        sock.sendall(data)
        return keep
    return behaviour


def reset(sock):
    """Close with an RST, as a server does when it drops a connection hard."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class FakeServerTest(unittest.TestCase):
    def serve(self, behaviour, **options):
        fake = FakeServer(behaviour)
        self.addCleanup(fake.close)
        client = InternalClient(fake.url, "t" * 64, **options)
        self.addCleanup(client.close)
        return fake, client

    def assertRaisesWithin(self, kind, seconds, call):
        """The call raises kind instead of hanging: seconds is what it takes on a quiet machine, and only ten
        times that is asserted, so a loaded machine cannot fail it; a slow answer is held SLOW_ANSWER_SECONDS,
        longer than that, so a client that waited for it still fails."""
        began = time.monotonic()
        with self.assertRaises(kind) as caught:
            call()
        self.assertLess(time.monotonic() - began, seconds * LOADED_MACHINE_FACTOR)
        return caught.exception

    def test_sends_the_token_request_id_and_utf8_json(self):
        fake, client = self.serve(answer(respond(201, '{"name":"café ☕"}'.encode())))
        with request_context("req-7"):
            self.assertEqual(client.post("/_internal/v1/things", {"name": "café ☕"}), {"name": "café ☕"})
        request = fake.requests[0]
        self.assertTrue(request.startswith(b"POST /_internal/v1/things HTTP/1.1\r\n"))
        for header in (b"Authorization: Bearer " + b"t" * 64, b"X-Request-Id: req-7", b"Content-Type: application/json"):
            self.assertIn(header + b"\r\n", request)
        self.assertTrue(request.endswith('{"name":"café ☕"}'.encode()))

    def test_times_out_a_slow_get_after_three_attempts_within_the_deadline(self):
        fake, client = self.serve(answer(respond(), delay=SLOW_ANSWER_SECONDS), timeout=0.2)
        error = self.assertRaisesWithin(Timeout, 1.2, lambda: client.get("/_internal/v1/slow"))
        self.assertIsInstance(error, Unavailable)
        self.assertEqual((fake.received, client.stats()["retries"]), (3, 2))
        self.assertIn("within 0.2 s (3 attempts)", str(error))

    def test_retries_a_slow_post_marked_idempotent(self):
        fake, client = self.serve(answer(respond(), delay=SLOW_ANSWER_SECONDS), timeout=0.2)
        self.assertRaisesWithin(Timeout, 1.2, lambda: client.post("/_internal/v1/render", {}, idempotent=True))
        self.assertEqual(fake.received, 3)

    def test_never_retries_a_slow_non_idempotent_post_and_honours_a_per_call_timeout(self):
        fake, client = self.serve(answer(respond(), delay=SLOW_ANSWER_SECONDS), timeout=20)
        error = self.assertRaisesWithin(Timeout, 0.5, lambda: client.post("/_internal/v1/users", {}, timeout=0.2))
        self.assertEqual((fake.received, client.stats()["retries"]), (1, 0))
        self.assertIn("not repeated: the call is not idempotent and may have taken effect", str(error))

    def test_raises_protocol_error_for_a_200_that_is_not_json(self):
        fake, client = self.serve(answer(respond(body=b"<html>hello</html>")))
        error = self.assertRaisesWithin(ProtocolError, 1, lambda: client.get("/_internal/v1/users/1"))
        self.assertIn("not JSON", error.message)
        self.assertEqual(fake.received, 1)

    def test_raises_protocol_error_for_a_200_with_the_wrong_content_type(self):
        fake, client = self.serve(answer(respond(body=b'{"user":1}', content_type="text/html")))
        error = self.assertRaisesWithin(ProtocolError, 1, lambda: client.get("/_internal/v1/users/1"))
        self.assertIn("Content-Type text/html", error.message)

    def test_raises_unavailable_for_an_html_502_after_retrying_a_get_but_not_a_post(self):
        fake, client = self.serve(answer(respond(502, b"<html>Bad Gateway</html>", "text/html")))
        error = self.assertRaisesWithin(Unavailable, 1, lambda: client.get("/_internal/v1/users/1"))
        self.assertEqual((error.status, error.code, fake.received), (502, None, 3))
        self.assertIn("answered 502: (no JSON error body: '<html>Bad Gateway</html>') (3 attempts)", str(error))
        self.assertRaisesWithin(Unavailable, 1, lambda: client.post("/_internal/v1/users", {}))
        self.assertEqual(fake.received, 4)

    def test_raises_protocol_error_for_a_truncated_body_and_drops_the_connection(self):
        truncated = respond(body=b'{"user":{"id":1,"username":"alice"}}')[:-10]
        fake, client = self.serve(answer(truncated, keep=False))
        error = self.assertRaisesWithin(ProtocolError, 1, lambda: client.get("/_internal/v1/users/1"))
        self.assertIn("IncompleteRead", error.message)
        self.assertEqual((fake.received, client.stats()["idle"]), (1, 0))

    def test_raises_protocol_error_when_the_socket_closes_mid_headers(self):
        fake, client = self.serve(answer(b"HTTP/1.1 200 OK\r\nContent-Ty", keep=False))
        self.assertRaisesWithin(ProtocolError, 1, lambda: client.get("/_internal/v1/users/1"))

    def test_raises_unavailable_when_every_connection_closes_without_an_answer(self):
        fake, client = self.serve(lambda n, sock: False)
        error = self.assertRaisesWithin(Unavailable, 1, lambda: client.get("/_internal/v1/users/1"))
        self.assertIn("RemoteDisconnected", error.message)
        self.assertEqual(fake.received, 3)

    def test_raises_unavailable_quickly_when_nothing_listens(self):
        with socket.create_server(("127.0.0.1", 0)) as probe:
            url = "http://127.0.0.1:%d" % probe.getsockname()[1]
        client = InternalClient(url, "t" * 64)
        self.addCleanup(client.close)
        error = self.assertRaisesWithin(Unavailable, 0.5, lambda: client.get("/_internal/v1/users/1"))
        self.assertNotIsInstance(error, Timeout)
        self.assertIn("ConnectionRefusedError", str(error))
        self.assertEqual(client.stats(), {"connections_opened": 0, "requests": 3, "retries": 2, "idle": 0})
        self.assertRaisesWithin(Unavailable, 0.5, lambda: client.post("/_internal/v1/users", {}))
        self.assertEqual(client.stats()["requests"], 4)

    def test_replaces_a_kept_alive_connection_the_server_closed_while_idle(self):
        fake, client = self.serve(answer(respond(), keep=False))
        for n in range(1, 4):
            self.assertEqual(client.post("/_internal/v1/users", {}), {"ok": True})
            wait_for(lambda: fake.closed >= n, "the server to close connection %d" % n)
        self.assertEqual(client.stats(), {"connections_opened": 3, "requests": 3, "retries": 0, "idle": 1})

    def test_retries_a_get_the_server_dropped_on_a_kept_alive_connection(self):
        fake, client = self.serve(lambda n, sock: n != 2 and answer(respond())(n, sock))
        self.assertEqual([client.get("/_internal/v1/users/1") for _ in range(2)], [{"ok": True}] * 2)
        self.assertEqual((fake.received, client.stats()["retries"], client.stats()["connections_opened"]), (3, 1, 2))

    def test_does_not_repeat_a_post_the_server_dropped_after_it_was_sent(self):
        fake, client = self.serve(lambda n, sock: n != 2 and answer(respond())(n, sock))
        client.post("/_internal/v1/users", {})
        error = self.assertRaisesWithin(Unavailable, 1, lambda: client.post("/_internal/v1/users", {}))
        self.assertIn("not repeated", str(error))
        self.assertEqual(fake.received, 2)

    def test_resends_any_call_whose_sending_failed_on_a_reused_connection(self):
        # The server resets the connection after its answer; with the idle check blind (the race where the
        # reset lands between the check and the send) the next request fails while being sent, so the
        # server never saw it whole and even a non-idempotent POST is safe to send again.
        fake, client = self.serve(lambda n, sock: answer(respond())(n, sock) and reset(sock))
        client.post("/_internal/v1/users", {})
        wait_for(lambda: fake.closed >= 1, "the server to reset the connection")
        with mock.patch.object(strangler_client, "_is_dropped", return_value=False):
            self.assertEqual(client.post("/_internal/v1/users", {}), {"ok": True})
        self.assertEqual((fake.received, client.stats()["retries"], client.stats()["connections_opened"]), (2, 1, 2))

    def test_recovers_from_a_503_by_retrying_a_get(self):
        busy = respond(503, b'{"error":{"code":"unavailable","message":"the database is busy; retry shortly"}}')
        fake, client = self.serve(lambda n, sock: answer(busy if n == 1 else respond())(n, sock))
        self.assertEqual(client.get("/_internal/v1/users/1"), {"ok": True})
        self.assertEqual((fake.received, client.stats()["retries"], client.stats()["connections_opened"]), (2, 1, 1))

    def test_drops_connections_idle_longer_than_the_limit(self):
        fake, client = self.serve(answer(respond()))
        with mock.patch.object(strangler_client, "MAX_IDLE_SECONDS", 0.01):
            client.get("/_internal/v1/users/1")
            time.sleep(0.05)
            client.get("/_internal/v1/users/1")
        self.assertEqual(client.stats(), {"connections_opened": 2, "requests": 2, "retries": 0, "idle": 1})

    def test_does_not_pool_a_connection_the_server_said_it_would_close(self):
        fake, client = self.serve(answer(respond(extra=b"Connection: close\r\n"), keep=False))
        client.get("/_internal/v1/users/1")
        client.get("/_internal/v1/users/1")
        self.assertEqual(client.stats(), {"connections_opened": 2, "requests": 2, "retries": 0, "idle": 0})


class ClientSetupTest(unittest.TestCase):
    def test_reads_the_url_and_token_from_the_environment(self):
        client = InternalClient.from_env({"STRANGLER_INTERNAL_URL": "http://10.0.0.5:9000", "STRANGLER_INTERNAL_TOKEN": "x" * 32})
        self.assertEqual(client.base_url, "http://10.0.0.5:9000")
        self.assertEqual(InternalClient.from_env({"STRANGLER_INTERNAL_TOKEN": "x" * 32}).base_url, "http://127.0.0.1:8082")

    def test_refuses_to_start_without_a_token_naming_the_variable(self):
        with self.assertRaisesRegex(ValueError, "STRANGLER_INTERNAL_TOKEN is not set"):
            InternalClient.from_env({"STRANGLER_INTERNAL_URL": "http://127.0.0.1:8082"})

    def test_refuses_a_url_that_is_not_plain_http_host_and_port(self):
        for url in ("https://127.0.0.1:8082", "http://127.0.0.1:8082/api", "127.0.0.1:8082"):
            with self.assertRaisesRegex(ValueError, "http://host:port"):
                InternalClient(url, "x" * 32)

    def test_refuses_paths_outside_internal_or_with_unquoted_segments(self):
        with InternalClient("http://127.0.0.1:1", "x" * 32) as client:
            for path in ("/api/v1/users/1", "/_internal/v1/users/by-username/a b", "/_internal/v1/users/by-username/ç"):
                with self.assertRaisesRegex(ValueError, "start with /_internal/ and have their segments quoted"):
                    client.get(path)
            self.assertEqual(client.stats()["requests"], 0)

    def test_refuses_calls_after_close(self):
        client = InternalClient("http://127.0.0.1:1", "x" * 32)
        client.close()
        with self.assertRaisesRegex(RuntimeError, "closed"):
            client.get("/_internal/v1/users/1")

    def test_quotes_path_segments_and_query_values(self):
        self.assertEqual(internal_path("v1", "users", "by-username", "a b/ç?"),
                         "/_internal/v1/users/by-username/a%20b%2F%C3%A7%3F")
        self.assertEqual(internal_path("v1", "users", ids="1,2"), "/_internal/v1/users?ids=1,2")

    def test_keeps_request_ids_per_thread_and_restores_the_outer_one(self):
        seen = []
        with request_context("outer"):
            with request_context("inner"):
                thread = threading.Thread(target=lambda: seen.append(strangler_client.current_request_id()))
                thread.start()
                thread.join()
                seen.append(strangler_client.current_request_id())
            seen.append(strangler_client.current_request_id())
        token = strangler_client.set_request_id("set")
        seen.append(strangler_client.current_request_id())
        strangler_client.reset_request_id(token)
        self.assertEqual(seen + [strangler_client.current_request_id()], [None, "inner", "outer", "set", None])

    def test_every_error_is_an_internal_error_with_its_fields(self):
        error = Conflict("taken", call="POST /_internal/v1/users", status=409, code="conflict", request_id="r1")
        self.assertIsInstance(error, InternalError)
        self.assertEqual(str(error), "POST /_internal/v1/users failed: answered 409 conflict: taken. "
                                     "The row exists already: choose another value. (request id r1)")


if __name__ == "__main__":
    unittest.main()
