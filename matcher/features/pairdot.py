"""Row-wise products of two sparse matrices for many pairs of rows, without a loop over pairs."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Up to this many cells the dense cross product of the distinct rows is cheaper than gathering.
DENSE_CELLS = 4_000_000


def pair_dot(a: sp.csr_matrix, a_rows: np.ndarray, b: sp.csr_matrix, b_rows: np.ndarray) -> np.ndarray:
    """``(a[a_rows[i]] * b[b_rows[i]]).sum()`` for every i, as a float array.

    Pairs usually repeat rows (one citizen against every open opportunity), so the product of
    the distinct rows is computed once and gathered; otherwise the rows are gathered and
    multiplied element-wise.
    """
    if len(a_rows) == 0:
        return np.zeros(0)
    ua, ia = np.unique(a_rows, return_inverse=True)
    ub, ib = np.unique(b_rows, return_inverse=True)
    if len(ua) * len(ub) <= max(DENSE_CELLS, 2 * len(a_rows)):
        cross = (a[ua] @ b[ub].T).toarray()
        return cross[ia, ib].astype(float)
    return np.asarray(a[a_rows].multiply(b[b_rows]).sum(axis=1), dtype=float).ravel()
