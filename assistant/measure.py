"""Two measurements several stages take: elapsed milliseconds and loudness (RMS)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def ms_since(started: float) -> float:
    """Milliseconds since `started`, a `time.perf_counter()` reading."""
    return (time.perf_counter() - started) * 1000


def rms(samples: np.ndarray) -> float:
    """Root mean square of int16 (or float) samples, in the samples' own unit; 0 when empty."""
    import numpy as np

    if not len(samples):
        return 0.0
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
