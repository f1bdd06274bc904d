"""A loopback PEP 503 simple index that takes only one credential, for tests/dist/debian.sh.

    python3 index.py WORKDIR USER

reads the token from WORKDIR/token (so it is never on a command line), builds a one-file wheel
(ecluse-demo 1.0) by hand, serves /simple/, /simple/ecluse-demo/ and /files/ on 127.0.0.1 at a
free port (written to WORKDIR/port), and answers 401 with `WWW-Authenticate: Basic` to any
request without `USER:TOKEN`. Every request is logged to WORKDIR/requests.log as
`METHOD PATH auth=none|user-only|wrong|ok STATUS`: never the credential itself.
"""

import base64
import hashlib
import http.server
import io
import os
import sys
import zipfile

work, user = sys.argv[1], sys.argv[2]
with open(os.path.join(work, "token")) as f:
    token = f.read().strip()
expected = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()

NAME, VERSION = "ecluse_demo", "1.0"
WHEEL = f"{NAME}-{VERSION}-py3-none-any.whl"


def wheel() -> bytes:
    info = f"{NAME}-{VERSION}.dist-info"
    files = {
        f"{NAME}/__init__.py": b'MESSAGE = "installed through ecluse-cred"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: ecluse-demo\nVersion: {VERSION}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
    return buf.getvalue()


WHEEL_BYTES = wheel()
SHA = hashlib.sha256(WHEEL_BYTES).hexdigest()
PAGES = {
    "/simple/": b'<!DOCTYPE html><html><body><a href="/simple/ecluse-demo/">ecluse-demo</a></body></html>\n',
    "/simple/ecluse-demo/": (
        f'<!DOCTYPE html><html><body><a href="/files/{WHEEL}#sha256={SHA}">{WHEEL}</a></body></html>\n'
    ).encode(),
}
LOG = os.path.join(work, "requests.log")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        got = self.headers.get("Authorization")
        if got is None:
            auth = "none"
        elif got == expected:
            auth = "ok"
        else:
            # A user name with an empty password (pip's first try) is no credential either.
            try:
                pair = base64.b64decode(got.split(" ", 1)[1]).decode()
            except Exception:
                pair = ""
            auth = "user-only" if pair.endswith(":") else "wrong"
        path = self.path.split("?", 1)[0]
        if auth != "ok":
            status, body, kind = 401, b"credentials required\n", "text/plain"
        elif path in PAGES:
            status, body, kind = 200, PAGES[path], "text/html"
        elif path == f"/files/{WHEEL}":
            status, body, kind = 200, WHEEL_BYTES, "application/octet-stream"
        else:
            status, body, kind = 404, b"not found\n", "text/plain"
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="ecluse-test"')
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(LOG, "a") as log:
            log.write(f"GET {path} auth={auth} {status}\n")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(work, "port.new"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(work, "port.new"), os.path.join(work, "port"))
server.serve_forever()
