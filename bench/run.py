#!/usr/bin/env python3
"""Sluice benchmark (issue 6): starts the release server on a fresh SQLite file, sets up the
flows, and measures with wrk at 16 connections: (a) a bare JSON route, (b) a POST webhook flow
with one transform, (c) the same with run logs on, (d) a webhook flow with one item-create,
(e) an async webhook flow with one item-create (durable accept rate and p99 of the 202, then
how long the queue takes to drain); plus resident memory idle and under load, and the time
from process start to the first answer.
Usage: bench/run.py [--duration 10] [--connections 16] [--db sqlite|pg]"""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "sluice")
PORT = 18555
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "bench-admin-token"
PUBLIC = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"


def api(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def rss_kib(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wrk(url, duration, connections, post):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if post:
        cmd += ["-s", os.path.join(ROOT, "bench", "post.lua")]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0, out, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--only", default="abcde", help="which measurements to run, e.g. 'c'")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    tmp = tempfile.mkdtemp(prefix="sluice-bench-")
    env = dict(os.environ, PORT=str(PORT), HOST="127.0.0.1", SERVE_APP="false", LOG_LEVEL="warn",
               SLUICE_BENCH_ROUTE="true", ADMIN_EMAIL="admin@example.com", ADMIN_PASSWORD="bench-password",
               ADMIN_TOKEN=TOKEN, SECRET="bench-secret-bench-secret",
               # (e) measures accepting: room for every run a measurement can queue.
               FLOWS_QUEUE_MAX="2000000")
    if args.db == "pg":
        dbname = "sluice_bench_" + str(os.getpid())
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"create database {dbname}"], check=True)
        env.update(DB_CLIENT="pg", DB_CONNECTION_STRING=f"postgres://postgres@127.0.0.1:5432/{dbname}")
    else:
        env["DB_FILENAME"] = os.path.join(tmp, "bench.db")
    # First start migrates and bootstraps; measure a second, warm start as "time to first answer".
    for attempt in ("cold", "warm"):
        t0 = time.perf_counter()
        proc = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=0.05) as s:
                    s.sendall(b"GET /server/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                sys.exit("server exited: " + proc.stderr.read().decode())
            time.sleep(0.001)
        startup_ms = (time.perf_counter() - t0) * 1000
        print(f"first answer after start ({attempt} database): {startup_ms:.0f} ms")
        if attempt == "cold":
            proc.send_signal(signal.SIGTERM)
            proc.wait()
    try:
        api("POST", "/collections", {"collection": "bench_items", "schema": {}, "fields": [
            {"field": "type", "type": "string"}, {"field": "data", "type": "json"},
            {"field": "source_ip", "type": "string"}, {"field": "timestamp", "type": "timestamp"}]})
        transform = {"key": "answer", "operation": "transform",
                     "options": {"json": {"received": True, "type": "{{$trigger.type}}", "amount": "{{$trigger.data.amount}}"}}}
        create = {"key": "save", "operation": "item-create",
                  "options": {"collection": "bench_items", "permissions": "$full",
                              "payload": {"type": "{{$trigger.type}}", "data": "{{$trigger.data}}",
                                          "source_ip": "{{$accountability.ip}}", "timestamp": "{{$NOW}}"}}}
        api("POST", "/collections", {"collection": "bench_async", "schema": {}, "fields": [
            {"field": "type", "type": "string"}, {"field": "data", "type": "json"},
            {"field": "source_ip", "type": "string"}, {"field": "timestamp", "type": "timestamp"}]})
        create_async = json.loads(json.dumps(create).replace('"bench_items"', '"bench_async"'))
        def flow(name, accountability, op, **options):
            return api("POST", "/flows", {"name": name, "trigger": "webhook", "status": "active",
                                          "accountability": accountability,
                                          "options": {"method": "POST", "return": "$last", **options},
                                          "operations": [op]})["data"]["id"]
        b = flow("transform", None, transform)
        c = flow("transform logged", "all", transform)
        d = flow("item-create", None, create)
        e = flow("async item-create", None, create_async, **{"async": True})
        api("POST", "/permissions", {"policy": PUBLIC, "collection": "directus_flows", "action": "trigger", "fields": ["*"]})
        time.sleep(2)
        idle = rss_kib(proc.pid)
        peak = [idle]
        stop = threading.Event()
        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(proc.pid))
                time.sleep(0.1)
        threading.Thread(target=sample, daemon=True).start()
        rows = []
        for label, url, post in [("(a) bare JSON route", f"{BASE}/bench/static", True),
                                 ("(b) webhook + transform", f"{BASE}/flows/trigger/{b}", True),
                                 ("(c) webhook + transform, run logs on", f"{BASE}/flows/trigger/{c}", True),
                                 ("(d) webhook + item-create", f"{BASE}/flows/trigger/{d}", True),
                                 ("(e) async webhook + item-create, accept", f"{BASE}/flows/trigger/{e}", True)]:
            if label[1] not in args.only:
                continue
            before = peak[0]
            peak[0] = rss_kib(proc.pid)
            rps, p99, errors, raw, total = wrk(url, args.duration, args.connections, post)
            ended = time.perf_counter()
            if errors:
                print(raw)
            rows.append((label, rps, p99, errors))
            print(f"{label:40s} {rps:10.0f} req/s   p99 {p99:7.2f} ms   non-2xx {errors}"
                  f"   peak RSS {peak[0] / 1024:5.1f} MiB", flush=True)
            if label.startswith("(e)"):
                # Every accepted (202) run done: as many items as accepted calls.
                accepted = total - errors
                while True:
                    done = api("GET", "/items/bench_async?aggregate[count]=*")["data"][0]["count"]
                    if int(done) >= accepted:
                        break
                    time.sleep(0.05)
                drain = time.perf_counter() - ended
                print(f"    {accepted} runs accepted, all done {drain:.1f} s after the last 202"
                      f" ({int(done) / (args.duration + drain):.0f} runs/s end to end)"
                      f"   peak RSS {peak[0] / 1024:5.1f} MiB", flush=True)
            peak[0] = max(peak[0], before)
            if os.environ.get("BENCH_RSS_DETAIL"):
                print("    now: " + ", ".join(f"{k} {rss_kib(proc.pid, k) / 1024:.1f} MiB"
                                           for k in ("RssAnon", "RssFile", "RssShmem")))
            # Let queued run logs reach the database before the next measurement.
            last = -1
            while True:
                n = api("GET", "/runs?aggregate[count]=*")["data"][0]["count"]
                if n == last:
                    break
                last = n
                time.sleep(0.5)
        stop.set()
        time.sleep(0.2)
        print(f"\nresident memory: idle {idle / 1024:.1f} MiB, peak under load {peak[0] / 1024:.1f} MiB")
        if len(rows) >= 4:
            a, bb, cc, dd = (r[1] for r in rows[:4])
            count = api("GET", "/items/bench_items?aggregate[count]=*")["data"][0]["count"]
            print(f"items created by (d): {count}")
            print(f"(b)/(a) = {bb / a:.0%}   (c)/(b) = {cc / bb:.0%}   (d)/Directus 198 = {dd / 198:.1f}x")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        if args.db == "pg":
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"drop database if exists {dbname} with (force)"])


if __name__ == "__main__":
    main()
