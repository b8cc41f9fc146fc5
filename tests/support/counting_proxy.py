"""A counting HTTP/1.1 proxy for an AWS Query API endpoint (moto), for the benchmarks: every request is forwarded
unchanged (method, path, headers, body) to the upstream, and counted by its `Action` (from the form body or the
query string; `-` when it has none); `GET /__bench/counts` answers the counts so far as JSON:
`{"RunInstances": {"calls": 100, "errors": 0, "seconds": 12.5}, ...}` (errors: answers with status >= 400;
seconds: summed time to the upstream's full answer). Standard library only.

    python3 counting_proxy.py LISTEN_PORT UPSTREAM_URL      (e.g. 40123 http://127.0.0.1:5000)

It prints `ready` on stdout once it listens.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS_PATH = "/__bench/counts"
# Hop-by-hop headers: not forwarded (bodies are forwarded whole, with their Content-Length).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}

listen_port = int(sys.argv[1])
upstream = urllib.parse.urlsplit(sys.argv[2])
lock = threading.Lock()
counts = {}
local = threading.local()


def action_of(path, headers, body):
    query = urllib.parse.urlsplit(path).query
    params = urllib.parse.parse_qs(query)
    if "Action" not in params and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    values = params.get("Action")
    return values[0] if values else "-"


def upstream_connection(fresh=False):
    if fresh or getattr(local, "conn", None) is None:
        local.conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
    return local.conn


def read_body(handler):
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return out
            out += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        if self.command == "GET" and self.path == COUNTS_PATH:
            with lock:
                data = json.dumps(counts).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        body = read_body(self)
        action = action_of(self.path, self.headers, body)
        start = time.monotonic()
        for attempt in (0, 1):
            conn = upstream_connection(fresh=attempt == 1)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in self.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        conn.putheader(key, value)
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                if attempt == 1:
                    self.send_error(502, "upstream failed")
                    return
        elapsed = time.monotonic() - start
        with lock:
            c = counts.setdefault(action, {"calls": 0, "errors": 0, "seconds": 0.0})
            c["calls"] += 1
            c["errors"] += 1 if resp.status >= 400 else 0
            c["seconds"] += elapsed
        self.send_response_only(resp.status, resp.reason)
        for key, value in resp.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = forward


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog (5) drops connections when a hundred requests arrive at once.
    request_queue_size = 1024


server = Server(("127.0.0.1", listen_port), Handler)
print("ready", flush=True)
server.serve_forever()
