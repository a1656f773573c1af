"""Just enough of PostgreSQL's wire protocol (version 3) for the demo, with the standard library only
(the python image has no PostgreSQL driver; a real service would use psycopg). One connection per
call: connect, authenticate (SCRAM-SHA-256 as PostgreSQL 14+ asks by default, md5 or a plain
password), run one statement with $1, $2… parameters (the extended protocol: values never spliced
into SQL), return the rows as dicts of text. The server's signature in SCRAM is not checked."""
import base64
import hashlib
import hmac
import os
import socket
import struct


class PgError(Exception):
    pass


def _cstr(s):
    return s.encode() + b"\0"


class Connection:
    def __init__(self, host, port, user, password, database, timeout=5):
        self.sock = socket.create_connection((host, int(port)), timeout)
        params = b"".join(_cstr(k) + _cstr(v) for k, v in (("user", user), ("database", database))) + b"\0"
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)  # protocol 3.0
        self._authenticate(user, password)
        self._until_ready()

    def _send(self, kind, body=b""):
        self.sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise PgError("the server closed the connection")
            buf += chunk
        return buf

    def _read(self):
        head = self._exact(5)
        kind, body = head[:1], self._exact(struct.unpack("!i", head[1:])[0] - 4)
        if kind == b"E":  # ErrorResponse: (field code, text) pairs; M is the message, C the SQLSTATE
            fields = {f[:1]: f[1:].decode() for f in body.split(b"\0") if f}
            raise PgError(f"{fields.get(b'M', 'error')} (SQLSTATE {fields.get(b'C', '?')})")
        return kind, body

    def _authenticate(self, user, password):
        while True:
            kind, body = self._read()
            code = struct.unpack("!i", body[:4])[0]
            if kind != b"R":
                raise PgError(f"expected authentication, got message {kind!r}")
            if code == 0:  # AuthenticationOk
                return
            if code == 3:  # cleartext password
                self._send(b"p", _cstr(password))
            elif code == 5:  # md5: md5(md5(password + user) + salt)
                inner = hashlib.md5((password + user).encode()).hexdigest().encode()
                self._send(b"p", _cstr("md5" + hashlib.md5(inner + body[4:8]).hexdigest()))
            elif code == 10:  # SASL: SCRAM-SHA-256 (RFC 5802, RFC 7677)
                self._scram(password)
            elif code != 12:  # 12 is SASLFinal: the server's signature, then AuthenticationOk
                raise PgError(f"unsupported authentication request {code}")

    def _scram(self, password):
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n=,r={nonce}"
        first = b"n,," + first_bare.encode()
        self._send(b"p", _cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first)
        kind, body = self._read()
        server_first = body[4:].decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        if not attrs["r"].startswith(nonce):
            raise PgError("the server's SCRAM nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        final_bare = f"c=biws,r={attrs['r']}"
        auth = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
        self._send(b"p", f"{final_bare},p={proof}".encode())

    def _until_ready(self):
        while self._read()[0] != b"Z":  # ReadyForQuery; ParameterStatus, BackendKeyData… are skipped
            pass

    def query(self, sql, *params):
        """Runs one statement; returns its rows as dicts of column name to text (None for NULL)."""
        self._send(b"P", b"\0" + _cstr(sql) + struct.pack("!h", 0))  # Parse, unnamed, types inferred
        bind = b"\0\0" + struct.pack("!hh", 0, len(params))  # Bind: all parameters in text format
        for p in params:
            bind += struct.pack("!i", -1) if p is None else struct.pack("!i", len(str(p).encode())) + str(p).encode()
        self._send(b"B", bind + struct.pack("!h", 0))  # results in text format
        self._send(b"D", b"P\0")  # Describe the portal: its RowDescription
        self._send(b"E", b"\0" + struct.pack("!i", 0))  # Execute, all rows
        self._send(b"S")  # Sync
        columns, rows, error = [], [], None
        while True:
            try:
                kind, body = self._read()
            except PgError as err:  # the server still answers ReadyForQuery after an error
                error = error or err
                continue
            if kind == b"T":  # RowDescription: per column its name and 18 bytes of type information
                columns, at = [], 2
                for _ in range(struct.unpack("!h", body[:2])[0]):
                    end = body.index(b"\0", at)
                    columns.append(body[at:end].decode())
                    at = end + 19
            elif kind == b"D":  # DataRow: per column a length (-1 for NULL) and the text
                row, at = [], 2
                for _ in range(struct.unpack("!h", body[:2])[0]):
                    n = struct.unpack("!i", body[at : at + 4])[0]
                    row.append(None if n < 0 else body[at + 4 : at + 4 + n].decode())
                    at += 4 + max(n, 0)
                rows.append(dict(zip(columns, row)))
            elif kind == b"Z":
                break
        if error:
            raise error
        return rows

    def close(self):
        try:
            self._send(b"X")
        finally:
            self.sock.close()


def connect():
    """A connection from the libpq environment variables, as psql reads them."""
    return Connection(
        os.environ.get("PGHOST", "localhost"),
        os.environ.get("PGPORT", "5432"),
        os.environ.get("PGUSER", "postgres"),
        os.environ.get("PGPASSWORD", ""),
        os.environ.get("PGDATABASE") or os.environ.get("PGUSER", "postgres"),
    )
