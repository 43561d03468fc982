"""Confidence intervals of shares, one definition for every room that estimates one: bot shares
(ranking.bots, ranking.quality), a gather's target shares (ranking.gather)."""

from __future__ import annotations

import numpy as np

Z95 = 1.959964  # the normal quantile for a two-sided 95% interval


def wilson(k, n, z: float = Z95):
    r"""Wilson score interval for k successes in n trials: ``(low, high)``, NaN where n = 0.

    Unlike p ± z√(p(1−p)/n) it stays within [0, 1] and stays honest for small n and p near 0 or 1.
    With ``p = k / n``:

    .. math::

        \mathrm{centre} = \frac{p + z^2 / 2n}{1 + z^2 / n}, \qquad
        \mathrm{half} = \frac{z}{1 + z^2 / n} \sqrt{\frac{p (1 - p)}{n} + \frac{z^2}{4 n^2}}, \qquad
        (\mathrm{low}, \mathrm{high}) = \mathrm{centre} \mp \mathrm{half}

    clipped to [0, 1].

    Parameters
    ----------
    k, n : array_like
        Successes and trials (broadcast together).
    z : float
        Normal quantile: 1.96 for a two-sided 95% interval.

    Returns
    -------
    (ndarray, ndarray)
        The lower and upper ends.

    Examples
    --------
    >>> low, high = wilson([3, 0, 45], [10, 0, 100])
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.108, nan, 0.356], [0.603, nan, 0.548])

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
       JASA 22(158), 209–212.
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)
