"""gunicorn answers in one write (geo/one_write.py): a worker killed mid-answer leaves nothing
half-sent that nginx could not repeat. Real gunicorn objects: the request parsed by its parser,
the answer framed by its Response; only the socket records what each sendall carried."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from geo.one_write import OneWriteResponse


class Wire:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))


def answer(raw: bytes, status: str, headers: list[tuple[str, str]], body: list[bytes]):
    cfg = Config()
    req = next(iter(RequestParser(cfg, [raw], ("127.0.0.1", 40000))))
    wire = Wire()
    resp = OneWriteResponse(req, wire, cfg)
    resp.start_response(status, headers)
    for chunk in body:
        resp.write(chunk)
    resp.close()
    return wire.writes


GET = b"GET /api/v1/markets/ HTTP/1.1\r\nHost: portal\r\n\r\n"


def test_header_block_and_body_go_out_in_one_write():
    writes = answer(
        GET,
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", "11")],
        [b'{"ok":true}'],
    )
    assert len(writes) == 1
    head, _, body = writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 11" in head
    assert body == b'{"ok":true}'


def test_plain_gunicorn_writes_twice():
    # The behaviour the class exists to change: if gunicorn itself wrote once, delete the class.
    cfg = Config()
    req = next(iter(RequestParser(cfg, [GET], ("127.0.0.1", 40000))))
    wire = Wire()
    resp = wsgi.Response(req, wire, cfg)
    resp.start_response("200 OK", [("Content-Length", "2")])
    resp.write(b"ok")
    resp.close()
    assert len(wire.writes) == 2


def test_an_answer_without_a_body_is_its_header_block_once():
    writes = answer(
        b"HEAD / HTTP/1.1\r\nHost: portal\r\n\r\n", "200 OK", [("Content-Length", "5")], [b"hello"]
    )
    assert len(writes) == 1
    assert writes[0].endswith(b"\r\n\r\n")
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    writes = answer(GET, "304 Not Modified", [("ETag", '"v1"')], [])
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 304 Not Modified\r\n")


def test_a_streamed_answer_sends_its_first_chunk_with_the_headers_then_the_rest():
    writes = answer(
        GET, "200 OK", [("Content-Type", "application/geo+json")], [b'{"features":[', b"1,2", b"]}"]
    )
    head, _, first = writes[0].partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert first == b"D\r\n" + b'{"features":[' + b"\r\n"
    assert writes[1:] == [b"3\r\n1,2\r\n", b"2\r\n]}\r\n", b"0\r\n\r\n"]


def test_gunicorn_conf_installs_it_in_each_worker():
    # The config file as gunicorn reads it: its post_fork hook swaps the class wsgi.create builds.
    code = (
        "import runpy, gunicorn.http.wsgi as w; ns = runpy.run_path('conf/gunicorn.conf.py');"
        "ns['post_fork'](None, None); from geo.one_write import OneWriteResponse;"
        "print(w.Response is OneWriteResponse)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("size", [0, 1, 65536])
def test_body_bytes_are_exactly_the_application_bytes(size):
    body = b"x" * size
    writes = answer(GET, "200 OK", [("Content-Length", str(size))], [body] if size else [])
    assert len(writes) == 1
    assert writes[0].partition(b"\r\n\r\n")[2] == body
