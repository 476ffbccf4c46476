#!/usr/bin/env python3
"""The table of bench/real_clients: requests per second of each server under each client,
median and range over the repetitions, the ratio of ours to the peer, and the errors.

    bench/real_clients_report.py RESULTS.tsv

RESULTS.tsv has the columns rep, server, test, rps, errors and cpu_us_per_request (the
server's user + system CPU time over the run divided by the requests: a cost that depends
less than requests per second on what else the machine runs).
"""
import csv
import statistics
import sys

PAIRS = {"resp_server": "redis-server", "http_server": "nginx"}


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    tests = list(dict.fromkeys(r["test"] for r in rows))

    def values(server, test):
        return {r["rep"]: float(r["rps"]) for r in rows if r["server"] == server and r["test"] == test}

    def cpu(server, test):
        v = [float(r["cpu_us_per_request"]) for r in rows
             if r["server"] == server and r["test"] == test and r.get("cpu_us_per_request")]
        return f"{statistics.median(v):.1f}" if v else "-"

    def errors(server, test):
        return sum(int(r["errors"]) for r in rows if r["server"] == server and r["test"] == test)

    def show(v):
        v = sorted(v.values())
        if not v:
            return "-"
        med = statistics.median(v)
        return f"{med:,.0f}" if len(v) == 1 else f"{med:,.0f} ({v[0]:,.0f}-{v[-1]:,.0f})"

    print("\n| client, test | ours: median (min-max) req/s | peer: median (min-max) req/s "
          "| ratio of medians | median of paired ratios (min-max) | server CPU µs/request ours, peer "
          "| errors ours, peer |")
    print("|---|---|---|---|---|---|---|")
    for test in tests:
        for ours, peer in PAIRS.items():
            a, b = values(ours, test), values(peer, test)
            if not a:
                continue
            ratio = f"{statistics.median(a.values()) / statistics.median(b.values()):.2f}" if b else "-"
            paired = sorted(a[k] / b[k] for k in a if k in b and b[k] > 0)
            pr = "-"
            if paired:
                pr = f"{statistics.median(paired):.2f}"
                if len(paired) > 1:
                    pr += f" ({paired[0]:.2f}-{paired[-1]:.2f})"
            client = "wrk" if ours == "http_server" else "redis-benchmark"
            print(f"| {client} {test} | {ours}: {show(a)} | {peer}: {show(b)} | {ratio} | {pr} "
                  f"| {cpu(ours, test)}, {cpu(peer, test)} | {errors(ours, test)}, {errors(peer, test)} |")
    n = len({r["rep"] for r in rows})
    print(f"\n{n} repetition(s). A paired ratio divides ours by the peer's run right before or after it.")


if __name__ == "__main__":
    main(sys.argv[1])
