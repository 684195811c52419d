"""What several stages measure: elapsed milliseconds, loudness (RMS), and the time of
day through a clock that tests can replace."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class UnixClock(Protocol):
    """Anything with `time()` in Unix seconds: the `time` module, `SystemClock`, a test's."""

    def time(self) -> float: ...


def ms_since(started: float) -> float:
    """Milliseconds since `started`, a `time.perf_counter()` reading."""
    return (time.perf_counter() - started) * 1000


def rms(samples: np.ndarray) -> float:
    """Root mean square of int16 (or float) samples, in the samples' own unit; 0 when empty."""
    import numpy as np

    if not len(samples):
        return 0.0
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
