"""An ASGI app served by uvicorn on a free loopback port, in a thread, for tests that need
real HTTP (concurrent clients, a subprocess of the agent).

The socket listens before uvicorn starts, so a client may connect at once: its connection
waits in the backlog until the server accepts it, and no test waits for a start-up.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve `app` (lifespan on) for the block; yields its base URL."""
    sock = socket.socket()
    # as uvicorn sets on the sockets it binds itself: without it each answer waits on the
    # client's delayed ACK (about 40 ms a request on Linux loopback)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
