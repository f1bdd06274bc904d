#!/usr/bin/env python3
"""Side by side with amazon-ecr-credential-helper (issue 21); stdlib only.

`docker-credential-ecluse get` (ecluse-cred's docker shim, an ECR host deriving its target)
against `docker-credential-ecr-login get`, both getting their token from a loopback fake of
ECR's GetAuthorizationToken (one fake per side, each counting its calls):

- ecluse-cred's mint helper reaches its fake through AWS_ENDPOINT_URL_ECR (plain HTTP);
- the peer (Debian's 0.6.0 has no endpoint override) through HTTPS_PROXY: a loopback CONNECT
  proxy that accepts only api.ecr.us-east-1.amazonaws.com:443, terminates TLS with a
  certificate for that name signed by a throwaway CA (AWS_CA_BUNDLE), and serves the decrypted
  HTTP with the fake's own handler.

Warm: one untimed call each (both must print Username AWS and the fake's PASSWORD as Secret),
then N calls of each, interleaved, stdin = the host; median and p90 wall time; the fakes'
calls during the timed runs (must be 0). Cold: both caches cleared, the fakes answer after
500 ms, 50 concurrent callers per side; calls to the fake, wall time, failures, distinct
secrets. Goals: ecluse-cred's cached median below the peer's, and 1 call for ecluse-cred's
cold callers with no failure. Exit 1 naming each missed goal; an impossible measurement (a
wrong answer, a timed call that reached the fake) fails too. Method: docs/benchmarks.md.
"""

import argparse
import base64
import http.server
import json
import os
import shutil
import socketserver
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ACCOUNT = "111122223333"
REGION = "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
API_HOST = f"api.ecr.{REGION}.amazonaws.com"
TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
PASSWORD = "bench-ecr-password-0001"
KEY_ID = "AKIDECLUSEBENCHECR"
SECRET_KEY = "bench-ecr-secret/access+key"


