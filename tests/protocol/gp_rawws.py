"""gp_rawws: a few hand-made WebSocket frames, for inputs a well-behaved
client library will not send (invalid UTF-8 in a text frame, a ping between
the fragments of a message, a continuation with no message to continue,
an unmasked frame).  RFC 6455 framing, blocking sockets, nothing more."""

import base64
import os
import socket
import struct

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class RawWs:
    def __init__(self, port, path="/ws", headers=(), timeout=5.0, rcvbuf=None, version="13",
                 host=True):
        """rcvbuf: SO_RCVBUF set before connecting (a small window, for clients
        that read slowly or not at all); version: Sec-WebSocket-Version (None
        leaves it out); host: False leaves the Host header out."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\n" + (f"Host: 127.0.0.1:{port}\r\n" if host else "") +
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n" +
               (f"Sec-WebSocket-Version: {version}\r\n" if version is not None else "") +
               "".join(h + "\r\n" for h in headers) + "\r\n")
        self.sock.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"connection closed during the handshake: {self.buf!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        self.head = head.decode(errors="replace")

    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            hdr += key
        self.sock.sendall(hdr + payload)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        """(opcode, payload) of the next server frame (servers do not mask)."""
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def recv_until_close(self):
        """Reads frames until a close frame; returns (close code or None,
        [text payloads before it]).  EOF without a close frame gives None."""
        texts = []
        try:
            while True:
                op, payload = self.recv_frame()
                if op == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    return code, texts
                if op == OP_TEXT:
                    texts.append(payload.decode())
        except (EOFError, ConnectionResetError, socket.timeout):
            return None, texts

    def close(self):
        self.sock.close()
