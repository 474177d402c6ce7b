"""The evaluation: the split, provenance, and one end-to-end run on the small simulated world."""
from __future__ import annotations

import pandas as pd
import pytest

from matcher.settings import get_settings


def test_split_date_sits_at_the_fraction_of_the_history(small_world):
    from matcher.evaluate import split_date

    t = split_date(small_world, 0.8)
    share_before = (small_world.referrals["proposed_on"] < t).mean()
    assert 0.7 < share_before <= 0.8 + 1e-9


def test_fingerprint_changes_with_one_outcome(small_world):
    from dataclasses import replace

    from matcher.evaluate import data_fingerprint

    referrals = small_world.referrals.copy()
    assert data_fingerprint(small_world) == data_fingerprint(replace(small_world, referrals=referrals.copy()))
    i = referrals.index[referrals["outcome"] == "declined"][0]
    referrals.loc[i, "outcome"] = "hired"
    assert data_fingerprint(small_world) != data_fingerprint(replace(small_world, referrals=referrals))


def test_training_pairs_never_see_past_the_split(small_world):
    from matcher.evaluate import labelled_pairs, split_date

    t = split_date(small_world)
    train = labelled_pairs(small_world, None, t)
    ids = train["referral_id"]
    logged = small_world.referrals.set_index("referral_id").loc[ids]
    assert (logged["proposed_on"] < t).all() and (logged["outcome_on"] < t).all()


@pytest.fixture(scope="module")
def report(small_engine, small_world_dir, tmp_path_factory):
    from matcher.evaluate import run_evaluation

    mp = pytest.MonkeyPatch()
    mp.setenv("MATCHER_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))
    mp.setenv("MATCHER_RANKER__GRID", '{"num_leaves": [15]}')
    mp.setenv("MATCHER_RANKER__CHAIN_GRID", '{"num_leaves": [4]}')
    get_settings.cache_clear()
    try:
        yield run_evaluation(small_engine, truth_dir=small_world_dir)
    finally:
        mp.undo()
        get_settings.cache_clear()


MODELS = {"lightgbm", "lightgbm_chain", "lightgbm_lambdarank", "random", "popularity", "caseworker_rule", "embedding", "logistic", "lightfm", "als"}


def test_every_model_is_in_one_table(report):
    assert set(report.table.index) == MODELS
    for metric in ("ndcg@5", "ndcg@10", "map@10", "recall@10", "citizen_ndcg@10", "open_ndcg@10", "open_recall@10", "oracle_ratio@5", "oracle_ratio@10", "served_oracle@10", "hard_rules_oracle@10", "coverage@10"):
        values = report.table[metric]
        assert values.between(0, 1).all(), f"{metric}: {values.to_dict()}"
    assert report.sizes["train_pairs"] > report.sizes["test_pairs"] > 0
    assert report.sizes["truth_citizens"] > 0


def test_the_report_and_plots_are_written(report):
    text = report.report_path.read_text(encoding="utf-8")
    assert report.fingerprint in text and report.split.isoformat() in text
    for name in MODELS:
        assert f"| {name} |" in text
    assert [p.name for p in report.plots] == ["evaluation_models.png", "evaluation_oracle_curve.png"]
    for p in report.plots:
        assert p.exists() and p.stat().st_size > 5_000
    assert "lightgbm" in report.describe()


def test_the_oracle_curve_is_bounded_by_the_oracle(report):
    # Not monotone in general (the oracle's k-th pick can be worth more than the model's), but
    # never above 1, and equal to 1 once k covers every citizen's candidates.
    curves = report.curves
    assert list(curves.index) == list(range(1, 21))
    assert (curves <= 1 + 1e-9).all().all() and (curves > 0).all().all()


def test_lightgbm_beats_random_against_the_truth(report):
    t = report.table
    assert t.loc["lightgbm", "oracle_ratio@10"] > t.loc["random", "oracle_ratio@10"] + 0.05


def test_the_offpolicy_estimate_stands_next_to_the_truth(report):
    """Every model gets an estimate from the test window's logs, inside its own interval; the
    ordering it gives agrees with the truth where the truth's gap is wide."""
    t = report.table
    for name in MODELS:
        lo, dr, hi = t.loc[name, ["ope_dr@10_lo", "ope_dr@10", "ope_dr@10_hi"]]
        assert lo <= dr <= hi, name
        assert t.loc[name, "ope_ratio@10_lo"] <= t.loc[name, "ope_ratio@10"] <= t.loc[name, "ope_ratio@10_hi"]
    assert t.loc["lightgbm", "ope_dr@10"] > t.loc["random", "ope_dr@10"]
    assert report.sizes["offpolicy_meetings"] > 0
    assert any(n.startswith("ope_*@10") for n in report.notes)
    assert "ope_ratio@10" in report.report_path.read_text(encoding="utf-8")


def test_a_split_outside_the_history_is_refused(small_engine):
    from matcher.evaluate import run_evaluation

    with pytest.raises(ValueError, match="choose a date inside the referral history"):
        run_evaluation(small_engine, as_of=pd.Timestamp("1990-01-01").date(), truth_dir=None)


def test_the_trade_offs_are_reported_against_the_truth(report):
    wish, kinds = list(report.tradeoffs.values())[:2]
    assert 0.0 in wish.index and 2.0 in wish.index
    # Weighing what the citizen wants more never makes the list's expected declines go up much.
    assert wish.loc[2.0, "expected_declines_per_citizen"] <= wish.loc[0.0, "expected_declines_per_citizen"] + 1e-9
    assert (wish["expected_successes_per_citizen"] > 0).all()
    # A larger diversity penalty spreads the list over more kinds.
    assert kinds["kinds_per_list"].iloc[-1] >= kinds["kinds_per_list"].iloc[0]
    assert kinds["largest_kind_share"].iloc[-1] <= kinds["largest_kind_share"].iloc[0]
    text = report.markdown()
    assert "wish weight" in text and "diversity across kinds" in text


def test_everyones_lists_at_once_are_measured_against_the_optimum(report):
    table = report.tradeoffs["Congestion: everyone's lists at once (every citizen active at T)"]
    assert list(table.index) == ["--all (independent lists)", "--all --allocate (the plan's lists)",
                                 "--all --allocate, held places kept for their holder"]
    assert table["allocation_ratio"].between(0, 1 + 1e-9).all()
    # Holding each planned place for its holder never does worse than letting anyone take it first.
    assert table["allocation_ratio"].iloc[2] >= table["allocation_ratio"].iloc[1] - 1e-9
    assert (table["optimum_starts"] == table["optimum_starts"].iloc[0]).all()
