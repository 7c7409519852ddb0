"""Round trip of one internal call with kept-alive connections vs a new connection per call, as JSON.

    python3 legacy-python/bench_internal_call.py --url http://127.0.0.1:8082 --token "$STRANGLER_INTERNAL_TOKEN"

Both sides use the same client code; the "new connection" client keeps no idle connection, so each call
connects, asks and closes. The calls run interleaved in blocks so drift (CPU frequency, other load) hits
both the same; a warm-up round comes first and is not counted.
"""
import argparse
import json
import os
import statistics
import time

from strangler_client import InternalClient

PATH = "/_internal/v1/users/1"


def percentiles(samples_ms):
    cuts = statistics.quantiles(samples_ms, n=10, method="inclusive")
    return {"p50_ms": round(statistics.median(samples_ms), 3), "p90_ms": round(cuts[8], 3),
            "mean_ms": round(statistics.fmean(samples_ms), 3)}


def measure(url, token, calls=1000, block=50, path=PATH):
    """{"reused": {...}, "new_connection": {...}, "p50_ratio", "p90_ratio"}: ratios are new / reused."""
    clients = {"reused": InternalClient(url, token), "new_connection": InternalClient(url, token, max_idle=0)}
    samples = {name: [] for name in clients}
    try:
        for client in clients.values():
            for _ in range(min(block, calls)):
                client.get(path)
        for start in range(0, calls, block):
            # Alternate which side goes first in a block, so neither always follows the other.
            order = list(clients.items()) if (start // block) % 2 == 0 else list(clients.items())[::-1]
            for name, client in order:
                for _ in range(min(block, calls - start)):
                    began = time.perf_counter()
                    client.get(path)
                    samples[name].append((time.perf_counter() - began) * 1000)
        result = {"path": path, "calls": calls, "block": block}
        for name, client in clients.items():
            result[name] = dict(percentiles(samples[name]), connections_opened=client.stats()["connections_opened"])
    finally:
        for client in clients.values():
            client.close()
    for cut in ("p50", "p90"):
        result[f"{cut}_ratio"] = round(result["new_connection"][f"{cut}_ms"] / result["reused"][f"{cut}_ms"], 2)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("STRANGLER_INTERNAL_URL", "http://127.0.0.1:8082"))
    parser.add_argument("--token", default=os.environ.get("STRANGLER_INTERNAL_TOKEN"))
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--path", default=PATH)
    args = parser.parse_args()
    if not args.token:
        parser.error("pass --token or set STRANGLER_INTERNAL_TOKEN (the TS server's internal token)")
    print(json.dumps(measure(args.url, args.token, args.calls, args.block, args.path)))


if __name__ == "__main__":
    main()
