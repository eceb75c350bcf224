"""Python wrapper of the program kernel: validate, broadcast, call numba."""

from __future__ import annotations

import numpy as np

from ..blocks.rng import seed_from_generator
from ..errors import InputError, ParameterError
from .kernels import run_program_kernel, run_program_kernel_clean
from .program import CompiledProgram


def _as_batch(name: str, a, tail: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a float array, got {type(a).__name__}") from exc
    if arr.shape == tail:
        arr = arr[None]
    if arr.ndim != len(tail) + 1 or arr.shape[1:] != tail or arr.shape[0] < 1:
        raise InputError(f"{name} must have shape {tail} or (S, {', '.join(map(str, tail))}), "
                         f"got {arr.shape}")
    # a sum is NaN/inf whenever an entry is (cheap test first; exact test only then)
    if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains non-finite values")
    return np.ascontiguousarray(arr)


def apply_program(prog: CompiledProgram, z0, u, *, rng: np.random.Generator | None = None):
    """Run ``prog`` on a batch of samples.

    prog: a CompiledProgram.  z0: start state (r,) or (S, r).  u: input values (V or A)
    per step, (K, m) or (S, K, m); a single row broadcasts over the samples.
    rng: draws thermal noise (if the program has noise) when given; None = noise-free.
    Returns (z_end (S, r), probe_values (S, K, p) in V).
    """
    if not isinstance(prog, CompiledProgram):
        raise ParameterError(f"prog must be a CompiledProgram, got {type(prog).__name__}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
    r, K, m, p = prog.n_state, prog.n_steps, prog.n_inputs, len(prog.probes)
    z0 = _as_batch("z0", z0, (r,))
    u = _as_batch("u", u, (K, m))
    sizes = {z0.shape[0], u.shape[0]} - {1}
    if len(sizes) > 1:
        raise InputError(f"z0 has {z0.shape[0]} samples but u has {u.shape[0]}")
    n_samples = sizes.pop() if sizes else 1
    use_noise = rng is not None and prog.noise.shape[2] > 0 and bool(np.any(prog.noise_rank))
    seed = seed_from_generator(rng) if use_noise else 0
    z_out = np.empty((n_samples, r))
    probe_out = np.empty((n_samples, K, p))
    if use_noise:
        run_program_kernel(prog.phi, prog.gam, prog.probe_z, prog.probe_u, prog.noise,
                           prog.noise_probe, prog.noise_rank, z0, u, seed,
                           z_out, probe_out)
    else:
        run_program_kernel_clean(prog.phi, prog.gam, prog.probe_z, prog.probe_u, z0, u,
                                 z_out, probe_out)
    return z_out, probe_out
