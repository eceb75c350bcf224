"""Per-column converters and chip Monte Carlo.

A real CIM macro has one converter per column, each with its own frozen mismatch and
comparator offsets.  Here:

* a **bank** of K characterized instances of one design (``quantizer.instance(k)
  .characterize(...)``, k = 0..K-1, each with its own noise-fit Generator seeded from
  (seed, k)) is stacked into a :class:`~dgcq_sim.transfer.TransferBank` and cached as one
  ``.npz`` per design + parameters + seed + characterization effort under a cache directory
  (default ``$DGCQ_SIM_CACHE`` or ``~/.cache/dgcq_sim``); a later call that needs more
  instances characterizes only the missing ones;
* a **chip** is a column -> instance map: every physical column (row block x weight slice x
  output channel) of every analog layer draws one of the K instances, from a Generator seeded
  with (seed, chip) only, so chip c is reproducible and independent of the other chips.

Nothing here imports the circuit engine: the quantizer arrives as an object with
``instance(k)`` (returning something with ``characterize(rng, **effort)``), ``kind``,
``params``, ``seed``, ``ideal`` and ``path``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import ModelFileError, ParameterError
from ..transfer import TransferBank, TransferFunction

DEFAULT_BANK = 64
BANK_FORMAT = 1
_CHIP_TAG = 0x43484950       # "CHIP": keeps the map stream apart from other uses of a seed
_CHAR_TAG = 0x42414E4B       # "BANK"


def default_cache_dir() -> Path:
    """``$DGCQ_SIM_CACHE`` if set, else ``~/.cache/dgcq_sim``."""
    env = os.environ.get("DGCQ_SIM_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "dgcq_sim"


def check_count(name: str, value) -> int:
    """An integer >= 1, else ParameterError naming the option."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def design_key(quantizer, effort: dict) -> str:
    """Hex digest naming a design: architecture, netlist bytes, resolved parameters,
    ideal flag, seed, characterization effort and bank format."""
    path = getattr(quantizer, "path", None)
    try:
        text = Path(path).read_bytes() if path is not None else b""
    except OSError:
        text = str(path).encode()
    params = {str(k): (float(v) if isinstance(v, (int, float, np.floating)) else str(v))
              for k, v in sorted(dict(quantizer.params).items())}
    blob = json.dumps({"kind": str(quantizer.kind), "params": params,
                       "ideal": bool(quantizer.ideal), "seed": int(quantizer.seed),
                       "effort": {k: int(v) for k, v in sorted(effort.items())},
                       "format": BANK_FORMAT}, sort_keys=True).encode()
    return hashlib.sha256(hashlib.sha256(text).digest() + blob).hexdigest()[:20]


def _save_bank(path: Path, tfs: list[TransferFunction], key: str) -> None:
    arrs = {"format": np.int64(BANK_FORMAT), "key": np.array(key), "n": np.int64(len(tfs))}
    for i, tf in enumerate(tfs):
        arrs[f"{i}.vmin"], arrs[f"{i}.vmax"] = np.float64(tf.vmin), np.float64(tf.vmax)
        arrs[f"{i}.bits"], arrs[f"{i}.n_codes"] = np.int64(tf.bits), np.int64(tf.n_codes)
        for f in ("edges", "codes", "code_values", "noise_grid", "noise_sigma"):
            arrs[f"{i}.{f}"] = getattr(tf, f)
        arrs[f"{i}.meta"] = np.array(json.dumps(tf.meta, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrs)
    os.replace(tmp, path)


def load_bank_file(path: str | Path) -> list[TransferFunction]:
    """The TransferFunctions of a bank archive (ModelFileError naming file and key)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ModelFileError(f"bank file {str(path)!r} is not readable: {exc}") from None
    try:
        if int(data["format"]) != BANK_FORMAT:
            raise ModelFileError(f"bank file {str(path)!r}: format {int(data['format'])}, "
                                 f"this version reads {BANK_FORMAT}")
        out = []
        for i in range(int(data["n"])):
            out.append(TransferFunction(
                float(data[f"{i}.vmin"]), float(data[f"{i}.vmax"]), int(data[f"{i}.bits"]),
                data[f"{i}.edges"], data[f"{i}.codes"], code_values=data[f"{i}.code_values"],
                n_codes=int(data[f"{i}.n_codes"]), noise_grid=data[f"{i}.noise_grid"],
                noise_sigma=data[f"{i}.noise_sigma"],
                meta=json.loads(str(data[f"{i}.meta"]))))
    except KeyError as exc:
        raise ModelFileError(f"bank file {str(path)!r} lacks key {exc.args[0]!r}") from None
    except (ParameterError, ValueError, TypeError) as exc:
        raise ModelFileError(f"bank file {str(path)!r}: invalid content: {exc}") from None
    return out


def characterize_bank(quantizer, k: int = DEFAULT_BANK, *, cache_dir: str | Path | None = None,
                      progress: bool = False, **effort) -> TransferBank:
    """A bank of ``k`` characterized Monte Carlo instances of ``quantizer`` (cached).

    Instance i is ``quantizer.instance(i).characterize(rng=default_rng([seed, i, tag]),
    **effort)``: its mismatch and offsets depend on (seed, i) only, so a bank of 8 is the
    first 8 instances of a bank of 64.  The cache file is
    ``cache_dir/bank-<kind>-<design key>.npz``; ``cache_dir=False`` disables caching.
    """
    k = check_count("bank size", k)
    key = design_key(quantizer, effort)
    path = None
    tfs: list[TransferFunction] = []
    if cache_dir is not False:
        path = Path(cache_dir or default_cache_dir()) / f"bank-{quantizer.kind}-{key}.npz"
        if path.is_file():
            try:
                tfs = load_bank_file(path)
            except ModelFileError:
                tfs = []       # a damaged cache entry is rebuilt
    if len(tfs) < k:
        seed = int(quantizer.seed)
        bar = tqdm(total=k - len(tfs), desc="characterize bank", unit="inst",
                   disable=not progress, leave=False)
        for i in range(len(tfs), k):
            rng = np.random.default_rng([seed, i, _CHAR_TAG])
            tfs.append(quantizer.instance(i).characterize(rng=rng, **effort))
            bar.update(1)
        bar.close()
        if path is not None:
            _save_bank(path, tfs, key)
    return TransferBank(tfs[:k])


def column_maps(layout: dict, bank_size: int, seed: int, chip: int) -> dict:
    """Column -> instance map of one chip: {layer: int64 (row blocks, weight slices, Cout)}.

    layout: {layer name: (row blocks, weight slices, Cout)} in network order (see
    :meth:`dgcq_sim.nn.cim.CimModel.column_layout`).  A pure function of (layout,
    bank_size, seed, chip).
    """
    bank_size = check_count("bank size", bank_size)
    if isinstance(chip, bool) or not isinstance(chip, (int, np.integer)) or chip < 0:
        raise ParameterError(f"chip index must be an integer >= 0, got {chip!r}")
    rng = np.random.default_rng([int(seed), int(chip), _CHIP_TAG])
    return {name: rng.integers(0, bank_size, size=shape, dtype=np.int64)
            for name, shape in layout.items()}


def summarize_chips(values) -> dict:
    """{"mean", "p5", "p95", "per_chip"} of per-chip accuracies."""
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "p5": float(np.percentile(v, 5)),
            "p95": float(np.percentile(v, 95)), "per_chip": [float(x) for x in v]}
