"""Twilio's REST API for the two calls Dexem makes, on loopback: GET a recording's `.wav` (HTTP
basic auth with the account's SID and token) and DELETE the recording (`.json`).

Used by the telephony tests and bench/bench_telephony.py. A recording is given as bytes, or as a
size for generated audio (so a 100 MB recording is never held in this process either).
"""

from __future__ import annotations

import base64
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})\.(wav|json)")
CHUNK = 256 * 1024


def wav_bytes(size: int, *, seed: int = 7) -> bytes:
    """A WAV file of exactly `size` bytes (header + PCM-looking data)."""
    return wav_header(size) + bytes((seed + i * 31) % 256 for i in range(size - 44))


def wav_header(size: int) -> bytes:
    data = size - 44
    return (
        b"RIFF"
        + struct.pack("<I", size - 8)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 2, 8000, 32000, 4, 16)
        + b"data"
        + struct.pack("<I", data)
    )


@dataclass
class Served:
    body: bytes | None = None
    size: int = 0  # generated audio of this size when body is None
    content_type: str = "audio/x-wav"
    status: int = 200
    delay: float = 0.0  # seconds to wait before the body (a stalled provider)
    declare_length: bool = True
    bytes_per_second: float = 0.0  # the rate a network would carry it at; 0: as fast as it can


@dataclass
class FakeTwilio:
    account_sid: str
    token: str
    recordings: dict[str, Served] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    refused: int = 0
    delete_status: int = 204  # what a DELETE answers (a provider failing to delete)
    any_recording: Served | None = None  # served for every recording id (the benchmark's mode)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _authorised(self, account: str) -> bool:
                expected = base64.b64encode(f"{fake.account_sid}:{fake.token}".encode()).decode()
                ok = account == fake.account_sid and self.headers.get("Authorization") == (
                    f"Basic {expected}"
                )
                if not ok:
                    fake.refused += 1
                    self._answer(401, b'{"code": 20003}', "application/json")
                return ok

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                match = _PATH.fullmatch(self.path)
                if not match or match[3] != "wav":
                    return self._answer(404, b"{}", "application/json")
                if not self._authorised(match[1]):
                    return None
                fake.gets.append(match[2])
                served = fake.recordings.get(match[2], fake.any_recording)
                if served is None:
                    return self._answer(404, b'{"code": 20404}', "application/json")
                if served.delay:
                    time.sleep(served.delay)
                if served.status != 200:
                    return self._answer(served.status, b"{}", "application/json")
                size = len(served.body) if served.body is not None else served.size
                self.send_response(200)
                self.send_header("Content-Type", served.content_type)
                if served.declare_length:
                    self.send_header("Content-Length", str(size))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if served.body is not None:
                        self.wfile.write(served.body)
                    else:
                        self.wfile.write(wav_header(size))
                        block = bytes(range(256)) * (CHUNK // 256)
                        left, started = size - 44, time.monotonic()
                        while left > 0:
                            piece = block[: min(CHUNK, left)]
                            self.wfile.write(piece)
                            left -= len(piece)
                            if served.bytes_per_second:
                                due = started + (size - left) / served.bytes_per_second
                                time.sleep(max(0.0, due - time.monotonic()))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if not served.declare_length:
                    self.close_connection = True
                return None

            def do_DELETE(self) -> None:
                match = _PATH.fullmatch(self.path)
                if not match or match[3] != "json":
                    return self._answer(404, b"{}", "application/json")
                if not self._authorised(match[1]):
                    return None
                fake.deletes.append(match[2])
                if fake.delete_status != 204:
                    return self._answer(fake.delete_status, b"{}", "application/json")
                if fake.recordings.pop(match[2], fake.any_recording) is None:
                    return self._answer(404, b'{"code": 20404}', "application/json")
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    # `python -m tests.telephony.fake_twilio SID TOKEN SIZE [BYTES_PER_SECOND]`: serve every
    # recording as SIZE bytes of generated WAV (at that rate) from a process of its own (the
    # benchmark), printing the base URL.
    import sys

    account_sid, token, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    fake = FakeTwilio(
        account_sid=account_sid,
        token=token,
        any_recording=Served(size=size, bytes_per_second=rate),
    )
    fake.start()
    print(fake.base_url, flush=True)
    fake.thread.join()
