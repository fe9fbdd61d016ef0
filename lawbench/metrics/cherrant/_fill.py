"""The cell loop of :func:`lawbench.metrics.cherrant.alignment.align`, compiled with numba.

Imported only when a table is filled, so that nothing else pays numba's import.
"""

import numpy as np
from numba import njit

from lawbench.metrics.cherrant.alignment import D, I, M, S, T


@njit(cache=True, nogil=True)
def fill(sub, src, tgt, n_types, cost, ops, block):
    """ChERRANT's loop over the cells; floats are added and compared as ChERRANT does, in its order.

    ``sub``: substitution costs; ``src`` / ``tgt``: token codes below ``n_types``; fills ``cost``,
    ``ops`` (operation bits) and ``block`` (``k + 1`` of a chosen transposition).
    """
    n, m = sub.shape
    for a in range(1, n + 1):
        cost[a, 0] = cost[a - 1, 0] + 1
        ops[a, 0] = D
    for b in range(1, m + 1):
        cost[0, b] = cost[0, b - 1] + 1
        ops[0, b] = I
    balance = np.zeros(n_types, dtype=np.int64)  # window character counts, source minus target
    for i in range(n):
        for j in range(m):
            if src[i] == tgt[j]:
                cost[i + 1, j + 1] = cost[i, j]
                ops[i + 1, j + 1] = M
                continue
            del_cost = cost[i, j + 1] + 1
            ins_cost = cost[i + 1, j] + 1
            sub_cost = cost[i, j] + sub[i, j]
            trans_cost, k = _transposition(cost, src, tgt, i, j, balance)
            best = trans_cost
            if sub_cost < best:
                best = sub_cost
            if ins_cost < best:
                best = ins_cost
            if del_cost < best:
                best = del_cost
            bits = 0
            if trans_cost == best:
                bits |= T
                block[i + 1, j + 1] = k + 1
            if sub_cost == best:
                bits |= S
            if ins_cost == best:
                bits |= I
            if del_cost == best:
                bits |= D
            cost[i + 1, j + 1] = best
            ops[i + 1, j + 1] = bits


@njit(cache=True, nogil=True)
def _transposition(cost, src, tgt, i, j, balance):
    """ChERRANT's search: the smallest ``k`` whose windows ``src[i-k..i]`` and ``tgt[j-k..j]`` hold the
    same characters, walking back while each diagonal step changed the cost. ``(cost, k)`` or
    ``(inf, 0)``; ``balance`` is all zeros again on return."""
    balance[src[i]] += 1
    balance[tgt[j]] -= 1
    unequal = 2  # characters whose counts differ (src[i] != tgt[j])
    found_cost, found_k = np.inf, 0
    k = 1
    while i - k >= 0 and j - k >= 0 and cost[i - k + 1, j - k + 1] != cost[i - k, j - k]:
        for code, change in ((src[i - k], 1), (tgt[j - k], -1)):
            before = balance[code]
            balance[code] = before + change
            if before == 0:
                unequal += 1
            elif before + change == 0:
                unequal -= 1
        if unequal == 0:
            found_cost, found_k = cost[i - k, j - k] + k, k
            break
        k += 1
    for back in range(min(k, i, j) + 1):  # undo every count touched
        balance[src[i - back]] = 0
        balance[tgt[j - back]] = 0
    return found_cost, found_k
