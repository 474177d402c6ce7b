"""Long work started from the app (retraining) run in a background thread, with progress.

One :class:`BackgroundJob` per process is kept by the app (``st.cache_resource``), so every
session sees the same run and a second click cannot start a second training.
"""
from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


@dataclass
class BackgroundJob:
    """State of the latest run: progress 0..1, a message, the result or the error."""

    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def report(self, fraction: float, message: str = "") -> None:
        """Progress callback for the work: a fraction 0..1 and what it is doing."""
        self.progress = min(max(float(fraction), 0.0), 1.0)
        self.message = message

    def start(self, work: Callable[[Callable[[float, str], None]], Any]) -> bool:
        """Run ``work(report)`` in a thread; False when a run is already under way."""
        with self._lock:
            if self.running:
                return False
            self.progress, self.message, self.result, self.error = 0.0, "", None, None
            self.started_at, self.finished_at = datetime.now(), None
            self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name="matcher-job")
            self._thread.start()
            return True

    def _run(self, work: Callable[[Callable[[float, str], None]], Any]) -> None:
        try:
            self.result = work(self.report)
            self.report(1.0, self.message)
        except Exception:  # the page shows the error; the thread must not die silently
            self.error = traceback.format_exc(limit=5)
        finally:
            self.finished_at = datetime.now()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run ends (tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)
