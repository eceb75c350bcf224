"""Values in error messages as a user would type them: ``1e-08``, never ``np.float64(1e-08)``.

numpy >= 2 gives numpy scalars a repr that names their type; :func:`show` prints them (and
arrays of them) like the plain Python numbers they stand for.  Strings keep their quotes.
"""

from __future__ import annotations

import numpy as np


def show(v) -> str:
    """repr of ``v`` with numpy scalars/arrays converted to Python values first."""
    if isinstance(v, np.generic):
        v = v.item()
    elif isinstance(v, np.ndarray):
        v = v.tolist() if v.size <= 8 else f"array of shape {v.shape}"
        return v if isinstance(v, str) else repr(v)
    if isinstance(v, float):
        return f"{v:.12g}" if np.isfinite(v) else repr(v)
    return repr(v)
