"""Long periodic schedules: repeated identical periods by repeated squaring.

A clocked circuit repeats the same sequence of phase steps (same map, same bias) once its
sources are periodic.  Where no output is requested inside a stretch of whole periods,
the stretch is one affine map P^k, applied as O(log k) precomputed squarings
P, P², P⁴, ... instead of k·q steps.  The composed maps are exact compositions of the
phase maps, so results agree with stepping to round-off.
"""

from __future__ import annotations

import numpy as np

MIN_STEPS = 256        # shorter schedules are stepped as they are
MAX_PERIOD = 65536     # longest period (in steps) searched for
MAX_CANDIDATES = 64    # period lengths tried


def find_period(sid: np.ndarray) -> tuple[int, int] | None:
    """(q, s0): the shortest period q of the tail of ``sid`` and the first index from
    which ``sid[p] == sid[p + q]`` holds to the end; None without a repeating tail."""
    n = len(sid)
    half = n // 2
    last = sid[-1]
    cands = np.flatnonzero(sid[max(0, n - 1 - min(MAX_PERIOD, n // 4)):n - 1][::-1] == last) + 1
    for q in cands[:MAX_CANDIDATES]:
        q = int(q)
        if np.array_equal(sid[half + q:], sid[half:n - q]):
            bad = np.flatnonzero(sid[q:] != sid[:-q])
            return q, (int(bad[-1]) + 1 if bad.size else 0)
    return None


def _compose(maps, gsw, biases, map_id, bias_id):
    n = maps.shape[1]
    m, b, g = np.eye(n), np.zeros(n), np.zeros((n, gsw.shape[2]))
    for mi, bi in zip(map_id, bias_id):
        mk = maps[mi]
        m, b, g = mk @ m, mk @ b + biases[bi], mk @ g + gsw[mi]
    return m, b, g


def compress(maps, gsw, biases, map_id, bias_id, out_slot, periodic_ok: bool = True):
    """The same program with stretches of whole periods between outputs replaced by
    powers of the period map; arguments and results as in the transient kernel."""
    n_steps = len(map_id)
    outs = np.flatnonzero(out_slot[1:] >= 0)
    if not periodic_ok or n_steps < MIN_STEPS:
        return maps, gsw, biases, map_id, bias_id, out_slot
    sid = map_id * (int(bias_id.max()) + 1) + bias_id
    found = find_period(sid)
    if found is None:
        return maps, gsw, biases, map_id, bias_id, out_slot
    q, s0 = found
    if len(outs) * 4 * q > n_steps:          # outputs too dense for whole periods between them
        return maps, gsw, biases, map_id, bias_id, out_slot
    powers = [_compose(maps, gsw, biases, map_id[s0:s0 + q], bias_id[s0:s0 + q])]
    n_per = (n_steps - s0) // q
    while (1 << len(powers)) <= n_per:
        m, b, g = powers[-1]
        powers.append((m @ m, m @ b + b, m @ g + g))
    m0, b0 = len(maps), len(biases)
    maps = np.concatenate([maps, np.stack([p[0] for p in powers])])
    biases = np.concatenate([biases, np.stack([p[1] for p in powers])])
    gsw = np.concatenate([gsw, np.stack([p[2] for p in powers])])
    new_m, new_b, new_slot = [], [], [np.array([out_slot[0]])]

    def plain(a, e):                          # steps a..e-1 as they are
        new_m.append(map_id[a:e])
        new_b.append(bias_id[a:e])
        new_slot.append(out_slot[a + 1:e + 1])

    cur = 0
    for o in list(outs) + ([n_steps - 1] if not outs.size or outs[-1] != n_steps - 1 else []):
        end = o + 1
        a = max(cur, s0)
        a += (-(a - s0)) % q
        k = (end - a) // q if a < end else 0
        if k < 2:
            plain(cur, end)
        else:
            plain(cur, a)
            bits = [j for j in range(len(powers)) if (k >> j) & 1]
            new_m.append(np.array([m0 + j for j in bits], dtype=np.int64))
            new_b.append(np.array([b0 + j for j in bits], dtype=np.int64))
            rest = a + k * q
            slot = np.full(len(bits), -1, dtype=np.int64)
            if rest == end:
                slot[-1] = out_slot[end]
            new_slot.append(slot)
            plain(rest, end)
        cur = end
    return (maps, gsw, biases, np.concatenate(new_m).astype(np.int64),
            np.concatenate(new_b).astype(np.int64), np.concatenate(new_slot).astype(np.int64))
