"""The ranking policy (matcher.ranking): the model's order, hard rules, duplicates, diversity."""
import numpy as np
import pandas as pd
import pytest

from matcher.models.base import Prediction
from matcher.ranking import policy_frame, rank_lists, ranking_index


def _frame(index, kinds, dups=None, breach=None, citizen="c"):
    n = len(index)
    return pd.DataFrame({
        "citizen_id": [citizen] * n, "opportunity_id": [f"o{i}" for i in range(n)], "index": index,
        "breach": breach if breach is not None else [False] * n, "kind": kinds,
        "dup_key": dups if dups is not None else [f"d{i}" for i in range(n)], "row": np.arange(n),
    })


def test_without_penalty_the_list_is_the_index_order_less_duplicates():
    f = _frame([-1.0, -1.1, -1.2, -3.0], ["course"] * 4, dups=["a", "a", "b", "c"])
    out = rank_lists(f, k=3, kind_penalty=0.0)
    assert out["opportunity_id"].tolist() == ["o0", "o2", "o3"]
    assert out["rank"].tolist() == [1, 2, 3]


def test_the_penalty_lets_another_kind_in_only_when_it_is_close():
    index = np.log([0.30, 0.29, 0.28, 0.27, 0.24])
    f = _frame(index, ["course", "course", "course", "course", "small_job"])
    # Penalty 0.1 per earlier course: the small job (log 0.24) beats a third course (log 0.28 - 0.2),
    # not the second (log 0.29 - 0.1).
    out = rank_lists(f, k=4, kind_penalty=0.1)
    assert out["opportunity_id"].tolist() == ["o0", "o1", "o4", "o2"]
    # A small job far behind stays out.
    far = _frame(np.log([0.30, 0.29, 0.28, 0.27, 0.02]), ["course"] * 4 + ["small_job"])
    assert "o4" not in rank_lists(far, k=4, kind_penalty=0.1)["opportunity_id"].tolist()


def test_a_breach_of_a_hard_rule_comes_after_every_other_whatever_the_penalty():
    f = _frame([-0.1, -2.0, -2.1], ["course", "course", "course"], breach=[True, False, False])
    for penalty in (0.0, 0.5):
        assert rank_lists(f, k=3, kind_penalty=penalty)["opportunity_id"].tolist() == ["o1", "o2", "o0"]


def test_lists_are_per_citizen_and_deterministic():
    f = pd.concat([_frame([-1.0, -1.0, -2.0], ["a", "b", "a"], citizen="c1"), _frame([-0.5, -0.6], ["a", "a"], citizen="c2")], ignore_index=True)
    first = rank_lists(f, k=2, kind_penalty=0.1)
    again = rank_lists(f.iloc[::-1].reset_index(drop=True).assign(row=lambda x: x.index), k=2, kind_penalty=0.1)
    assert first.groupby("citizen_id").size().to_dict() == {"c1": 2, "c2": 2}
    assert sorted(first["opportunity_id"]) == sorted(again["opportunity_id"])


def test_the_index_weighs_what_the_citizen_wants_only_when_asked():
    chance, acceptance = np.array([0.2, 0.1]), np.array([0.3, 0.9])
    assert np.allclose(ranking_index(np.log(chance), chance, acceptance, wish_weight=0.0), np.log(chance))
    weighted = ranking_index(np.log(chance), chance, acceptance, wish_weight=2.0)
    assert weighted[1] > weighted[0]
    # A ranker without probabilities is ordered by its score.
    assert np.array_equal(ranking_index(np.array([3.0, 1.0]), None, None), [3.0, 1.0])


def test_unknown_hard_rules_are_refused():
    flags = pd.DataFrame({"licence": [False], "hours": [True], "commute": [False], "danish": [False]})
    pred = Prediction(score=np.array([-1.0]), chance=np.array([0.3]))
    assert policy_frame(["c"], ["o"], pred, flags, hard_rules=["hours"])["breach"].tolist() == [True]
    with pytest.raises(ValueError, match="unknown rule"):
        policy_frame(["c"], ["o"], pred, flags, hard_rules=["weather"])
