"""orders: the demo shop's state. Lists and creates orders in the shop's PostgreSQL database (`db`),
reached through the libpq environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD; the
credentials come from the Secret db-credentials). Called by web; it calls nothing itself, so it has
no route headers to pass on. A Devlane data branch points only a copy's PGHOST at the branch."""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pg

PORT = int(os.environ.get("PORT", "8080"))
VERSION = os.environ.get("VERSION", "v1")


def answered_by():
    session = os.environ.get("DEVLANE_SESSION")
    return {
        "service": "orders",
        "version": VERSION,
        "copy": f"devlane:{session}" if session else "original",
        "pod": os.environ.get("HOSTNAME", "unknown"),
        "database": os.environ.get("PGHOST", "localhost"),
    }


def run(sql, *params):
    conn = pg.connect()
    try:
        return conn.query(sql, *params)
    finally:
        conn.close()


LIST = """SELECT o.id, c.name AS customer, o.product, o.quantity, o.created_at
          FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id"""
CREATE = """INSERT INTO orders (customer_id, product, quantity)
            SELECT id, $2, $3 FROM customers WHERE email = $1
            RETURNING id, product, quantity, created_at"""


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
        if self.path != "/orders":
            return self.send_json(404, {"error": f"no route for {self.path}", **answered_by()})
        try:
            orders = [dict(o, id=int(o["id"]), quantity=int(o["quantity"])) for o in run(LIST)]
        except (OSError, pg.PgError) as err:
            return self.send_json(502, {"error": f"database: {err}", **answered_by()})
        self.send_json(200, {**answered_by(), "orders": orders})

    def do_POST(self):
        if self.path != "/orders":
            return self.send_json(404, {"error": f"no route for {self.path}", **answered_by()})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            email, product, quantity = body["customer"], body["product"], int(body.get("quantity", 1))
        except (ValueError, KeyError, TypeError) as err:
            return self.send_json(400, {"error": f"want JSON {{customer: email, product, quantity}}: {err}"})
        try:
            rows = run(CREATE, email, product, quantity)
        except (OSError, pg.PgError) as err:
            return self.send_json(502, {"error": f"database: {err}", **answered_by()})
        if not rows:
            return self.send_json(404, {"error": f"no customer {email}", **answered_by()})
        order = dict(rows[0], id=int(rows[0]["id"]), quantity=int(rows[0]["quantity"]), customer=email)
        self.send_json(201, {**answered_by(), "order": order})

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


def main():
    server = Server(("0.0.0.0", PORT), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"orders {VERSION} listening on :{PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
