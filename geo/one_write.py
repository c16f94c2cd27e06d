"""gunicorn's answer written in one piece: the status line and headers go out with the first body
bytes in a single ``sendall`` (installed by conf/gunicorn.conf.py in each worker).

Why: gunicorn writes the headers and the body in two system calls. A worker that dies between
them (killed, out of memory) leaves nginx holding a 200 header with no body; nginx has already
passed the header on, so it cannot repeat the request on another worker and the visitor gets a
cut-short answer. Written together, a short answer (every page and API answer here; the socket
buffer takes it whole) is either all on the wire or not at all — and in the second case nginx
sees the upstream close before any header and repeats the idempotent GET (proxy_next_upstream).
Long streamed downloads still go out in pieces after the first; nothing can make those atomic.
"""

from __future__ import annotations

from gunicorn.http import wsgi


class _Held:
    """Stands in for the socket while the header block is composed: keeps what would be sent."""

    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += bytes(data)


class OneWriteResponse(wsgi.Response):
    """A gunicorn Response whose header block waits for the first body bytes (or the end)."""

    _held: bytes = b""

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        self._held = self._capture(super().send_headers)

    def _emit_body(self, data: bytes) -> None:
        if not self._held:
            super()._emit_body(data)
            return
        framed = self._capture(lambda: super(OneWriteResponse, self)._emit_body(data))
        held, self._held = self._held, b""
        self.sock.sendall(held + framed)

    def sendfile(self, respiter) -> bool:
        # sendfile(2) takes a file, not our bytes: the header block goes first, as gunicorn does.
        self.send_headers()
        self._flush()
        return super().sendfile(respiter)

    def close(self) -> None:
        # No body (HEAD, 304, 204, an empty answer): the header block alone, still one write.
        self.send_headers()
        self._flush()
        super().close()

    def _flush(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self.sock.sendall(held)

    def _capture(self, write) -> bytes:
        sock, self.sock = self.sock, _Held()
        try:
            write()
            return self.sock.data
        finally:
            self.sock = sock


def install() -> None:
    """Make gunicorn build this Response for every request (``wsgi.create`` reads the name)."""
    wsgi.Response = OneWriteResponse
