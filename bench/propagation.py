#!/usr/bin/env python3
"""How long a change committed on one instance takes to change the behaviour of the others
(issue 14 point 1, target p99 < 1 s). Starts three instances of the built server on a fresh
PostgreSQL database; each round creates a webhook flow on A and times, from A's answer (the
commit), until the flow answers on B and on C; then grants the public role the trigger on A
and times until an anonymous call works on B, and revokes it and times until it is refused.
Prints p50/p95/p99/max in milliseconds.
Usage: bench/propagation.py [--rounds 100] [--bin target/release/sluice]
       [--pg postgres://postgres@127.0.0.1:5432]"""
import argparse, json, os, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-admin-token"
PUBLIC = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"


def call(base, method, path, body=None, token=TOKEN):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req) as r:
            raw = r.read()
            try:
                return r.status, json.loads(raw or b"null")
            except ValueError:
                return r.status, raw.decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(base, path, want, token=TOKEN, limit=10.0):
    """Milliseconds until POST base+path answers `want` (polled every ms)."""
    started = time.perf_counter()
    while True:
        status, _ = call(base, "POST", path, {}, token)
        if status == want:
            return (time.perf_counter() - started) * 1000
        if time.perf_counter() - started > limit:
            sys.exit(f"{path} on {base} still {status} after {limit} s")
        time.sleep(0.001)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "sluice"))
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} is missing: cargo build --release -p server")
    name = f"sluice_bench_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", f"{args.pg}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    tmp = tempfile.mkdtemp(prefix="sluice-propagation-")
    procs, bases = [], []
    try:
        for i in range(3):
            port = free_port()
            env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", SERVE_APP="false", LOG_LEVEL="warn",
                       DB_CLIENT="pg", DB_CONNECTION_STRING=f"{args.pg}/{name}",
                       ADMIN_EMAIL="admin@example.com", ADMIN_PASSWORD="bench-password", ADMIN_TOKEN=TOKEN)
            log = open(os.path.join(tmp, f"sluice-{i}.log"), "w")
            procs.append(subprocess.Popen([args.bin], env=env, cwd=tmp, stdout=log, stderr=log))
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if call(base, "GET", "/server/ping", token=None)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                sys.exit(f"instance {i} did not start (log in {tmp})")
            bases.append(base)
        a, b, c = bases
        flows_b, flows_c, grant, revoke = [], [], [], []
        for n in range(args.rounds):
            status, body = call(a, "POST", "/flows", {
                "name": f"p{n}", "trigger": "webhook", "status": "active", "options": {"method": "POST"},
                "operations": [{"key": "t", "operation": "transform", "options": {"json": {"n": n}}}]})
            assert status == 200, status
            path = f"/flows/trigger/{body['data']['id']}"
            flows_b.append(until(b, path, 200))
            flows_c.append(until(c, path, 200))
            status, body = call(a, "POST", "/permissions", {
                "policy": PUBLIC, "collection": "directus_flows", "action": "trigger", "fields": ["*"]})
            assert status == 200, status
            grant.append(until(b, path, 200, token=None))
            status, _ = call(a, "DELETE", f"/permissions/{body['data']['id']}")
            assert status == 204, status
            revoke.append(until(b, path, 403, token=None))
        print(f"{args.rounds} rounds, three instances on one PostgreSQL; ms from A's answer to the new behaviour")
        print(f"{'change':<24}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
        for label, xs in [("new flow, on B", flows_b), ("new flow, on C (after B)", flows_c),
                          ("public grant, on B", grant), ("revoke, on B", revoke)]:
            print(f"{label:<24}" + "".join(f"{v:>8.1f}" for v in
                                           (pct(xs, 50), pct(xs, 95), pct(xs, 99), max(xs))))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run(["psql", f"{args.pg}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}"'])


if __name__ == "__main__":
    main()