class Fake:
    """One side's GetAuthorizationToken: counts calls; fixed or numbered passwords; delay."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.calls = 0
        self.bad = []
        self.bodies = []
        self.delay = 0.0
        self.numbered = False

    def reset(self, delay=0.0, numbered=False):
        with self.lock:
            self.calls, self.bad, self.bodies = 0, [], []
            self.delay, self.numbered = delay, numbered

    def handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = self.path == "/" and self.headers.get("X-Amz-Target") == TARGET
                with fake.lock:
                    if not ok:
                        fake.bad.append(f"POST {self.path} {self.headers.get('X-Amz-Target')}")
                    else:
                        fake.calls += 1
                        fake.bodies.append(body.decode("utf-8", "replace"))
                        n = fake.calls
                    delay, numbered = fake.delay, fake.numbered
                if not ok:
                    return self.answer(400, {"__type": "BadRequest", "message": "not GetAuthorizationToken"})
                if delay:
                    time.sleep(delay)  # the token API's latency, not synchronisation
                pw = f"{fake.name}-cold-password-{n:04}" if numbered else PASSWORD
                token = base64.b64encode(f"AWS:{pw}".encode()).decode()
                self.answer(200, {"authorizationData": [{
                    "authorizationToken": token,
                    "expiresAt": time.time() + 43200,
                    "proxyEndpoint": f"https://{HOST}",
                }]})

            def do_GET(self):
                with fake.lock:
                    fake.bad.append(f"GET {self.path}")
                self.answer(400, {"__type": "BadRequest", "message": "POST only"})

            def answer(self, code, doc):
                data = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def start(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def make_proxy(fake, tls_ctx):
    handler = fake.handler()
    refused = []

    class Connect(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            head = b""
            while b"\r\n\r\n" not in head:  # byte by byte: nothing of the TLS hello is read
                c = sock.recv(1)
                if not c:
                    return
                head += c
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            if line.split()[:2] != ["CONNECT", f"{API_HOST}:443"]:
                refused.append(line)
                sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            try:
                tls = tls_ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                refused.append(f"TLS: {e}")
                return
            try:
                handler(tls, self.client_address, self.server)
            except (ssl.SSLError, OSError):
                pass
            finally:
                try:
                    tls.close()
                except OSError:
                    pass

    return ProxyServer(("127.0.0.1", 0), Connect), refused


def make_certs(d):
    """A throwaway CA and a server certificate for API_HOST signed by it."""
    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ecluse bench CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "srv.key", "-out", "srv.csr", "-subj", f"/CN={API_HOST}")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write(f"subjectAltName=DNS:{API_HOST}\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=CA:FALSE\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "srv.pem"), os.path.join(d, "srv.key"))
    return os.path.join(d, "ca.pem"), ctx


class Side:
    def __init__(self, label, argv, env, fake, cache_dir):
        self.label, self.argv, self.env, self.fake, self.cache_dir = label, argv, env, fake, cache_dir

    def spawn(self):
        return subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.env)

    def get(self):
        """One call: (seconds, exit code, stdout, stderr)."""
        t = time.perf_counter()
        p = subprocess.run(self.argv, input=HOST.encode(), capture_output=True, env=self.env)
        return time.perf_counter() - t, p.returncode, p.stdout, p.stderr

    def clear_cache(self):
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        os.makedirs(self.cache_dir, mode=0o700)


def secret_of(out):
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    if doc.get("Username") != "AWS":
        return None
    return doc.get("Secret")


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def ms(x):
    return f"{x * 1000:.2f} ms"


def cold(side, callers):
    side.clear_cache()
    side.fake.reset(delay=0.5, numbered=True)
    t = time.perf_counter()
    procs = [side.spawn() for _ in range(callers)]
    for p in procs:
        p.stdin.write(HOST.encode())
        p.stdin.close()
    outs = [(p.stdout.read(), p.stderr.read(), p.wait()) for p in procs]
    wall = time.perf_counter() - t
    secrets = [secret_of(o) if rc == 0 else None for o, _, rc in outs]
    failures = [e.decode("utf-8", "replace").strip()[:200] for (_, e, rc), s in zip(outs, secrets)
                if rc != 0 or s is None]
    with side.fake.lock:
        calls = side.fake.calls
    return {"wall": wall, "calls": calls, "ok": callers - len(failures),
            "distinct": len({s for s in secrets if s}), "failures": failures}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--peer", default=shutil.which("docker-credential-ecr-login"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "300")))
    ap.add_argument("--callers", type=int, default=int(os.environ.get("BENCH_CALLERS", "50")))
    a = ap.parse_args()
    exe = os.path.join(a.root, "target", "release", "ecluse-cred")
    for p in (exe, exe + "-mint", a.peer):
        assert p and os.access(p, os.X_OK), f"missing executable {p}"

    work = tempfile.mkdtemp(prefix="ecr-helper-bench-")
    try:
        return run(a, exe, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, exe, work):
    ca, tls_ctx = make_certs(work)
    ours_fake, peer_fake = Fake("ecluse"), Fake("peer")
    ours_port = start(Server(("127.0.0.1", 0), ours_fake.handler()))
    proxy, refused = make_proxy(peer_fake, tls_ctx)
    proxy_port = start(proxy)

    base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.path.join(work, "nowhere"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work, "nowhere")}
    ours_home, peer_home = os.path.join(work, "ours"), os.path.join(work, "peer")
    shims = os.path.join(ours_home, "shims")
    os.makedirs(ours_home)
    os.makedirs(peer_home)
    config = os.path.join(ours_home, "config.toml")
    open(config, "w").close()  # no target: the ECR host derives its own
    subprocess.run([exe, "install", "shims", shims], check=True, capture_output=True,
                   env={**base, "HOME": ours_home, "ECLUSE_CRED_CONFIG": config})
    ours = Side("ecluse-cred", [os.path.join(shims, "docker-credential-ecluse"), "get"],
                {**base, "HOME": ours_home, "ECLUSE_CRED_CONFIG": config,
                 "ECLUSE_CRED_CACHE_DIR": os.path.join(ours_home, "cache"),
                 "XDG_CONFIG_HOME": os.path.join(ours_home, ".config"),
                 "XDG_CACHE_HOME": os.path.join(ours_home, ".cache"),
                 "AWS_ENDPOINT_URL_ECR": f"http://127.0.0.1:{ours_port}",
                 "NO_PROXY": "127.0.0.1,localhost"},
                ours_fake, os.path.join(ours_home, "cache"))
    peer = Side("amazon-ecr-credential-helper", [a.peer, "get"],
                {**base, "HOME": peer_home,
                 "AWS_ECR_CACHE_DIR": os.path.join(peer_home, "ecr-cache"),
                 "HTTPS_PROXY": f"http://127.0.0.1:{proxy_port}", "AWS_CA_BUNDLE": ca},
                peer_fake, os.path.join(peer_home, "ecr-cache"))
    sides = (ours, peer)

    # Warm-up: one call each, which mints; both must print the fake's password.
    bodies = {}
    for s in sides:
        s.clear_cache()
        s.fake.reset()
        _, rc, out, err = s.get()
        if rc != 0 or secret_of(out) != PASSWORD:
            sys.exit(f"{s.label}: the first get did not print Username AWS and the fake's "
                     f"password (exit {rc}): {out[:300]!r} {err.decode('utf-8', 'replace')[:600]}"
                     f" proxy refusals: {refused}")
        assert s.fake.calls == 1, f"{s.label}: {s.fake.calls} calls for the first get"
        assert not s.fake.bad, f"{s.label}: unexpected requests {s.fake.bad}"
        bodies[s.label] = s.fake.bodies[0]
        s.fake.reset()

    # Warm: interleaved.
    times = {s.label: [] for s in sides}
    for _ in range(a.runs):
        for s in sides:
            dt, rc, out, err = s.get()
            assert rc == 0 and secret_of(out) == PASSWORD, \
                f"{s.label}: a cached get printed {out[:200]!r} (exit {rc}): {err[:300]!r}"
            times[s.label].append(dt)
    warm_calls = {s.label: s.fake.calls for s in sides}

    colds = {s.label: cold(s, a.callers) for s in sides}

    # Report.
    med = {k: statistics.median(v) for k, v in times.items()}
    p90 = {k: pct(v, 90) for k, v in times.items()}
    ratio = med[peer.label] / med[ours.label]
    print(f"\n{a.runs} warm `get` calls each, interleaved; {a.callers} concurrent cold callers "
          f"per side, the fake answering after 500 ms\n")
    print("| side | cached `get` median | p90 | token API calls in the timed runs "
          f"| {a.callers} cold callers: token API calls | wall | succeeded | distinct secrets |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in sides:
        c = colds[s.label]
        print(f"| {s.label} | {ms(med[s.label])} | {ms(p90[s.label])} | {warm_calls[s.label]} "
              f"| {c['calls']} | {c['wall']:.3f} s | {c['ok']}/{a.callers} | {c['distinct']} |")
    print(f"\nratio of the cached medians (peer / ecluse-cred): {ratio:.1f}x")
    for s in sides:
        print(f"{s.label}'s GetAuthorizationToken body: {bodies[s.label]}")
    for s in sides:
        for f in sorted(set(colds[s.label]["failures"]))[:3]:
            print(f"{s.label} cold failure: {f}")
    if refused:
        print(f"proxy refusals: {refused[:5]}")

    missed = []
    if warm_calls[ours.label]:
        missed.append(f"ecluse-cred's cached calls reached the token API {warm_calls[ours.label]} times")
    if warm_calls[peer.label]:
        missed.append(f"the peer's cache was not hit: {warm_calls[peer.label]} token API calls "
                      "in its timed runs")
    if not med[ours.label] < med[peer.label]:
        missed.append(f"ecluse-cred's cached get is not faster than the peer's ({ratio:.2f}x)")
    c = colds[ours.label]
    if c["calls"] != 1 or c["ok"] != a.callers or c["distinct"] != 1:
        missed.append(f"ecluse-cred's {a.callers} cold callers: {c['calls']} token API calls, "
                      f"{c['ok']} succeeded, {c['distinct']} distinct secrets (goal: 1, all, 1)")
    for m in missed:
        print(f"GOAL MISSED: {m}")
    if not missed:
        print(f"goals met: cached get {ratio:.1f}x faster than the peer's; 1 token API call "
              f"for {a.callers} cold callers")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
