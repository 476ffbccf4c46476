#!/usr/bin/env python3
"""Reads a results file written by the anchors' bench.py and prints, for this library's
subjects (mio_cpp, mio_cpp_poll):

  * the cost relative to every other subject (raw epoll and each peer library),
  * the targets of issue 7 (met or missed),
  * the heap allocations counted during the measured phase of every workload (a short extra
    pass that runs the subjects' binaries directly: they print allocs=N / allocs_steady=N).

    python3 bench/compare_report.py RESULTS.json --anchors BUILD/anchors --bin BUILD/bench
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys

OURS = ["mio_cpp", "mio_cpp_poll", "mio_cpp_uring"]
# The figures that discriminate between libraries on this machine (anchors' RESULTS.md).
KEY_COLUMNS = ["w1_ir", "w1_sys", "w2_ir", "w2_sys", "w3_ir", "w4_ir", "w4_sys", "w5_same_us",
               "w1_med_us", "w2_kmsgs", "w3_ns", "w4_ns", "w5_split_us"]
TARGETS = [  # key, absolute bound (None: none), bound relative to epoll (None: none), label
    ("w1_ir", 90, None, "W1 <= 90 Ir/rt"),
    ("w1_sys", 3.05, None, "W1 3 syscalls/rt"),
    ("w2_ir", 65, None, "W2 <= 65 Ir/msg"),
    ("w3_ir", 21, None, "W3 <= 21 Ir/poll"),
    ("w4_ir", 36, None, "W4 <= 36 Ir/pair"),
    ("w5_same_us", None, 1.05, "W5 1 core within 5% of epoll"),
]
BELOW_PEERS = ["w1_ir", "w2_ir", "w3_ir", "w4_ir", "w5_same_us"]
PEERS = ["mio", "libuv", "libevent", "libev", "asio", "asio-nolock"]


def columns(anchors):
    sys.path.insert(0, anchors)
    from bench import COLUMNS  # noqa: E402  (the anchors' own column definitions)
    return {c[0]: c for c in COLUMNS}


def ratio(a, b, direction):
    if a is None or b is None or not a or not b:
        return None
    return a / b if direction > 0 else b / a


def print_ratios(summary, cols, name):
    keys = [k for k in KEY_COLUMNS if k in cols and summary[name].get(k) is not None]
    others = [n for n in summary if n != name]
    print(f"\n### {name}: cost relative to each subject (< 1.00: {name} is cheaper; kmsg/s inverted)\n")
    print("| vs | " + " | ".join(cols[k][1] for k in keys) + " |")
    print("|---|" + "|".join("---:" for _ in keys) + "|")
    for o in others:
        cells = []
        for k in keys:
            r = ratio(summary[name].get(k), summary[o].get(k), cols[k][3])
            cells.append("–" if r is None else f"{r:.2f}")
        print(f"| {o} | " + " | ".join(cells) + " |")


def print_targets(summary, cols, name):
    s, e = summary[name], summary.get("epoll", {})
    print(f"\n### {name}: targets of issue 7\n")
    print("| target | value | bound | met |")
    print("|---|---:|---:|---|")
    for key, absolute, rel, label in TARGETS:
        v = s.get(key)
        if v is None:
            print(f"| {label} | – | – | not measured |")
            continue
        bound = absolute if absolute is not None else (e.get(key) * rel if e.get(key) else None)
        met = "–" if bound is None else ("yes" if v <= bound else "**no**")
        fmt = cols[key][2]
        print(f"| {label} | {fmt.format(v)} | {'–' if bound is None else fmt.format(bound)} | {met} |")
    for key in BELOW_PEERS:
        v = s.get(key)
        worse = [p for p in PEERS if summary.get(p, {}).get(key) is not None and v is not None
                 and summary[p][key] <= v]
        have = [p for p in PEERS if summary.get(p, {}).get(key) is not None]
        if v is None or not have:
            continue
        print(f"| {cols[key][1]} below {', '.join(have)} | {cols[key][2].format(v)} | – | "
              f"{'yes' if not worse else '**no** (not below ' + ', '.join(worse) + ')'} |")


# ---- allocation pass
def free_port():
    for p in range(24000 + os.getpid() % 4000, 32000):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


def run_inproc(binary, args, env=None):
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60, env=env)
    if p.returncode == 77:
        return "n/a"
    m = re.search(r"allocs=(\d+)", p.stdout)
    return m.group(1) if m else f"failed ({p.returncode})"


def run_server(binary, client, nconn):
    port = free_port()
    srv = subprocess.Popen([binary, str(port), str(nconn)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        subprocess.run([client(port)[0]] + client(port)[1:], capture_output=True, timeout=60, check=True)
        _, err = srv.communicate(timeout=20)
    finally:
        if srv.poll() is None:
            srv.kill()
    m = re.search(r"allocs_steady=(\d+)", err or "")
    return m.group(1) if m else f"failed ({srv.returncode})"


def alloc_pass(bin_dir, anchors):
    clients = os.path.join(anchors, "build", "bin")
    subjects = [("mio_cpp", "mio_bench_server", "mio_bench_inproc"),
                ("mio_cpp_poll", "mio_bench_poll_server", "mio_bench_poll_inproc"),
                ("mio_cpp_uring", "mio_bench_uring_server", "mio_bench_uring_inproc")]
    print("\n### Heap allocations during the measured phase (counted by the subjects' replaced "
          "malloc/operator new)\n")
    print("W1: 2000 round trips, W2: 100 connections x 20,000 messages (counted after the last accept); "
          "W3: 2000 polls over 10,000 fds; W4: 2000 pairs; W5: 2000 round trips (1 core).\n")
    print("| subject | W1 | W2 | W3 | W4 | W5 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, server, inproc in subjects:
        srv, inp = os.path.join(bin_dir, server), os.path.join(bin_dir, inproc)
        if not os.access(inp, os.X_OK):
            continue
        row = []
        if os.access(srv, os.X_OK):
            row.append(run_server(srv, lambda p: [os.path.join(clients, "pingpong_client"), str(p), "2000", "100"], 1))
            row.append(run_server(srv, lambda p: [os.path.join(clients, "throughput_client"), str(p), "100",
                                                  "20000", "0"], 100))
        else:
            row += ["–", "–"]
        row.append(run_inproc(inp, ["w3", "10000", "2000"]))
        row.append(run_inproc(inp, ["w4", "2000"]))
        row.append(run_inproc(inp, ["w5", "2000"], env=dict(os.environ, ANCHORS_W5_CPUS="0,0")))
        print(f"| {name} | " + " | ".join(row) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--anchors", required=True, help="the anchors folder the run used")
    ap.add_argument("--bin", help="folder of this library's bench binaries (for the allocation pass)")
    args = ap.parse_args()
    with open(args.results) as f:
        doc = json.load(f)
    cols = columns(args.anchors)
    summary = doc["summary"]
    for name in OURS:
        if name in summary:
            print_ratios(summary, cols, name)
            if name == "mio_cpp":  # the targets are for the epoll subject
                print_targets(summary, cols, name)
    if args.bin:
        alloc_pass(args.bin, args.anchors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
