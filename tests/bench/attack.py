"""Slow clients for the bench's attack scenario (run.py imports this).

A fleet of clients that are slow on purpose or over slow links, all in one
thread that serves each in turn ten times a second: downloaders that fetch the biggest wheel and read it
at a throttled rate, and uploaders that announce a large body and trickle it.
Each client connects from its own loopback address (127.0.1.N for downloaders,
127.0.2.N for uploaders), as a fleet of machines would, so a server's limits per
address do not hide what its engine does. A client whose connection ends (the
download done, the upload answered or cut off) connects again, so the pressure
stays the same for the whole run.

Connections are opened without blocking, so a server that accepts slowly (or
not at all) delays nothing here. Only loopback; the loop ends when the `with`
block does.
"""

import errno
import socket
import threading
import time

# Downloaders read this many bytes per second each, in ten slices a second.
DOWNLOAD_RATE = 64 * 1024
# Uploaders announce this much and send a little every second.
UPLOAD_DECLARED = 100 * 2**20
UPLOAD_RATE = 1024
TICK = 0.1
BOUNDARY = "attackboundary"


class Client:
    def __init__(self, kind, host):
        self.kind = kind
        self.host = host
        self.sock = None
        self.connected = False
        self.moved = 0  # bytes read (downloader) or sent (uploader) on this connection
        self.answer = b""  # the first bytes an uploader got back


class Attack:
    """`downloaders` slow readers of `download_path` and `uploaders` slow senders
    of a multipart upload to `/` (twine's upload, which both servers take), against
    127.0.0.1:`port`. Counts what happened, for the report."""

    def __init__(self, port, download_path, downloaders, uploaders):
        self.port = port
        self.download_path = download_path
        self.clients = [Client("down", f"127.0.1.{i + 1}") for i in range(downloaders)]
        self.clients += [Client("up", f"127.0.2.{i + 1}") for i in range(uploaders)]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.stats = {
            "connects": 0,
            "connect errors": 0,
            "downloaded bytes": 0,
            "downloads ended": 0,
            "uploaded bytes": 0,
            "upload answers": {},
            "uploads cut off": 0,
        }

    def __enter__(self):
        for client in self.clients:
            self.connect(client)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=10)
        for client in self.clients:
            self.drop(client)

    def connect(self, client):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.setblocking(False)
        try:
            sock.bind((client.host, 0))
        except OSError:
            self.stats["connect errors"] += 1
            sock.close()
            return
        client.sock = sock
        client.connected = False
        client.moved = 0
        client.answer = b""
        self.poll_connect(client)

    def poll_connect(self, client):
        """Moves a pending connection on; sends the request once it is made."""
        code = client.sock.connect_ex(("127.0.0.1", self.port))
        if code in (errno.EINPROGRESS, errno.EALREADY, errno.EAGAIN):
            return
        if code not in (0, errno.EISCONN):
            self.stats["connect errors"] += 1
            self.drop(client)
            return
        client.connected = True
        self.stats["connects"] += 1
        try:
            client.sock.send(self.request(client))
        except OSError:
            self.ended(client)

    def request(self, client):
        if client.kind == "down":
            return (f"GET {self.download_path} HTTP/1.1\r\nHost: bench\r\n"
                    "Connection: close\r\n\r\n").encode()
        return (f"POST / HTTP/1.1\r\nHost: bench\r\nContent-Length: {UPLOAD_DECLARED}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n"
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\n"
                f"file_upload\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f"name=\"content\"; filename=\"attack-1.0-py3-none-any.whl\"\r\n\r\n").encode()

    def drop(self, client):
        if client.sock is None:
            return
        client.sock.close()
        client.sock = None

    def ended(self, client):
        """The server ended the connection (or answered an upload): count it, reconnect."""
        if client.kind == "down":
            self.stats["downloads ended"] += 1
        else:
            status = client.answer[9:12].decode(errors="replace") or "closed"
            answers = self.stats["upload answers"]
            answers[status] = answers.get(status, 0) + 1
        self.drop(client)
        if not self.stop_event.is_set():
            self.connect(client)

    def loop(self):
        budget_down = int(DOWNLOAD_RATE * TICK)
        budget_up = b"x" * int(UPLOAD_RATE * TICK)
        while not self.stop_event.is_set():
            started = time.monotonic()
            for client in list(self.clients):
                if client.sock is None:
                    self.connect(client)
                    continue
                if not client.connected:
                    self.poll_connect(client)
                    continue
                if client.kind == "down":
                    self.read_some(client, budget_down)
                else:
                    self.trickle(client, budget_up)
            self.stop_event.wait(max(0.0, TICK - (time.monotonic() - started)))

    def read_some(self, client, budget):
        while budget > 0:
            try:
                data = client.sock.recv(min(budget, 65536))
            except BlockingIOError:
                return
            except OSError:
                return self.ended(client)
            if not data:
                return self.ended(client)
            client.moved += len(data)
            self.stats["downloaded bytes"] += len(data)
            budget -= len(data)

    def trickle(self, client, piece):
        # An answer before the body is sent means the server is done with it.
        try:
            data = client.sock.recv(4096)
            if not data:
                return self.ended(client)
            client.answer += data
            return self.ended(client)
        except BlockingIOError:
            pass
        except OSError:
            self.stats["uploads cut off"] += 1
            return self.ended(client)
        try:
            sent = client.sock.send(piece)
            client.moved += sent
            self.stats["uploaded bytes"] += sent
        except BlockingIOError:
            pass
        except OSError:
            self.stats["uploads cut off"] += 1
            self.ended(client)

    def snapshot(self):
        """Clients connected now, by kind, and those that moved bytes on this connection."""
        live = {"down": 0, "up": 0}
        moving = {"down": 0, "up": 0}
        for client in list(self.clients):
            if client.sock is not None and client.connected:
                live[client.kind] += 1
                if client.moved:
                    moving[client.kind] += 1
        return live, moving
