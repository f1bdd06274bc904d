"""The driver of benches/python_keyring/run.sh (run that, not this): Poetry and uv resolve and
install 50 packages from a loopback index that requires Basic auth, with the token from
ecluse-cred's keyring backend / shim (warm cache) or from keyrings.google-artifactregistry-auth
(against a loopback GCE metadata server), and the credential lookups' share of each run.

Method and results: docs/benchmarks.md, "Python tools side by side". Stdlib only.
"""

import argparse
import atexit
import base64
import hashlib
import http.server
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HOST = "us-python.pkg.dev"
PREFIX = "/bench-project/bench-repo/"
PACKAGES = 50
USER = "oauth2accesstoken"
ECLUSE_TOKEN = "ecluse-bench-token"
GOOGLE_TOKEN = "ya29.bench-metadata-token"
#: Goals (issue 20): a lookup through ecluse-cred costs at most a few milliseconds (this many),
#: and at least this many times less than one through the peer.
GOAL_MS = 5.0
GOAL_RATIO = 100.0

MINT = """#!/bin/sh
echo x >> "$(dirname "$0")/mints"
printf '{"token":"%s","expires_in":3600}\\n'
""" % ECLUSE_TOKEN

#: uv runs `keyring` from PATH; this wrapper runs the real one (BENCH_REAL_KEYRING) and appends
#: the microseconds between just before its fork and just after its exit to BENCH_KEYRING_LOG.
#: Its own start (bash) is outside that interval; `wrapper_cost` measures it.
KEYRING_WRAPPER = """#!/bin/bash
s=$EPOCHREALTIME
"$BENCH_REAL_KEYRING" "$@"
rc=$?
e=$EPOCHREALTIME
printf 'keyring\\t%s\\t%s\\t%s\\t%s\\n' "$s" "$e" "$rc" "$*" >> "$BENCH_KEYRING_LOG"
exit $rc
"""


def name(i):
    return f"bench-pkg-{i:02d}"


