r"""What a placement costs per thousand views and per interaction, from the user's prices file.

A page without a price leaves these figures empty: no price is ever made up.

References
----------
.. [1] CPM (cost per mille), the advertising industry's price of a thousand impressions; TGStat and
   Telemetr quote it per Telegram placement as price × 1000 / views of a post.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ranking.engagement import interactions
from ranking.plan import expected_reach

MONEY_COLUMNS: dict[str, str] = {
    "price": "Price of one placement, from the prices file (--prices); empty for a page it does not price.",
    "cpm": "price × 1000 / expected views: the prices file's expected_reach, else median views per post, else "
           "followers × the platform's median reach rate.",
    "cpe": "price / median interactions per post (likes or reactions + comments + reposts): what one interaction "
           "costs.",
}


def money_columns(table: pd.DataFrame, prices: pd.DataFrame, posts: pd.DataFrame,
                  expected_views: pd.Series | None = None) -> pd.DataFrame:
    r"""``price``, ``cpm`` and ``cpe`` of each page of ``table`` (platform, handle, followers,
    median_views, reach_rate), aligned with it.

    .. math::

        \mathrm{cpm}(a) = \frac{1000 \cdot \mathrm{price}(a)}{V(a)}, \qquad
        \mathrm{cpe}(a) = \frac{\mathrm{price}(a)}{\operatorname{median}_{p \in P_a} I(p)}

    with :math:`V(a)` the prices file's ``expected_reach``, else the page's expected views
    (``ranking.plan.expected_reach`` rounded to whole views, over the pages of ``table`` or as
    ``expected_views``, indexed by platform and handle, gives them), and :math:`I(p)` a post's interactions over the page's posts
    :math:`P_a` (replies left out). Empty where the page has no price, or the divisor is unknown or 0.

    Examples
    --------
    >>> table = pd.DataFrame({"platform": "telegram", "handle": ["a", "b", "c"], "followers": [1000, 2000, 500],
    ...                       "median_views": [400.0, None, 100.0], "reach_rate": [0.4, None, 0.2]})
    >>> prices = pd.DataFrame({"platform": "telegram", "handle": ["a", "b"], "price": [20.0, 30.0],
    ...                        "expected_reach": [None, 1500.0]})
    >>> posts = pd.DataFrame({"platform": "telegram", "account": ["a", "a", "b"], "likes": [4, 6, 0],
    ...                       "comments": None, "reposts": None, "kind": "post"})
    >>> money_columns(table, prices, posts)
       price   cpm  cpe
    0   20.0  50.0  4.0
    1   30.0  20.0  NaN
    2    NaN   NaN  NaN
    """
    index = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))
    priced = prices.assign(platform=prices["platform"].astype(str), handle=prices["handle"].astype(str))
    priced = priced.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])
    price = priced["price"].reindex(index).to_numpy(dtype="float64")
    views = priced["expected_reach"].reindex(index).to_numpy(dtype="float64")
    if expected_views is None:  # as plan reckons it: over the pages given, rounded to whole views
        estimate = np.floor(expected_reach(table.reset_index(drop=True)).to_numpy(dtype="float64") + 0.5)
    else:
        estimate = expected_views.reindex(index).to_numpy(dtype="float64")
    views = np.where(np.isnan(views), estimate, views)
    typical = pd.Series(np.nan, index=index)
    if posts is not None and len(posts):
        own = posts[posts["kind"].ne("reply")] if "kind" in posts.columns else posts
        per_post = own.assign(interactions=interactions(own).to_numpy())
        medians = per_post.groupby([per_post["platform"].astype(str), per_post["account"].astype(str)])[
            "interactions"].median()
        typical = medians.reindex(index)
    typical = typical.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        cpm = np.where(views > 0, 1000 * price / views, np.nan)
        cpe = np.where(typical > 0, price / typical, np.nan)
    return pd.DataFrame({"price": price, "cpm": np.round(cpm, 2), "cpe": np.round(cpe, 2)}, index=table.index)
