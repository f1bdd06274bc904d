# A loopback HTTPS server for the tests of clients that speak only https (go's GOPROXY,
# Terraform's service discovery, kubectl's API server). Answers only `Authorization: Bearer
# <cached token>` (401 to anything else), logs every exchange as a JSON line (method, path,
# Authorization header, the status it answered) before answering, prints its port and serves
# until killed.
# argv: CERT KEY CACHE_FILE MODE LOG, MODE `goproxy`, `terraform` or `kubernetes`.
import http.server, io, json, ssl, sys, zipfile

cert, key, cache, mode, log = sys.argv[1:6]
MOD = "example.com/private/mod"
GO_MOD = "module example.com/private/mod\n\ngo 1.21\n"


def token():
    try:
        return json.load(open(cache))["entry"]["token"]
    except Exception:
        return None


def refused():
    if mode == "kubernetes":
        body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Unauthorized", "code": 401}
        return 401, json.dumps(body).encode(), "application/json"
    return 401, b"{}", "application/json"


def served(path):
    if mode == "kubernetes":
        body = {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        return 200, json.dumps(body).encode(), "application/json"
    if mode == "terraform":
        if path == "/.well-known/terraform.json":
            return 200, b'{"modules.v1":"/v1/modules/"}', "application/json"
        return 404, b"{}", "application/json"
    base = "/" + MOD + "/@v/"
    if path == base + "list":
        return 200, b"v1.0.0\n", "text/plain"
    if path == base + "v1.0.0.info":
        return 200, b'{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}', "application/json"
    if path == base + "v1.0.0.mod":
        return 200, GO_MOD.encode(), "text/plain"
    if path == base + "v1.0.0.zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(MOD + "@v1.0.0/go.mod", GO_MOD)
            z.writestr(MOD + "@v1.0.0/mod.go", 'package mod\n\nconst Hello = "installed through ecluse-cred"\n')
        return 200, buf.getvalue(), "application/zip"
    return 404, b"not found", "text/plain"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        t = token()
        if t is None or auth != "Bearer " + t:
            code, body, ctype = refused()
        else:
            code, body, ctype = served(self.path)
        # Logged before the answer goes out: a client that has its answer finds it logged.
        entry = {"method": self.command, "path": self.path, "authorization": auth, "status": code}
        with open(log, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
