"""Dask distributed, imported lazily (the optional ``dist`` extra)."""

from __future__ import annotations

import logging

from ..errors import InputError, ParameterError

INSTALL_HINT = 'pip install "dgcq_sim[dist]"'


def import_distributed():
    """The ``distributed`` module, or InputError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise InputError("distributed sweeps (--workers / --scheduler) need Dask distributed: "
                         f"{INSTALL_HINT}") from None
    return distributed


def connect(scheduler: str | None = None, workers: int | None = None,
            connect_timeout: float = 5.0):
    """(client, cluster or None): a Client of the scheduler at ``scheduler`` (InputError if
    it cannot be reached within ``connect_timeout`` s), or of a new LocalCluster with
    ``workers`` worker processes of one thread each (numba kernels too: NUMBA_NUM_THREADS=1;
    results do not depend on thread counts)."""
    if scheduler is not None and workers is not None:
        raise ParameterError("give either a scheduler address or a number of workers, not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ParameterError(f"workers must be an integer >= 1, got {workers!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ParameterError(f"scheduler must be an address such as tcp://host:8786, "
                             f"got {scheduler!r}")
    distributed = import_distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler.strip(), timeout=connect_timeout,
                                        set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError (address)
            raise InputError(f"cannot reach the Dask scheduler at {scheduler!r} within "
                             f"{connect_timeout:g} s: {type(exc).__name__}: {exc}") from None
        return client, None
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       env={"NUMBA_NUM_THREADS": "1"})
    try:
        client = distributed.Client(cluster, set_as_default=False)
    except Exception:
        cluster.close()
        raise
    return client, cluster


def n_threads(client) -> int:
    """Total worker threads of the cluster (at least 1)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - a cluster still starting
        return 1
