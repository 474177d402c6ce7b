"""Start the Streamlit app on a free localhost port and drive it with Debian's Chromium
(the end-to-end test and the screenshot script share this)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HOME = Path(__file__).resolve().parent.parent / "app" / "Home.py"
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium headless, with nothing that reaches out to the network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def streamlit_command(port: int, address: str | None = "127.0.0.1") -> list[str]:
    """The command that serves the app: headless, no file watcher, and no usage statistics (the
    service is offline and its users' data is confidential). ``address=None``: every interface."""
    command = [sys.executable, "-m", "streamlit", "run", str(HOME), "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    return command + (["--server.address", address] if address else [])


def free_port() -> int:
    """A TCP port on localhost nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict, port: int, timeout: float = 90) -> subprocess.Popen:
    """`streamlit run app/Home.py` on 127.0.0.1:port; returns once its health check answers."""
    proc = subprocess.Popen(
        streamlit_command(port), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"streamlit did not start on port {port}: {proc.stdout.read().decode(errors='replace')[-2000:]}")
