# A loopback HTTPS server for the tests of clients that speak only https (go's GOPROXY,
# Terraform's service discovery). Answers only `Authorization: Bearer <cached token>`, logs
# every request's path and Authorization header, prints its port and serves until killed.
# argv: CERT KEY CACHE_FILE MODE LOG, MODE `goproxy` or `terraform`.
import http.server, io, json, ssl, sys, zipfile

cert, key, cache, mode, log = sys.argv[1:6]
MOD = "example.com/private/mod"
GO_MOD = "module example.com/private/mod\n\ngo 1.21\n"


def token():
    try:
        return json.load(open(cache))["entry"]["token"]
    except Exception:
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, auth or "-"))
        t = token()
        if t is None or auth != "Bearer " + t:
            return self.answer(401, b"{}", "application/json")
        if mode == "terraform":
            if self.path == "/.well-known/terraform.json":
                return self.answer(200, b'{"modules.v1":"/v1/modules/"}', "application/json")
            return self.answer(404, b"{}", "application/json")
        base = "/" + MOD + "/@v/"
        if self.path == base + "list":
            return self.answer(200, b"v1.0.0\n", "text/plain")
        if self.path == base + "v1.0.0.info":
            return self.answer(200, b'{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}', "application/json")
        if self.path == base + "v1.0.0.mod":
            return self.answer(200, GO_MOD.encode(), "text/plain")
        if self.path == base + "v1.0.0.zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr(MOD + "@v1.0.0/go.mod", GO_MOD)
                z.writestr(MOD + "@v1.0.0/mod.go", 'package mod\n\nconst Hello = "installed through ecluse-cred"\n')
            return self.answer(200, buf.getvalue(), "application/zip")
        return self.answer(404, b"not found", "text/plain")

    def answer(self, code, body, ctype):
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