def wheels():
    """{file name: (wheel bytes, METADATA bytes)}: 50 pure-Python wheels in chains of ten."""
    out = {}
    for i in range(PACKAGES):
        dist = name(i).replace("-", "_")
        requires = "" if i % 10 == 9 else f"Requires-Dist: {name(i + 1)}>=1.0\n"
        metadata = (
            f"Metadata-Version: 2.1\nName: {name(i)}\nVersion: 1.0.0\n{requires}"
        ).encode()
        files = {
            f"{dist}/__init__.py": f"VALUE = {i}\n".encode(),
            f"{dist}-1.0.0.dist-info/METADATA": metadata,
            f"{dist}-1.0.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        }
        record = "".join(
            f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
            for path, data in files.items()
        )
        files[f"{dist}-1.0.0.dist-info/RECORD"] = (
            record + f"{dist}-1.0.0.dist-info/RECORD,,\n"
        ).encode()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for path, data in files.items():
                z.writestr(path, data)
        out[f"{dist}-1.0.0-py3-none-any.whl"] = (buf.getvalue(), metadata)
    return out


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.c = {}

    def add(self, key):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + 1

    def get(self, key):
        with self.lock:
            return self.c.get(key, 0)


def serve(handler_class):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def index_server(files):
    """A PEP 503 index under PREFIX that answers only Basic auth with a token either side
    holds; counts requests, refusals and which token each accepted request carried."""
    counts = Counts()
    valid = {ECLUSE_TOKEN: "ecluse", GOOGLE_TOKEN: "google"}
    by_project = {}
    for file in files:
        by_project.setdefault(file.split("-")[0].replace("_", "-"), []).append(file)

    class Index(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # http.server writes the headers and the body apart: with Nagle's algorithm and the
        # client's delayed ACK, each keep-alive response would wait ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, body, ctype="text/html", extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            counts.add("requests")
            who = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    user, _, password = (
                        base64.b64decode(auth[6:]).decode().partition(":")
                    )
                    who = valid.get(password) if user == USER else None
                except ValueError:
                    who = None
            if who is None:
                counts.add("refused")
                return self.reply(
                    401, b"", extra=[("WWW-Authenticate", 'Basic realm="bench"')]
                )
            counts.add(who)
            path = self.path.split("?")[0]
            if not path.startswith(PREFIX):
                return self.reply(404, b"")
            rest = path[len(PREFIX) :]
            if rest == "simple/":
                links = "".join(
                    f'<a href="{p}/">{p}</a>\n' for p in sorted(by_project)
                )
                return self.reply(200, f"<html><body>{links}</body></html>".encode())
            if rest.startswith("simple/"):
                project = rest[len("simple/") :].strip("/")
                if project not in by_project:
                    return self.reply(404, b"")
                links = ""
                for f in by_project[project]:
                    whl, meta = files[f]
                    links += (
                        f'<a href="../../files/{f}#sha256={hashlib.sha256(whl).hexdigest()}" '
                        f'data-requires-python="&gt;=3.8" '
                        f'data-dist-info-metadata="sha256={hashlib.sha256(meta).hexdigest()}" '
                        f'data-core-metadata="sha256={hashlib.sha256(meta).hexdigest()}">{f}</a>\n'
                    )
                body = f"<html><body>\n{links}</body></html>".encode()
                return self.reply(200, body)
            if rest.startswith("files/"):
                f = rest[len("files/") :]
                if f.endswith(".metadata") and f[: -len(".metadata")] in files:
                    return self.reply(
                        200, files[f[: -len(".metadata")]][1], "text/plain"
                    )
                if f in files:
                    return self.reply(200, files[f][0], "application/octet-stream")
            return self.reply(404, b"")

    return serve(Index), counts


def metadata_server():
    """The GCE metadata server as google-auth asks it: the ping, project id, the service
    account and its token; every answer carries `Metadata-Flavor: Google`. Counts tokens."""
    counts = Counts()
    root = "/computeMetadata/v1/"

    class Metadata(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as Index's

        def log_message(self, *args):
            pass

        def reply(self, status, body, ctype="application/text"):
            self.send_response(status)
            self.send_header("Metadata-Flavor", "Google")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            counts.add("requests")
            path = self.path.split("?")[0]
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.reply(403, b"missing Metadata-Flavor")
            if path == "/":
                return self.reply(200, b"")
            if path == root + "project/project-id":
                return self.reply(200, b"bench-project")
            if path == root + "universe/universe-domain":
                return self.reply(200, b"googleapis.com")
            if path.startswith(root + "instance/service-accounts/"):
                rest = path[len(root + "instance/service-accounts/") :]
                if rest.endswith("/token"):
                    counts.add("tokens")
                    body = {
                        "access_token": GOOGLE_TOKEN,
                        "expires_in": 3599,
                        "token_type": "Bearer",
                    }
                    return self.reply(200, json.dumps(body).encode(), "application/json")
                if rest.endswith("/"):
                    body = {
                        "aliases": ["default"],
                        "email": "bench@bench-project.iam.gserviceaccount.com",
                        "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
                    }
                    return self.reply(200, json.dumps(body).encode(), "application/json")
            return self.reply(404, b"")

    return serve(Metadata), counts


def ms(seconds):
    return seconds * 1000.0


def median(xs):
    return statistics.median(xs) if xs else float("nan")



class Bench:
    def __init__(self, args):
        self.root = args.root
        self.tools = args.tools
        self.exe = args.exe
        self.runs = int(os.environ.get("BENCH_RUNS", "2"))
        self.lookups = int(os.environ.get("BENCH_LOOKUPS", "50"))
        self.dir = tempfile.mkdtemp(prefix="bench-python-keyring-")
        atexit.register(shutil.rmtree, self.dir, True)
        # sitecustomize.py, copied so that its bytecode is not written into the source tree.
        self.site = self.path("site")
        os.makedirs(self.site)
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "sitecustomize.py"), self.site)
        self.files = wheels()
        self.index, self.index_counts = index_server(self.files)
        self.meta, self.meta_counts = metadata_server()
        port = self.index.server_address[1]
        self.repo_url = f"http://{HOST}:{port}{PREFIX}"
        self.index_url = self.repo_url + "simple/"
        self.user_index_url = f"http://{USER}@{HOST}:{port}{PREFIX}simple/"
        self.sides = {"ecluse-cred": self.side_ecluse(), "peer": self.side_peer()}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def base_env(self, side):
        home = self.path(side, "home")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PIP_", "UV_", "POETRY_", "PYTHON", "VIRTUAL_ENV"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
            and not k.startswith(("GOOGLE_", "GCE_", "CLOUDSDK_", "ECLUSE_CRED_"))
        }
        env.update(
            HOME=home,
            XDG_CONFIG_HOME=os.path.join(home, ".config"),
            XDG_DATA_HOME=os.path.join(home, ".local/share"),
            XDG_CACHE_HOME=os.path.join(home, ".cache"),
            # The peer's ADC: no key file, no gcloud; the metadata server is the loopback fake.
            GCE_METADATA_HOST=f"127.0.0.1:{self.meta.server_address[1]}",
            GCE_METADATA_IP=f"127.0.0.1:{self.meta.server_address[1]}",
            PIP_CONFIG_FILE="/dev/null",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        for d in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            os.makedirs(env[d], exist_ok=True)
        return env

    def side_ecluse(self):
        d = self.path("ecluse-cred")
        os.makedirs(self.path("ecluse-cred", "bin"))
        mint = self.path("ecluse-cred", "mint")
        with open(mint, "w") as f:
            f.write(MINT)
        os.chmod(mint, 0o755)
        config = self.path("ecluse-cred", "config.toml")
        with open(config, "w") as f:
            f.write(
                f'[targets.gar]\nbackend = "command"\ncommand = ["{mint}"]\n'
                f'username = "{USER}"\nurls = ["{self.repo_url}"]\n'
            )
        env = self.base_env("ecluse-cred")
        env.update(
            ECLUSE_CRED_CONFIG=config,
            ECLUSE_CRED_CACHE_DIR=self.path("ecluse-cred", "cache"),
        )
        bin_dir = self.path("ecluse-cred", "bin")

        def run(*args):
            subprocess.run([self.exe, *args], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        run("setup", "poetry", "--url", self.repo_url)
        run("setup", "uv", "--url", self.index_url, "--bin-dir", bin_dir)
        # Warm the cache: every measured lookup is the cached path.
        run("token", "--target", "gar")
        self.mints = os.path.join(d, "mints")
        return {
            "env": env,
            "poetry": os.path.join(self.tools, "poetry/bin/poetry"),
            "python": os.path.join(self.tools, "poetry/bin/python"),
            "keyring": os.path.join(bin_dir, "keyring"),
        }

    def side_peer(self):
        return {
            "env": self.base_env("peer"),
            "poetry": os.path.join(self.tools, "poetry-gar/bin/poetry"),
            "python": os.path.join(self.tools, "poetry-gar/bin/python"),
            "keyring": os.path.join(self.tools, "keyring-gar/bin/keyring"),
        }

    def count_mints(self):
        with open(self.mints) as f:
            return len(f.readlines())

    # --- Poetry ---------------------------------------------------------------------------

    def poetry_run(self, side, n):
        s = self.sides[side]
        project = self.path(side, f"poetry-{n}")
        os.makedirs(project)
        deps = ", ".join(f'"{name(i)}"' for i in range(PACKAGES))
        with open(os.path.join(project, "pyproject.toml"), "w") as f:
            f.write(
                f'[project]\nname = "bench-project"\nversion = "0.1.0"\n'
                f'requires-python = ">=3.9"\ndependencies = [{deps}]\n\n'
                f"[tool.poetry]\npackage-mode = false\n\n"
                f'[[tool.poetry.source]]\nname = "gar"\nurl = "{self.index_url}"\n'
                f'priority = "primary"\n'
            )
        log = self.path(side, f"poetry-{n}.lookups")
        env = dict(s["env"])
        env.update(
            PYTHONPATH=self.site,
            BENCH_KEYRING_LOG=log,
            POETRY_CACHE_DIR=self.path(side, f"poetry-{n}-cache"),
            POETRY_VIRTUALENVS_IN_PROJECT="true",
            POETRY_VIRTUALENVS_USE_POETRY_PYTHON="true",
            POETRY_NO_INTERACTION="1",
        )
        start = time.perf_counter()
        self.phases = []
        for cmd in (["lock"], ["install", "--no-root"]):
            phase = time.perf_counter()
            done = subprocess.run(
                [s["poetry"], *cmd], cwd=project, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            if done.returncode != 0:
                sys.exit(f"poetry {' '.join(cmd)} ({side}) failed:\n{done.stdout}")
            self.phases.append(f"{cmd[0]} {time.perf_counter() - phase:.2f} s")
        whole = time.perf_counter() - start
        installed = os.listdir(os.path.join(project, ".venv/lib", os.listdir(os.path.join(project, ".venv/lib"))[0], "site-packages"))
        got = sum(1 for i in range(PACKAGES) if name(i).replace("-", "_") in installed)
        assert got == PACKAGES, f"poetry ({side}) installed {got} of {PACKAGES} packages"
        lookups = []
        with open(log) as f:
            for line in f:
                fn, t, answered, service = line.rstrip("\n").split("\t", 3)
                lookups.append((fn, float(t), answered, service))
        return whole, lookups

    # --- uv -------------------------------------------------------------------------------

    def uv_run(self, side, n):
        s = self.sides[side]
        uv = os.path.join(self.tools, "uv/bin/uv")
        venv = self.path(side, f"uv-{n}-venv")
        env = dict(s["env"])
        subprocess.run([uv, "venv", "--no-config", "-q", venv], env=env, check=True)
        wrap_dir = self.path(side, "wrap")
        os.makedirs(wrap_dir, exist_ok=True)
        with open(os.path.join(wrap_dir, "keyring"), "w") as f:
            f.write(KEYRING_WRAPPER)
        os.chmod(os.path.join(wrap_dir, "keyring"), 0o755)
        log = self.path(side, f"uv-{n}.lookups")
        env.update(
            PATH=wrap_dir + os.pathsep + env["PATH"],
            BENCH_REAL_KEYRING=s["keyring"],
            BENCH_KEYRING_LOG=log,
        )
        cmd = [
            uv, "pip", "install", "--no-config", "--no-cache", "--python", venv,
            "--keyring-provider", "subprocess", "--index-url", self.user_index_url,
            *(name(i) for i in range(PACKAGES)),
        ]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        whole = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"uv pip install ({side}) failed:\n{done.stdout}")
        assert f"Installed {PACKAGES} packages" in done.stdout, done.stdout
        lookups = []
        if os.path.exists(log):
            with open(log) as f:
                for line in f:
                    fn, start_, end_, rc, args_ = line.rstrip("\n").split("\t", 4)
                    # (function, ms, answered, what was asked), as the Poetry log has them
                    lookups.append((fn, ms(float(end_) - float(start_)), "1" if rc == "0" else "0", args_))
        return whole, lookups

    # --- the lookups alone ----------------------------------------------------------------

    def direct_in_process(self, side):
        """N keyring.get_credential calls of the index URL in one Python process, as Poetry
        makes them; the first (which loads the backends) is left out."""
        s = self.sides[side]
        code = (
            "import json, sys, time, keyring\n"
            "url, n = sys.argv[1], int(sys.argv[2])\n"
            "assert keyring.get_credential(url, None).password\n"
            "out = []\n"
            "for _ in range(n):\n"
            "    t = time.perf_counter(); c = keyring.get_credential(url, None)\n"
            "    out.append((time.perf_counter() - t) * 1000); assert c.password\n"
            "print(json.dumps(out))\n"
        )
        done = subprocess.run(
            [s["python"], "-c", code, self.index_url, str(self.lookups)],
            env=s["env"], check=True, stdout=subprocess.PIPE, text=True,
        )
        return json.loads(done.stdout)

    def direct_subprocess(self, side):
        """N runs of `keyring get URL USER`, as uv runs it, timed from here."""
        s = self.sides[side]
        out = []
        for _ in range(self.lookups):
            t = time.perf_counter()
            done = subprocess.run(
                [s["keyring"], "get", self.index_url, USER], env=s["env"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            out.append(ms(time.perf_counter() - t))
            assert done.returncode == 0 and done.stdout.strip(), (side, done)
        return out

    def wrapper_cost(self):
        """What the uv runs' `keyring` wrapper adds per call around the real program: bash's
        start, timed as the wrapper around `true` minus `true` alone."""
        wrap = self.path("ecluse-cred", "wrap", "keyring")
        env = dict(os.environ, BENCH_REAL_KEYRING="/bin/true",
                   BENCH_KEYRING_LOG=os.devnull)
        with_w, alone = [], []
        for _ in range(50):
            t = time.perf_counter()
            subprocess.run([wrap, "get"], env=env, check=True)
            with_w.append(ms(time.perf_counter() - t))
            t = time.perf_counter()
            subprocess.run(["/bin/true"], check=True)
            alone.append(ms(time.perf_counter() - t))
        return median(with_w) - median(alone)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--tools", required=True)
    p.add_argument("--exe", required=True)
    args = p.parse_args()

    if os.environ.get("BENCH_IN_NAMESPACE") != "1":
        # Re-run in a private mount namespace whose /etc/hosts maps HOST to loopback.
        hosts = tempfile.NamedTemporaryFile("w", prefix="bench-hosts-", delete=False)
        with open("/etc/hosts") as f:
            hosts.write(f"127.0.0.1 {HOST}\n" + f.read())
        hosts.close()
        env = dict(os.environ, BENCH_IN_NAMESPACE="1", BENCH_HOSTS=hosts.name)
        rc = subprocess.call(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount --bind "$BENCH_HOSTS" /etc/hosts && exec "$@"', "sh",
             sys.executable, *sys.argv],
            env=env,
        )
        os.unlink(hosts.name)
        sys.exit(rc)

    b = Bench(args)
    versions = {}
    for label, py, pkgs in (
        ("poetry", "poetry", ["poetry", "keyring"]),
        ("poetry-gar", "poetry-gar", ["keyrings.google-artifactregistry-auth", "google-auth"]),
        ("uv", "uv", ["uv"]),
        ("keyring-gar", "keyring-gar", ["keyring"]),
    ):
        for pkg in pkgs:
            done = subprocess.run(
                [os.path.join(b.tools, py, "bin/python"), "-c",
                 f"import importlib.metadata as m; print(m.version({pkg!r}))"],
                stdout=subprocess.PIPE, text=True, check=True,
            )
            versions[f"{pkg} ({label})"] = done.stdout.strip()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"ecluse-cred: {args.exe}; index {b.index_url}; {PACKAGES} packages; "
          f"{b.runs} runs per tool and backend")

    rows = []
    missed = []
    mints0 = b.count_mints()
    tools = os.environ.get("BENCH_TOOLS", "poetry,uv").split(",")
    for tool, fn in (("poetry", b.poetry_run), ("uv", b.uv_run)):
        if tool not in tools:
            continue
        # Interleaved, so the machine's noise falls on both sides alike; run 0 of each side
        # warms the disk cache and Python's bytecode for the runs after it, and is not shown.
        for n in range(b.runs + 1):
            for side in ("ecluse-cred", "peer"):
                b.index_counts.reset()
                b.meta_counts.reset()
                whole, lookups = fn(side, n)
                # The lookups of a URL: those a registry backend answers (ecluse-cred's
                # answers http(s) URLs its targets serve, the peer's any *.pkg.dev URL). The
                # others (`poetry-repository-gar`, Poetry's `python-poetry-check`) fall through
                # every backend in microseconds; they count in the total, not the median.
                times = [t for _, t, _, svc in lookups if "http" in svc]
                which = "ecluse" if side == "ecluse-cred" else "google"
                if n == 0:
                    continue
                row = {
                    "tool": tool, "side": side, "run": n, "whole": whole,
                    "count": len(lookups), "url_count": len(times), "median": median(times),
                    "sum": sum(t for _, t, _, _ in lookups), "lookups": lookups, "answered": sum(1 for l in lookups if l[2] == "1"),
                    "requests": b.index_counts.get("requests"),
                    "refused": b.index_counts.get("refused"),
                    "authed": b.index_counts.get(which),
                    "tokens": b.meta_counts.get("tokens"),
                    "services": sorted({l[3] for l in lookups}),
                }
                rows.append(row)
                if tool == "poetry":
                    print(f"poetry ({side}) run {n}: {', '.join(b.phases)}", flush=True)
                if side == "ecluse-cred":
                    assert b.index_counts.get("google") == 0
                else:
                    assert b.index_counts.get("ecluse") == 0
                    assert row["tokens"] >= 1, "the peer fetched no token from the metadata fake"
                assert row["authed"] > 0, f"{tool} ({side}) sent no accepted credential"
    assert b.count_mints() == mints0, "a measured ecluse-cred lookup minted: not the warm cache"

    print()
    print("| tool | backend | run | whole run (s) | lookups (of a URL) | answered | per-lookup median, URL (ms) | lookups' total (ms) | share of run | index requests (401) | metadata tokens |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['tool']} | {r['side']} | {r['run']} | {r['whole']:.2f} | {r['count']} ({r['url_count']}) | "
            f"{r['answered']} | {r['median']:.2f} | {r['sum']:.1f} | "
            f"{100 * r['sum'] / ms(r['whole']):.1f}% | {r['requests']} ({r['refused']}) | "
            f"{r['tokens']} |"
        )
    print(f"\nWhat each asked keyring for in its first run (calls, answered, median ms); REPO = {b.repo_url}")
    for r in rows:
        if r["run"] == 1:
            for svc in r["services"]:
                ts = [l for l in r["lookups"] if l[3] == svc]
                print(f"  {r['tool']} ({r['side']}): {svc.replace(b.repo_url, 'REPO/')}: {len(ts)}, "
                      f"{sum(1 for l in ts if l[2] == '1')}, {median([l[1] for l in ts]):.2f}")

    # Per tool, the median lookup across all runs of each side.
    summary = []
    for tool in tools:
        med = {}
        for side in ("ecluse-cred", "peer"):
            xs = []
            for r in rows:
                if r["tool"] == tool and r["side"] == side:
                    xs.append(r["median"])
            med[side] = median(xs)
        summary.append((f"{tool} runs", med["ecluse-cred"], med["peer"]))

    if "uv" in tools:
        wcost = b.wrapper_cost()
        print(f"\nuv's `keyring` wrapper (bash) costs {wcost:.2f} ms per call outside the "
              "interval it records (its own start); the uv rows' lookups exclude it, their "
              "whole run includes it")

    b.meta_counts.reset()
    for label, fn in (
        ("in one process, keyring.get_credential (Poetry's way)", b.direct_in_process),
        ("one `keyring get` process per lookup (uv's way)", b.direct_subprocess),
    ):
        e = median(fn("ecluse-cred"))
        g = median(fn("peer"))
        summary.append((label, e, g))
    meta_tokens = b.meta_counts.get("tokens")
    # One token request per peer lookup: the first in-process call and the timed ones, and
    # each process.
    assert meta_tokens == 2 * b.lookups + 1, f"{meta_tokens} metadata token requests"

    print(f"\n| per-lookup median | ecluse-cred (ms) | keyrings.google-artifactregistry-auth (ms) | ratio |")
    print("| --- | --- | --- | --- |")
    for label, e, g in summary:
        print(f"| {label} | {e:.2f} | {g:.2f} | {g / e:.0f}x |")
        if not e <= GOAL_MS:
            missed.append(f"{label}: an ecluse-cred lookup takes {e:.2f} ms (goal: at most {GOAL_MS} ms)")
        if not g / e >= GOAL_RATIO:
            missed.append(f"{label}: ecluse-cred's lookup is {g / e:.0f}x cheaper than the peer's (goal: at least {GOAL_RATIO:.0f}x)")
    print(f"(the direct rows: {b.lookups} lookups of each kind and side; the peer's "
          f"{2 * b.lookups + 1} made {meta_tokens} metadata token requests, one each)")
    if missed:
        print("\ngoals missed:")
        for m in missed:
            print(f"  - {m}")
        sys.exit(1)
    print("\ngoals met: every ecluse-cred lookup median at most "
          f"{GOAL_MS} ms and at least {GOAL_RATIO:.0f}x cheaper than the peer's")


if __name__ == "__main__":
    main()
