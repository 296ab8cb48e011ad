"""A real Prometheus (Debian's package) scraping pages served on a loopback port, for tests.

`pages` serves fixed /metrics pages by path; `prometheus` starts Prometheus on a config and
yields its URL once every metric named in `wanted` has points, then one scrape more.
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from collectors.prometheus import PrometheusClient, PrometheusError
from tests.live_server import free_port


@contextmanager
def pages(bodies: dict[str, bytes]) -> Iterator[int]:
    """Serve `bodies` by path (404 for any other) on a free loopback port; yield the port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()


@contextmanager
def prometheus(home: Path, config: str, wanted: Sequence[str]) -> Iterator[str]:
    """Prometheus on `config` (YAML text), its data under `home`; its URL once `wanted` have
    points. Fails the test with the end of its log when it does not come up in 45 s; skips
    it where Prometheus is not installed, as the suite's other Prometheus tests do."""
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (apt-get install -y prometheus; .ci/run does)")
    (home / "prometheus.yml").write_text(config)
    port = free_port()
    log = (home / "prometheus.log").open("w")
    process = subprocess.Popen(
        ["prometheus", f"--config.file={home / 'prometheus.yml'}",
         f"--storage.tsdb.path={home / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    client = PrometheusClient(url, client=httpx.Client(timeout=5))
    deadline = time.monotonic() + 45
    try:
        while True:
            try:
                now = time.time()
                if all(client.query_range(m, start=now - 60, end=now, step_s=1)
                       for m in wanted):
                    break
            except PrometheusError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Prometheus did not come up with data: "
                            + (home / "prometheus.log").read_text()[-2000:])
            time.sleep(0.5)  # polling a process that is starting; no event to wait on
        time.sleep(1.5)  # one more scrape, so that every metric has points
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
