"""One-thread BLAS for the small optimizations (L-BFGS-B on 2-4 parameters).

scipy's L-BFGS-B does its linear algebra on tiny matrices through the BLAS; a
threaded BLAS (OpenBLAS) wakes its threads on every step and they spin on the
cores the likelihood needs: 1-5 ms lost per step on a busy 2-core machine, more
than a likelihood on sufficient statistics takes.  ``one_thread()`` limits the
BLAS to one thread for a block (``threadpoolctl``, installed with scikit-learn)
and is a no-op when that is unavailable.
"""
from __future__ import annotations

import contextlib

try:
    from threadpoolctl import ThreadpoolController as _Controller
except ImportError:  # pragma: no cover - run with the BLAS as configured
    _Controller = None

_FOUND: list = []   # [controller or None], found once per process (a ~20 ms library scan)


def one_thread():
    """A context manager limiting the BLAS libraries to one thread."""
    if not _FOUND:
        try:
            _FOUND.append(_Controller() if _Controller is not None else None)
        except Exception:  # cannot inspect the libraries: run as is
            _FOUND.append(None)
    if _FOUND[0] is None:
        return contextlib.nullcontext()
    try:
        return _FOUND[0].limit(limits=1, user_api="blas")
    except Exception:
        return contextlib.nullcontext()
