"""Every metric of ranking/ carries its formula and an example that runs: the project's rule, in numpydoc form.

A metric's docstring must hold a ``.. math::`` block and an ``Examples`` section with at least one
doctest that shows a result (``--doctest-modules`` runs them; this test makes sure they are there).
The list is explicit, module by module, so plumbing (frames in, frames out) is not forced to have a
formula; a new metric joins the list with its docstring.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest

# Left out as plumbing: overlap's target_from_keys, is_sample, followers_and_coverage, candidate_matrix,
# sample_note; plan's money, fill_in_order; shortlist's brief_columns and ShortlistOptions.from_brief.
METRICS: dict[str, list[str]] = {
    "ranking.engagement": ["interactions", "post_rates", "posts_per_week", "citations", "account_metrics"],
    "ranking.graph": ["pagerank", "reach_of", "citer_weight", "citation_index", "top_terms", "communities",
                      "authority"],
    "ranking.growth": ["growth", "growth_table", "spikes"],
    "ranking.overlap": ["shared_counts", "jaccard_from_shared", "overlap_from_shared", "shared", "jaccard", "overlap",
                        "set_audience", "target_from_accounts", "target_metrics", "audience_coverage", "target_mask",
                        "target_columns", "compare_audiences", "affinity_table"],
    "ranking.plan": ["coverage", "greedy", "best_single", "choose_placements", "placement_table", "compare_strategies",
                     "expected_reach", "plan_placements"],
    "ranking.bots": ["corrected_share"],
    "ranking.ads": ["ad_metrics", "advertisers"],
    "ranking.money": ["money_columns"],
    "ranking.standout": ["overperformance", "standout_columns"],
    "ranking.gather": ["affinity", "margin_of_error", "gathered_pages"],
    "ranking.intervals": ["wilson"],
    "ranking.quality": ["member_flags", "bot_share", "comments_per_like", "engagement_features",
                        "isolation_anomalies", "platform_norms", "engagement_rules", "quality_score", "temperature",
                        "quality_columns"],
    "ranking.relevance": ["cosine_to", "relevance", "detect_language"],
    "ranking.score": ["components", "v2_components", "percentiles", "why", "score"],
    "ranking.shortlist": ["audience_sampled", "same_as_pages", "tidy_numbers", "shortlist"],
    "ranking.similar": ["set_jaccard", "audience_jaccard", "similar"],
}
LISTED = [f"{module}.{name}" for module, names in METRICS.items() for name in names]

MATH_BLOCK = re.compile(r"^\.\. math::\n\n(?: {4}\S.*\n?)+", re.MULTILINE)
SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}\n", re.MULTILINE)


def sections(doc: str) -> dict[str, str]:
    """numpydoc section title → its text (up to the next title)."""
    found = list(SECTION.finditer(doc))
    return {m.group(1): doc[m.end():found[i + 1].start() if i + 1 < len(found) else len(doc)]
            for i, m in enumerate(found)}


def missing(doc: str) -> list[str]:
    """What a metric's docstring lacks: "formula" (a ``.. math::`` block), "example" (an ``Examples``
    section with a doctest that shows a result)."""
    lacking = [] if MATH_BLOCK.search(doc) else ["formula"]
    examples = sections(doc).get("Examples", "")
    if not any(example.want.strip() for example in doctest.DocTestParser().get_examples(examples)):
        lacking.append("example")
    return lacking


def module_and_function(qualified: str):
    module_name, name = qualified.rsplit(".", 1)
    module = importlib.import_module(module_name)
    return module, getattr(module, name, None)


@pytest.mark.parametrize("qualified", LISTED)
def test_metric_is_a_public_function_of_its_module(qualified):
    module, function = module_and_function(qualified)
    assert inspect.isfunction(function), f"{qualified} is not a function of {module.__name__}"
    assert function.__module__ == module.__name__, f"{qualified} is imported from {function.__module__}"
    assert not function.__name__.startswith("_")


@pytest.mark.parametrize("qualified", LISTED)
def test_metric_docstring_has_its_formula_and_an_example(qualified):
    _, function = module_and_function(qualified)
    lacking = missing(inspect.getdoc(function) or "")
    assert not lacking, f"{qualified}: its docstring lacks a {' and an '.join(lacking)}"


DOCUMENTED = """Share of a set.

.. math::

    s = k / n

Examples
--------
>>> 1 / 4
0.25

References
----------
.. [1] Someone (2000).
"""


def test_the_check_tells_a_documented_metric_from_an_undocumented_one():
    assert missing(DOCUMENTED) == []
    assert missing("A figure with words only.") == ["formula", "example"]
    assert missing(DOCUMENTED.replace(".. math::", "Formula:")) == ["formula"]
    assert missing(DOCUMENTED.replace(">>> 1 / 4\n0.25", ">>> share = 1 / 4")) == ["example"]  # runs, shows nothing
    assert missing(DOCUMENTED.replace("Examples\n--------\n", "")) == ["example"]  # a doctest outside Examples
