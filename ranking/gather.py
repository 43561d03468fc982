r"""Where a target audience gathers across a whole platform (``pagescout gather``): the pages a sample of
the audience follows, ranked by how concentrated the audience is there.

The VK audience tools targetologists pay for (TargetHunter, Cerebro, Pepper.Ninja: "communities of the
core audience") rank pages by the share of an audience that follows them, against how common the page
is on the platform. Here every share is an estimate from a sample of the audience, so it comes with its
Wilson interval, and the default order is by the interval's lower end: 3 of 200 members is weak
evidence, whatever affinity it implies.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
   JASA 22(158), 209–212.
.. [2] VK's audience tools: "affinity index" (аффинитивность) of a community for an audience, as
   TargetHunter and Pepper.Ninja report it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ranking.frames import Gathered
from ranking.intervals import Z95, wilson

#: Accounts on each platform, the N of ``affinity``: public estimates (Bluesky: about 40 million
#: registered accounts in late 2025; Mastodon: about 9 million accounts across the instances FediDB
#: counts; VK: about 90 million monthly users). They scale affinity and never change the order;
#: ``--platform-size`` overrides them.
PLATFORM_SIZES = {"bluesky": 40_000_000, "mastodon": 9_000_000, "vk": 90_000_000}
MIN_SHARE = 0.05

#: The gather table's columns and what each means (the .xlsx Metrics sheet).
GATHER_COLUMNS = {
    "platform": "platform of the page",
    "handle": "the page's handle",
    "name": "its display name",
    "url": "its profile",
    "target_members": "c_B: sampled members of the target audience whose follow list was read and who follow it",
    "lists_read": "n: sampled members whose follow list was read (hidden, empty and failed lists are not counted)",
    "target_share": "c_B / n: the share of the target audience that follows it, estimated from the sample",
    "target_share_low": "lower end of target_share's 95% Wilson interval",
    "target_share_high": "upper end of target_share's 95% Wilson interval",
    "followers": "followers the page shows (empty where it shows none)",
    "affinity": "100 × target_share / (followers / N_platform): 100 = as common as across the platform, "
                "300 = three times; N_platform is an estimate (--platform-size)",
    "affinity_low": "the same from target_share_low: the affinity the sample supports at the least (the default order)",
}


def affinity(share, followers, platform_size: float):
    r"""How much more common a page is in the audience than on the whole platform, in percent.

    .. math::

        \mathrm{affinity} = 100 \cdot \frac{c_B / n}{F_B / N}

    with :math:`c_B` of the :math:`n` sampled members following page :math:`B`, :math:`F_B` its
    followers and :math:`N` the platform's accounts: 100 = as common as across the platform, 300 =
    three times. NaN where the page shows no follower count (or zero).

    Examples
    --------
    >>> affinity([0.2, 0.2, 0.05], [1_000, 10_000, None], 1_000_000).tolist()
    [20000.0, 2000.0, nan]
    """
    share = np.asarray(share, dtype="float64")
    followers = pd.to_numeric(pd.Series(followers, dtype="object"), errors="coerce").to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(followers > 0, 100 * share / (followers / platform_size), np.nan)


def margin_of_error(share: float, n: int, z: float = Z95) -> float:
    r"""Half-width of the normal interval of a share ``share`` estimated from ``n`` members; NaN for no
    members: the margin of error the summary states at ``--min-share``.

    .. math::

        \mathrm{margin} = z \sqrt{s (1 - s) / n}

    Examples
    --------
    >>> round(margin_of_error(0.05, 1000), 4)
    0.0135
    """
    return float(z * np.sqrt(share * (1 - share) / n)) if n > 0 else float("nan")


def gathered_pages(gathered: Gathered, *, min_share: float = MIN_SHARE, platform_size: float | None = None,
                   top: int | None = None) -> pd.DataFrame:
    r"""The pages the gather's sample follows, ranked: one row per page with
    :math:`\mathrm{target\_share} = c_B / n \ge` ``min_share``, the targets left out.

    :math:`n` = sampled members whose follow list was read, :math:`c_B` = those among them whose list
    showed :math:`B`:

    .. math::

        \mathrm{target\_share} = \frac{c_B}{n}, \qquad
        [\mathrm{low}, \mathrm{high}] = \mathrm{Wilson}_{95\%}(c_B, n), \qquad
        \mathrm{affinity} = 100\,\frac{c_B / n}{F_B / N}, \qquad
        \mathrm{affinity\_low} = 100\,\frac{\mathrm{low}}{F_B / N}

    sorted by ``affinity_low`` (pages without a follower count last, by ``target_members``), then by
    ``target_members``. ``attrs["summary"]`` holds the run's figures: members sampled, lists read, hidden
    and failed, pages found, how the sample was drawn, and the margin of error at ``min_share``.

    Examples
    --------
    >>> from ranking.frames import Gathered
    >>> run = {"platform": "mastodon", "run": "r", "targets": "shop@a.example", "sampling": "first",
    ...        "members_sampled": 5, "pages_found": 3, "min_members": 1}
    >>> members = pd.DataFrame({"member_key": [1, 2, 3, 4, 5], "outcome": ["read"] * 4 + ["hidden"]})
    >>> follows = pd.DataFrame({"page": ["big@a.example"] * 3 + ["niche@a.example"] * 2,
    ...                         "member_key": [1, 2, 3, 1, 2]})
    >>> accounts = pd.DataFrame({"platform": "mastodon", "handle": ["big@a.example", "niche@a.example"],
    ...                          "name": ["Big", "Niche"], "url": None, "followers": [90_000, 900]})
    >>> table = gathered_pages(Gathered(run, members, ("big@a.example", "niche@a.example"), follows, accounts),
    ...                        platform_size=9_000_000)
    >>> table[["handle", "target_members", "target_share", "affinity"]]
                handle  target_members  target_share  affinity
    0  niche@a.example               2          0.50  500000.0
    1    big@a.example               3          0.75    7500.0
    >>> table.attrs["summary"]["lists_read"], table.attrs["summary"]["lists_hidden"]
    (4, 1)
    """
    run = gathered.run or {}
    platform = str(run.get("platform") or "")
    size = float(platform_size or PLATFORM_SIZES.get(platform, np.nan))
    outcomes = gathered.members["outcome"].astype(str)
    read = gathered.members.loc[outcomes.eq("read").to_numpy(), "member_key"].to_numpy()
    n = len(read)
    summary = {
        "platform": platform, "targets": [t for t in str(run.get("targets") or "").split(",") if t],
        "sampling": run.get("sampling"), "members_sampled": run.get("members_sampled"),
        "lists_read": n, "lists_hidden": int(outcomes.eq("hidden").sum()),
        "lists_failed": int(outcomes.eq("failed").sum()), "pages_found": run.get("pages_found"),
        "min_share": min_share, "margin_at_min_share": margin_of_error(min_share, n),
        "platform_size": size, "finished": bool(run.get("finished")),
    }
    follows = gathered.follows
    counted = follows[np.isin(follows["member_key"].to_numpy(), read)]
    counts = counted.groupby(counted["page"].astype(str), observed=True)["member_key"].nunique()
    counts = counts[~counts.index.isin(summary["targets"])]
    table = pd.DataFrame({"platform": platform, "handle": counts.index.astype(str),
                          "target_members": counts.to_numpy(dtype="int64"), "lists_read": n})
    accounts = gathered.accounts
    if len(accounts):
        info = accounts.assign(handle=accounts["handle"].astype(str)).set_index("handle")
        for column in ("name", "url", "followers"):
            table[column] = table["handle"].map(info[column]) if column in info else None
    else:
        table["name"] = table["url"] = table["followers"] = None
    with np.errstate(invalid="ignore", divide="ignore"):
        table["target_share"] = table["target_members"] / n if n else np.nan
    table = table[table["target_share"] >= min_share].copy()
    low, high = wilson(table["target_members"], table["lists_read"])
    table["target_share_low"], table["target_share_high"] = low, high
    table["followers"] = pd.to_numeric(table["followers"], errors="coerce")
    table["affinity"] = affinity(table["target_share"], table["followers"], size)
    table["affinity_low"] = affinity(table["target_share_low"], table["followers"], size)
    table = table.sort_values(["affinity_low", "target_members", "handle"], ascending=[False, False, True],
                              na_position="last", kind="mergesort").reset_index(drop=True)
    if top is not None:
        table = table.head(top)
    table = table[list(GATHER_COLUMNS)]
    table.attrs["summary"] = summary
    return table
