"""Import PyTorch or raise a typed error naming the extra that installs it."""

from __future__ import annotations

from ...errors import DependencyError

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise DependencyError(
        "dgcq_sim.nn.torch needs PyTorch, which is not installed: "
        "pip install 'dgcq-sim[train]' (or pip install torch)") from exc
