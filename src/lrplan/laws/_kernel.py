"""The sums behind the laws, in NumPy: exact direct sums and a fast sum-of-exponentials evaluation.

Every law sees a schedule only through its values at integer steps, ``lr = schedule(np.arange(n))``.
Step ``t`` of a curve is the loss after the updates ``0 .. t`` (the sums run up to and including
``t``), the indexing of the multi-power law's reference code (Luo et al. 2025, ``src/models.py``).

**The multi-power loss drop.** With :math:`\\sigma_t = \\sum_{\\tau \\le t} \\eta_\\tau`,
:math:`w_k = \\eta_{k-1} - \\eta_k`, :math:`s_k = \\sigma_{k-1}` and :math:`a_k = \\eta_k^\\gamma / C`,

.. math::
    LD(t) = \\sum_{k=1}^{t} w_k \\bigl(1 - (1 + C\\eta_k^{-\\gamma}(\\sigma_t - s_k))^{-\\beta}\\bigr)
          = W(t) - \\sum_{k=1}^{t} v_k\\, (\\sigma_t - p_k)^{-\\beta},

where :math:`W(t) = \\sum_{k \\le t} w_k = \\eta_0 - \\eta_t`, :math:`v_k = w_k a_k^\\beta` and
:math:`p_k = s_k - a_k`. The second sum is a single power kernel of the distance
:math:`x = \\sigma_t - p_k \\ge \\eta_k + a_k`. Written naively it costs O(t) per step, O(n^2) per curve
(:func:`drop_direct`). :func:`drop_fast` replaces :math:`x^{-\\beta}` by a sum of exponentials,

.. math::
    x^{-\\beta} = \\frac{1}{\\Gamma(\\beta)} \\int_{-\\infty}^{\\infty} e^{\\beta\\tau - e^\\tau x}\\, d\\tau
    \\approx \\sum_j \\lambda_j e^{-u_j x} + \\text{(a short polynomial for the smallest } u_j),

(the trapezoidal rule in :math:`\\tau`, spectrally accurate), and each exponential term obeys the
exact recurrence :math:`R_j(t) = e^{-u_j \\eta_t} R_j(t-1) + v_t e^{-u_j(\\eta_t + a_t)}`, so a whole
curve costs O(J n) with J of about 30-70 terms.

**Error bound.** The nodes are chosen so that the relative error of the exponential sum is below
``SOE_TOLERANCE`` (1e-10) for every distance :math:`x` the curve can produce; since
:math:`|v_k| x^{-\\beta} \\le |w_k|`, the fast drop differs from the exact one by at most
``SOE_TOLERANCE * sum(|w_k|)`` (plus rounding), and the predicted loss by ``B`` times that.
Values below 1e-150 are flushed to zero in the recurrences (no subnormal arithmetic); the change is
below 1e-140 absolute.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SOE_TOLERANCE",
    "soe_nodes",
    "decay_scan",
    "drop_fast",
    "drop_direct",
    "drop_bound",
    "momentum_area",
]

Array = NDArray[np.float64]

SOE_TOLERANCE = 1e-10
"""Relative error of the exponential sum that :func:`drop_fast` uses for the power kernel."""

_TAIL = 0.05  # nodes with u_j <= _TAIL (on distances scaled to <= 1) become a polynomial
_FLUSH = 2.0**-350  # adding and removing it flushes |x| < 2**-403 to zero
_BLOCK = 64  # steps per block of the recurrence
_CHUNK = 4_096  # steps held in memory at once (the fastest size measured)


def soe_nodes(beta: float, ratio: float, tol: float = SOE_TOLERANCE) -> tuple[Array, Array, Array]:
    """Nodes ``u``, weights ``lam`` and polynomial ``coef`` with, for ``1/ratio <= y <= 1``,

    ``|sum(lam * exp(-u * y)) + sum(coef[m] * y**m) - y**-beta| <= tol * y**-beta``.

    The trapezoidal step ``h`` makes the discretisation error
    ``2 |Gamma(beta + 2 pi i / h)| / Gamma(beta)`` (Stirling's bound, with margin) at most ``tol / 4``;
    the upper truncation leaves out ``Gamma(beta, 40 + 2 beta) / Gamma(beta)``; the nodes below
    ``u = 0.05`` are summed exactly as a power series in ``y``, truncated once a term is below ``tol / 8``.

    Example:
        >>> import numpy as np
        >>> u, lam, coef = soe_nodes(0.6, 1e4)
        >>> y = np.geomspace(1e-4, 1.0, 1000)
        >>> approx = (lam[:, None] * np.exp(-np.outer(u, y))).sum(0) + np.polyval(coef[::-1], y)
        >>> bool(np.max(np.abs(approx * y**0.6 - 1)) < 1e-10)
        True
    """
    g = math.gamma(beta)
    h = 1.0
    while True:
        t = 2.0 * math.pi / h
        if 2.0 * 2.6 * t ** (beta - 0.5) * math.exp(-math.pi * t / 2.0) / g < tol / 4.0:
            break
        h *= 0.95
    tau_c = math.log(_TAIL)
    tau_max = math.log((40.0 + 2.0 * beta) * max(ratio, 1.0))
    count = math.ceil((tau_max - tau_c) / h)
    tau = tau_c + h * np.arange(1, count + 1)
    u = np.exp(tau)
    lam = h * np.exp(beta * tau) / g
    coef: list[float] = []
    m = 0
    while True:
        c = (-1.0) ** m / math.factorial(m) * h * math.exp((beta + m) * tau_c) / (1.0 - math.exp(-(beta + m) * h)) / g
        coef.append(c)
        if m > 0 and abs(c) < tol / 8.0:
            break
        m += 1
    return u, lam, np.array(coef)


def _flush(x: Array) -> None:
    x += _FLUSH
    x -= _FLUSH


def _blocked(x: Array, fill: float) -> Array:
    """A per-step vector as a (position in block, block) array, padded with ``fill``."""
    n = len(x)
    nb = -(-n // _BLOCK)
    out = np.full(nb * _BLOCK, fill)
    out[:n] = x
    return out.reshape(nb, _BLOCK).T


def _scan_blocked(
    d: Array, b: Array, r0: Array, lam: Array, work: tuple[Array, Array] | None = None
) -> tuple[Array, Array]:
    """``lam @ R`` for the recurrences ``R[t] = d[t] R[t-1] + b[t]`` (one per row), ``R[-1] = r0``.

    ``d`` and ``b`` have shape ``(64, rows, blocks)``: step ``t`` is ``[t % 64, :, t // 64]``, and
    ``d >= e**-36``. Returns ``lam @ R`` as ``(64, blocks)`` and the state after the last step.
    The loop runs over the 64 positions of a block (each a contiguous slab of every block at once),
    then carries the block-end states from block to block. ``work``: two buffers of the same shape
    to reuse (fresh memory costs page faults, more than the arithmetic).
    """
    q, rows, nb = d.shape
    _flush(b)
    r, prod = work if work is not None else (np.empty_like(b), np.empty_like(d))  # prod: products of d
    r[0] = b[0]
    prod[0] = d[0]
    for i in range(1, q):
        np.multiply(d[i], r[i - 1], out=r[i])
        r[i] += b[i]
        np.multiply(d[i], prod[i - 1], out=prod[i])
        if i % 4 == 0:
            _flush(r[i])
            _flush(prod[i])
    carry = np.empty((rows, nb))
    c = np.array(r0, dtype=np.float64)
    last_d, last_r = prod[-1], r[-1]
    for k in range(nb):
        carry[:, k] = c
        c = last_d[:, k] * c + last_r[:, k]
        _flush(c)
    prod *= carry[None]
    out = np.matmul(lam, r) + np.matmul(lam, prod)
    return out, c


def decay_scan(d: Array, b: Array, r0: float) -> tuple[Array, float]:
    """The linear recurrence ``R[t] = d[t] * R[t-1] + b[t]`` (``R[-1] = r0``) of a single row.

    ``d`` and ``b`` are per-step vectors with ``e**-36 <= d <= 1``; returns ``R`` and its last value.

    Example:
        >>> import numpy as np
        >>> decay_scan(np.full(5, 0.5), np.array([1.0, 0.0, 0.0, 2.0, 0.0]), 0.0)[0]
        array([1.    , 0.5   , 0.25  , 2.125 , 1.0625])
    """
    n = len(d)
    out, c = _scan_blocked(
        _blocked(d, 1.0)[:, None, :], _blocked(b, 0.0)[:, None, :], np.array([r0], dtype=np.float64), np.ones(1)
    )
    return out.T.reshape(-1)[:n], float(c[0])


def _sources(lrs: Array, C: float, gamma: float, beta: float) -> tuple[Array, Array, Array, Array, Array]:
    """(sigma, w, a, v, p) of the multi-power drop, as defined in the module docstring."""
    n = len(lrs)
    sigma = np.cumsum(lrs)
    w = np.zeros(n)
    w[1:] = lrs[:-1] - lrs[1:]
    s = np.zeros(n)
    s[1:] = sigma[:-1]
    pos = lrs > 0
    a = np.zeros(n)
    a[pos] = lrs[pos] ** gamma / C
    v = np.zeros(n)
    v[pos] = w[pos] * a[pos] ** beta
    return sigma, w, a, v, s - a


def _zero_lr_correction(lrs: Array) -> Array:
    """``W(t) - W(L(t))`` where ``L(t)`` is the last step <= t with a positive lr: the sources whose
    every later lr is 0 have made no progress yet (their term is 0, not 1)."""
    n = len(lrs)
    pos = lrs > 0
    last = np.maximum.accumulate(np.where(pos, np.arange(n), -1))
    out = np.zeros(n)
    hit = ~pos & (last >= 0)
    out[hit] = lrs[last[hit]]
    return out


def drop_fast(lrs: Array, C: float, beta: float, gamma: float) -> Array:
    """The multi-power loss drop ``LD(t)`` at every step ``t < len(lrs)``, in O(J n).

    Within ``SOE_TOLERANCE * sum(|w|)`` (plus rounding) of :func:`drop_direct`; see the module docstring.

    Example:
        >>> import numpy as np
        >>> lrs = np.r_[np.linspace(0, 1e-3, 50), np.full(50, 1e-3), np.full(100, 1e-4)]
        >>> fast = drop_fast(lrs, 2.0, 0.6, 0.6)
        >>> exact = drop_direct(lrs, 2.0, 0.6, 0.6, np.arange(200))
        >>> bool(np.max(np.abs(fast - exact)) <= drop_bound(lrs))
        True
    """
    n = len(lrs)
    sigma, w, a, v, p = _sources(lrs, C, gamma, beta)
    live = (w != 0) & (lrs > 0)
    live[0] = False
    out: Array = (lrs[0] - lrs) - _zero_lr_correction(lrs)
    if not live.any():
        return out
    scale = sigma[-1] - min(float(p[live].min()), 0.0)  # every distance x is at most this
    nearest = float((lrs + a)[live].min())
    u, lam, coef = soe_nodes(beta, scale / nearest)
    # the smallest exponentials, as a polynomial in y = (sigma_t - p_k) / scale
    powers = np.cumsum(v[None, :] * (p / scale)[None, :] ** np.arange(len(coef))[:, None], axis=1)
    sx = sigma / scale
    poly = np.zeros(n)
    for m, c in enumerate(coef):
        for i in range(m + 1):
            poly += c * math.comb(m, i) * (-1.0) ** i * sx ** (m - i) * powers[i]
    rates = (u / scale)[None, :, None]
    expo = np.empty(n)
    state = np.zeros(len(u))
    size = min(n, _CHUNK)
    shape = (_BLOCK, len(u), -(-size // _BLOCK))
    d, b, r, prod = (np.empty(shape) for _ in range(4))  # reused by every chunk
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        if stop - start < size:  # the last, shorter chunk
            size = stop - start
            shape = (_BLOCK, len(u), -(-size // _BLOCK))
            d, b, r, prod = (x.reshape(-1)[: math.prod(shape)].reshape(shape) for x in (d, b, r, prod))
        lr_b = _blocked(lrs[start:stop], 0.0)[:, None, :]
        np.multiply(rates, lr_b, out=d)
        np.add(lr_b, _blocked(a[start:stop], 0.0)[:, None, :], out=b[:, :1, :])
        np.multiply(rates, b[:, :1, :], out=b)
        np.minimum(d, 36.0, out=d)
        np.negative(d, out=d)
        np.exp(d, out=d)
        np.minimum(b, 200.0, out=b)
        np.negative(b, out=b)
        np.exp(b, out=b)
        b *= _blocked(v[start:stop], 0.0)[:, None, :]
        y, state = _scan_blocked(d, b, state, lam, (r, prod))
        expo[start:stop] = y.T.reshape(-1)[: stop - start]
    result: Array = out - scale ** (-beta) * (expo + poly)
    return result


def drop_direct(lrs: Array, C: float, beta: float, gamma: float, steps: NDArray[np.int64]) -> Array:
    """The multi-power loss drop at ``steps``, summed term by term: O(t) per step (the reference).

    ``1 - (1 + C eta_k^-gamma (sigma_t - s_k))^-beta`` is evaluated as ``-expm1(-beta log1p(.))``; a
    source with ``eta_k = 0`` counts 1 once the lr has moved on since, 0 before (the limit).

    Example:
        >>> import numpy as np
        >>> lrs = np.array([0.0, 1.0, 1.0, 0.5, 0.5])
        >>> drop_direct(lrs, 1.0, 1.0, 0.0, np.array([2, 3, 4]))  # w = [0, -1, 0, 0.5, 0]
        array([-0.66666667, -0.54761905, -0.5       ])
    """
    sigma = np.cumsum(lrs)
    n = len(lrs)
    w = np.zeros(n)
    w[1:] = lrs[:-1] - lrs[1:]
    k = np.flatnonzero(w)
    out = np.zeros(len(steps))
    if len(k) == 0:
        return out
    eta = lrs[k]
    s = np.where(k > 0, sigma[np.maximum(k - 1, 0)], 0.0)
    pos = eta > 0
    factor = np.where(pos, C * np.where(pos, eta, 1.0) ** -gamma, np.inf)
    per_chunk = max(1, 2_000_000 // len(k))
    for start in range(0, len(steps), per_chunk):
        t = steps[start : start + per_chunk]
        dist = sigma[t][:, None] - s[None, :]
        on = k[None, :] <= t[:, None]
        with np.errstate(invalid="ignore", over="ignore"):
            y = factor[None, :] * np.maximum(dist, 0.0)
            g = -np.expm1(-beta * np.log1p(y))
        g = np.where(np.isnan(y), 0.0, np.where(np.isinf(y), 1.0, g))  # eta_k = 0: inf * 0 = no progress
        out[start : start + per_chunk] = (np.where(on, g, 0.0) * w[k][None, :]).sum(axis=1)
    return out


def drop_bound(lrs: Array) -> float:
    """``SOE_TOLERANCE * sum(|w_k|)``: the bound on ``|drop_fast - drop_direct|`` (before rounding)."""
    return SOE_TOLERANCE * float(np.abs(np.diff(lrs)).sum())


def momentum_area(lrs: Array, decay: float) -> Array:
    """The annealing area ``S2(t) = sum_{k=1..t} m_k``, ``m_k = decay m_{k-1} + (eta_{k-1} - eta_k)``.

    Exact in closed form: ``S2(t) = (W(t) - decay m_t) / (1 - decay)`` with ``W(t) = eta_0 - eta_t``, and
    ``m_t`` from the recurrence itself (:func:`decay_scan`). ``decay = 0`` gives ``S2 = W``.

    Example:
        >>> import numpy as np
        >>> momentum_area(np.array([1.0, 1.0, 0.5, 0.5, 0.5]), 0.5)
        array([0.   , 0.   , 0.5  , 0.75 , 0.875])
    """
    n = len(lrs)
    w = np.zeros(n)
    w[1:] = lrs[:-1] - lrs[1:]
    if decay == 0.0:
        plain: Array = lrs[0] - lrs
        return plain
    m, _ = decay_scan(np.full(n, decay), w, 0.0)
    area: Array = ((lrs[0] - lrs) - decay * m) / (1.0 - decay)
    return area
