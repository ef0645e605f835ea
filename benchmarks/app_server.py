"""The page under a real browser: start `streamlit run app.py` on localhost, find Debian's Chromium, and tell
when the page's script run has finished.

Shared by the browser benchmark (``benchmarks/app.py``) and the browser tests (``tests/e2e``); a server's
output goes to test-artifacts/streamlit-PORT.log.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """The installed Chromium's executable, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`streamlit run app.py` headless on 127.0.0.1:port (its output goes to test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / f"streamlit-{port}.log", "w") as log:           # the server keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Return once the server on ``port`` answers its health check; RuntimeError if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see test-artifacts/streamlit-{port}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s")


SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


class RunWatch:
    """A browser page's script runs, read from its websocket (playwright): Streamlit answers each rerun request
    with a new session message when the run starts and a script-finished message when it ends. The page has
    settled when a run that started after the last request sent has finished, and the browser has drawn it.
    (The 'Running…' status widget is no signal: this page's minimal toolbar never draws it.)"""

    def __init__(self, page) -> None:
        self.page = page
        self.events = 0                                         # counts the messages below, in the order they came
        self.last_request = self.last_start = self.last_finish = 0
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        socket.on("framesent", self._sent)
        socket.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        if message.WhichOneof("type") == "rerun_script":
            self.last_request = self._tick()

    def _received(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = ForwardMsg()
        message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.last_start = self._tick()
        elif kind == "script_finished" and message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
            self.last_finish = self._tick()

    def _tick(self) -> int:
        self.events += 1
        return self.events

    def settled(self) -> bool:
        """Whether a run started after the last request has finished (False before the page's first request)."""
        return 0 < self.last_request < self.last_start < self.last_finish

    def wait(self, since: int | None = None, timeout_s: float = 120.0) -> None:
        """Until the page has settled and the browser shows it so; with ``since`` (``events`` read before an
        action that asks for a run), first until that action's request was sent. TimeoutError otherwise."""
        deadline = time.monotonic() + timeout_s
        while not (self.settled() and (since is None or self.last_request > since)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page's script run did not finish within {timeout_s:.0f} s")
            self.page.wait_for_timeout(50)                      # playwright delivers the socket's frames meanwhile
        self.page.wait_for_selector(SETTLED, timeout=max(1.0, deadline - time.monotonic()) * 1000)

    @contextmanager
    def run(self, timeout_s: float = 120.0) -> Iterator[None]:
        """Around an action that asks for a run: on leaving, wait until that run has finished."""
        since = self.events
        yield
        self.wait(since, timeout_s)
