"""catalog: the middle of the demo shop. Lists products and asks ratings (Node) and stock (Go) about
each one, passing the incoming x-devlane-route and baggage headers on so that routed requests stay
routed. DROP_ROUTE_HEADERS=1 makes it call them without (the broken hop Devlane's Trace Route finds)."""
import json
import os
import signal
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
VERSION = os.environ.get("VERSION", "v1")
RATINGS_URL = os.environ.get("RATINGS_URL", "http://ratings")
STOCK_URL = os.environ.get("STOCK_URL", "http://stock")
PROPAGATE = () if os.environ.get("DROP_ROUTE_HEADERS") == "1" else ("x-devlane-route", "baggage")
PRODUCTS = [
    {"id": "p-1", "name": "Espresso cup", "price": "9.50"},
    {"id": "p-2", "name": "Milk jug", "price": "14.00"},
    {"id": "p-3", "name": "Grinder", "price": "89.00"},
]


def answered_by():
    session = os.environ.get("DEVLANE_SESSION")
    return {
        "service": "catalog",
        "version": VERSION,
        "copy": f"devlane:{session}" if session else "original",
        "pod": os.environ.get("HOSTNAME", "unknown"),
    }


def ask(url, incoming):
    headers = {h: incoming[h] for h in PROPAGATE if incoming.get(h)}
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.load(res)


class CallFailed(Exception):
    pass


def product_with(product, incoming):
    """The product with its rating and its stock, each as that service answered."""
    out = dict(product)
    for field, service, url in (
        ("rating", "ratings", f"{RATINGS_URL}/ratings/{product['id']}"),
        ("stock", "stock", f"{STOCK_URL}/stock/{product['id']}"),
    ):
        try:
            out[field] = ask(url, incoming)
        except Exception as err:  # the caller sees which call failed and why
            raise CallFailed(f"{service}: {err}") from err
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            return self.send_json(200, {"ok": True})
        if self.path != "/products":
            return self.send_json(404, {"error": f"no route for {self.path}", **answered_by()})
        incoming = {k.lower(): v for k, v in self.headers.items()}
        try:
            products = [product_with(p, incoming) for p in PRODUCTS]
        except CallFailed as err:
            return self.send_json(502, {"error": str(err), **answered_by()})
        self.send_json(200, {"route": incoming.get("x-devlane-route"), **answered_by(), "products": products})

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()


class Server(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: a burst of new connections (clients that
    # do not keep connections alive) would have SYNs dropped and retried seconds later.
    request_queue_size = 128
    daemon_threads = True


def main():
    server = Server(("0.0.0.0", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"catalog {VERSION} listening on :{PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
