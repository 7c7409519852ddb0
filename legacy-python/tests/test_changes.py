"""After-commit change notifications (forum/internal.py ChangeNotifier): the request that committed never
waits for them, failures are logged and dropped, and a full queue drops new ones rather than block. The
TS side here is a stand-in client; test/cache/cache.test.ts runs the real one end to end."""
import threading
import time
import unittest
from unittest import mock

import strangler_client
from forum.internal import CHANGES_PATH, ChangeNotifier


class StandIn:
    """Records calls; `gate` holds each call until set, `error` is raised by each call."""

    def __init__(self, error=None):
        self.calls, self.gate, self.error = [], threading.Event(), error
        self.gate.set()

    def post(self, path, body, **options):
        self.gate.wait(10)
        self.calls.append((path, body, options))
        if self.error:
            raise self.error
        return {"accepted": len(body["changes"])}


def wait_for(check, timeout=10):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


class ChangeNotifierTest(unittest.TestCase):
    def test_sends_the_changes_to_the_changes_endpoint_idempotently_with_a_timeout(self):
        client = StandIn()
        notifier = ChangeNotifier(client, timeout=1.5)
        notifier.notify([{"kind": "post", "thread": 1, "board": "general"}])
        wait_for(lambda: client.calls)
        path, body, options = client.calls[0]
        self.assertEqual((path, body), (CHANGES_PATH, {"changes": [{"kind": "post", "thread": 1, "board": "general"}]}))
        self.assertEqual((options["idempotent"], options["timeout"]), (True, 1.5))
        notifier.close()

    def test_notify_returns_while_the_ts_side_is_stuck_and_what_piled_up_goes_in_one_call(self):
        client = StandIn()
        client.gate.clear()
        notifier = ChangeNotifier(client)
        for thread in range(1, 4):
            notifier.notify([{"kind": "post", "thread": thread, "board": "b"}])
        self.assertEqual(client.calls, [])
        client.gate.set()
        wait_for(lambda: sum(len(body["changes"]) for _, body, _ in client.calls) == 3)
        self.assertLessEqual(len(client.calls), 2)
        notifier.close()

    def test_a_failed_call_is_logged_and_the_next_changes_still_go(self):
        client = StandIn(error=strangler_client.Unavailable("down", call="POST /_internal/v1/changes"))
        notifier = ChangeNotifier(client)
        with mock.patch("forum.internal.log") as log:
            notifier.notify([{"kind": "post", "thread": 1, "board": "b"}])
            wait_for(lambda: log.call_count == 1)
            notifier.notify([{"kind": "post", "thread": 2, "board": "b"}])
            wait_for(lambda: len(client.calls) == 2)
            notifier.close()
        self.assertEqual(log.call_args_list[0].args[:2], ("warn", "internal_call_failed"))

    def test_a_full_queue_drops_new_changes_with_a_log_line_instead_of_waiting(self):
        client = StandIn()
        client.gate.clear()
        notifier = ChangeNotifier(client, max_pending=1)
        with mock.patch("forum.internal.log") as log:
            notifier.notify([{"kind": "post", "thread": 1, "board": "b"}])
            wait_for(lambda: notifier._pending.empty())  # the sender took the first and is stuck on it
            notifier.notify([{"kind": "post", "thread": 2, "board": "b"}])
            notifier.notify([{"kind": "post", "thread": 3, "board": "b"}])
        self.assertEqual(log.call_args.args[:2], ("warn", "changes_dropped"))
        client.gate.set()
        notifier.close()


if __name__ == "__main__":
    unittest.main()
