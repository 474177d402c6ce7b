"""The municipal plan (matcher.plan) and its congestion metrics (matcher.congestion)."""
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matcher.congestion import congestion, exposure, gini, list_oracle_ratio, optimum, random_order
from matcher.plan import LIST_COLUMNS, allocate, assign, plan_for
from matcher.settings import get_settings


def random_case(seed: int, citizens: int, openings: int, max_places: int = 3, density: float = 0.7):
    """Random pairs (some missing, as already-proposed pairs are) and free places."""
    rng = np.random.default_rng(seed)
    pairs = pd.DataFrame(
        [(f"c{i:03d}", f"o{j:02d}") for i in range(citizens) for j in range(openings)], columns=["citizen_id", "opportunity_id"]
    )
    pairs = pairs[rng.random(len(pairs)) < density].reset_index(drop=True)
    pairs["value"] = rng.random(len(pairs)).round(3)
    capacity = pd.Series(rng.integers(0, max_places + 1, openings), index=[f"o{j:02d}" for j in range(openings)])
    return pairs, capacity


def lsa_optimum(pairs: pd.DataFrame, capacity: pd.Series) -> float:
    """The best assignment with scipy: one column per free place, 0 where a pair is missing."""
    citizens = sorted(pairs["citizen_id"].unique())
    places = [o for o in capacity.index for _ in range(int(capacity[o]))]
    if not places or not citizens:
        return 0.0
    value = pairs.set_index(["citizen_id", "opportunity_id"])["value"]
    matrix = np.array([[value.get((c, o), 0.0) for o in places] for c in citizens])
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[rows, cols].sum())


def brute_force_optimum(pairs: pd.DataFrame, capacity: pd.Series) -> float:
    """Every way of giving each citizen one opening or none."""
    citizens = sorted(pairs["citizen_id"].unique())
    value = pairs.set_index(["citizen_id", "opportunity_id"])["value"]
    best = 0.0
    for choice in itertools.product([None, *capacity.index], repeat=len(citizens)):
        used = pd.Series([o for o in choice if o is not None], dtype=object).value_counts()
        if any(used.get(o, 0) > capacity[o] for o in capacity.index):
            continue
        if any(o is not None and (c, o) not in value.index for c, o in zip(citizens, choice)):
            continue
        best = max(best, sum(value[(c, o)] for c, o in zip(citizens, choice) if o is not None))
    return best


# ---- the assignment ----------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    citizens=st.integers(1, 14),
    openings=st.integers(1, 6),
    density=st.floats(0.2, 1.0),
)
def test_assignment_is_optimal_and_respects_capacity(seed, citizens, openings, density):
    pairs, capacity = random_case(seed, citizens=citizens, openings=openings, density=density)
    held = assign(pairs, capacity)
    assert held["citizen_id"].is_unique
    used = held["opportunity_id"].value_counts()
    assert (used <= capacity.reindex(used.index)).all()
    # Every held pair is a real pair with its own value.
    merged = held.merge(pairs, on=["citizen_id", "opportunity_id"], suffixes=("", "_in"))
    assert len(merged) == len(held) and np.allclose(merged["value"], merged["value_in"])
    # Optimal up to the integer scaling (resolution units for the largest value).
    assert held["value"].sum() == pytest.approx(lsa_optimum(pairs, capacity), abs=len(pairs) * 1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_assignment_matches_brute_force_on_tiny_cases(seed):
    pairs, capacity = random_case(100 + seed, citizens=5, openings=3, max_places=2)
    assert assign(pairs, capacity)["value"].sum() == pytest.approx(brute_force_optimum(pairs, capacity), abs=1e-5)


def test_nobody_is_held_a_place_worth_nothing():
    pairs = pd.DataFrame({"citizen_id": ["a", "b"], "opportunity_id": ["x", "x"], "value": [0.0, -0.5]})
    assert assign(pairs, {"x": 2}).empty


def test_optimum_with_min_cost_flow_agrees_with_linear_sum_assignment():
    pairs, capacity = random_case(7, citizens=30, openings=8, max_places=4, density=0.5)
    truth = pairs.rename(columns={"value": "probability"})
    assert optimum(truth, capacity) == pytest.approx(lsa_optimum(pairs, capacity), abs=1e-4)


# ---- the lists ---------------------------------------------------------------------------


def test_lists_start_with_the_held_place_then_room_then_taken():
    pairs, capacity = random_case(3, citizens=40, openings=10, max_places=6)
    plan = allocate(pairs, capacity, k=4)
    detail = plan.detail
    assert list(plan.lists.columns) == LIST_COLUMNS
    assert set(detail["citizen_id"]) == set(pairs["citizen_id"])
    assert (detail.groupby("citizen_id")["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1)))).all()
    assert (detail.groupby("citizen_id").size() == np.minimum(pairs.groupby("citizen_id").size(), 4)).all()
    # The held place is rank 1, and only rank 1.
    assert (detail.loc[detail["assigned"], "rank"] == 1).all()
    assert detail["assigned"].sum() == len(plan.assignment) == len(assign(pairs, capacity))
    # room_left is the opening's free places less the places held in it.
    held = plan.assignment["opportunity_id"].value_counts()
    room = capacity.sub(held, fill_value=0)
    assert (detail["room_left"].to_numpy() == room.reindex(detail["opportunity_id"]).to_numpy()).all()
    # After the held place: places with room before places taken in the plan, each by value.
    for _, rows in detail[~detail["assigned"]].groupby("citizen_id"):
        taken = (rows["room_left"] == 0).to_numpy()
        assert (np.diff(taken.astype(int)) >= 0).all()
        for part in (rows[~taken], rows[taken]):
            assert (np.diff(part["score"].to_numpy()) <= 0).all()
    assert plan.objective == pytest.approx(plan.assignment["value"].sum())


def test_without_filling_lists_hold_only_places_with_room():
    pairs, capacity = random_case(4, citizens=40, openings=6, max_places=2)
    detail = allocate(pairs, capacity, k=5, fill_taken=False).detail
    assert (detail["assigned"] | (detail["room_left"] > 0)).all()


def test_the_plan_is_deterministic_whatever_the_row_order():
    pairs, capacity = random_case(5, citizens=60, openings=8, max_places=5)
    # Ties in value make the order of rows a real test of the tie-breaks.
    pairs["value"] = pairs["value"].round(1)
    first = allocate(pairs, capacity, k=5).detail
    shuffled = allocate(pairs.sample(frac=1.0, random_state=1), capacity.sample(frac=1.0, random_state=2), k=5).detail
    pd.testing.assert_frame_equal(first, shuffled)


def test_infeasible_or_ineligible_pairs_hold_no_place():
    pairs = pd.DataFrame({"citizen_id": ["a", "b"], "opportunity_id": ["x", "x"], "value": [0.9, 0.2], "feasible": [False, True]})
    assert allocate(pairs, {"x": 1}, k=2).assignment["citizen_id"].tolist() == ["a"]
    assert allocate(pairs, {"x": 1}, k=2, feasible_only=True).assignment["citizen_id"].tolist() == ["b"]
    with pytest.raises(ValueError, match="needs a 'feasible' column"):
        allocate(pairs.drop(columns="feasible"), {"x": 1}, k=2, feasible_only=True)
    # A pair breaking a hard rule of the ranking policy is never held, but is still listed.
    plan = allocate(pairs.assign(eligible=[False, True]), {"x": 1}, k=2)
    assert plan.assignment["citizen_id"].tolist() == ["b"]
    assert "feasible" in plan.detail.columns and set(plan.lists["citizen_id"]) == {"a", "b"}


@pytest.mark.parametrize(
    "pairs, capacity, message",
    [
        (pd.DataFrame({"citizen_id": ["a"], "opportunity_id": ["x"]}), {"x": 1}, "lack column"),
        (pd.DataFrame({"citizen_id": ["a"], "opportunity_id": ["x"], "value": [np.nan]}), {"x": 1}, "not finite"),
        (pd.DataFrame({"citizen_id": ["a", "a"], "opportunity_id": ["x", "x"], "value": [1, 2]}), {"x": 1}, "more than once"),
        (pd.DataFrame({"citizen_id": ["a"], "opportunity_id": ["y"], "value": [1]}), {"x": 1}, r"\['y'\] have no capacity"),
        (pd.DataFrame({"citizen_id": ["a"], "opportunity_id": ["x"], "value": [1]}), {"x": -1}, "whole number"),
        (pd.DataFrame({"citizen_id": ["a"], "opportunity_id": ["x"], "value": [1]}), {"x": 1.5}, "whole number"),
    ],
)
def test_bad_input_is_refused_with_what_and_where(pairs, capacity, message):
    with pytest.raises(ValueError, match=message):
        allocate(pairs, capacity, k=3)


# ---- the metrics on hand-made cases ------------------------------------------------------


def lists_of(rows):
    return pd.DataFrame(rows, columns=["citizen_id", "rank", "opportunity_id"])


# Three citizens, one opening with one place (x) and one with two (y).
TRUTH = pd.DataFrame(
    {
        "citizen_id": ["a", "a", "b", "b", "c", "c"],
        "opportunity_id": ["x", "y", "x", "y", "x", "y"],
        "probability": [0.9, 0.1, 0.5, 0.4, 0.2, 0.3],
        "declined": [0.1, 0.5, 0.2, 0.3, 0.4, 0.4],
    }
)
CAPACITY = {"x": 1, "y": 2}


def test_gini_of_equal_exposure_is_zero_and_of_one_opening_is_high():
    assert gini(np.array([3, 3, 3, 3])) == 0.0
    assert gini(np.array([0, 0, 0, 8])) == pytest.approx(0.75)
    assert gini(np.zeros(3)) == 0.0
    shown = exposure(lists_of([("a", 1, "x"), ("b", 1, "x"), ("c", 1, "y")]), {"x": 1, "y": 2, "z": 1, "w": 0})
    assert shown.to_dict() == {"x": 2, "y": 1, "z": 0}


def test_the_optimal_assignment_as_lists_has_allocation_ratio_one():
    # Optimum: a->x (0.9), b->y (0.4), c->y (0.3) = 1.6.
    assert optimum(TRUTH, CAPACITY) == pytest.approx(1.6)
    lists = lists_of([("a", 1, "x"), ("b", 1, "y"), ("c", 1, "y")])
    out = congestion(lists, CAPACITY, TRUTH, k=1)
    assert out["allocation_ratio"] == pytest.approx(1.0)
    assert out["first_choice_full"] == 0.0
    assert out["expected_declines"] == pytest.approx(0.1 + 0.3 + 0.4)
    assert out["openings_listed"] == 1.0 and out["openings_proposed"] == 1.0


def test_first_choice_full_share_and_realised_successes_by_order():
    # Everyone's first choice is x (one place); whoever comes first takes it, the others fall to y.
    lists = lists_of([("a", 1, "x"), ("a", 2, "y"), ("b", 1, "x"), ("b", 2, "y"), ("c", 1, "x"), ("c", 2, "y")])
    run = random_order(lists, CAPACITY, TRUTH, orders=60, seed=0)
    assert run.first_choice_full == pytest.approx(2 / 3)
    # Each of the 6 orders gives: first citizen's x + the others' y.
    by_first = {"a": 0.9 + 0.4 + 0.3, "b": 0.5 + 0.1 + 0.3, "c": 0.2 + 0.1 + 0.4}
    assert min(by_first.values()) <= run.successes <= max(by_first.values())
    exact = random_order(lists, CAPACITY, TRUTH, orders=3000, seed=1).successes
    assert exact == pytest.approx(np.mean(list(by_first.values())), abs=0.02)


def test_held_places_wait_for_their_holders():
    # b and c list x first; with x held for a, they never take it, whatever the order.
    lists = lists_of([("a", 1, "x"), ("b", 1, "x"), ("b", 2, "y"), ("c", 1, "x"), ("c", 2, "y")])
    run = random_order(lists, CAPACITY, TRUTH, orders=20, seed=0, holds={"a": "x"})
    assert run.successes == pytest.approx(0.9 + 0.4 + 0.3)
    assert run.first_choice_full == pytest.approx(2 / 3)


def test_list_oracle_ratio_counts_short_lists_as_they_are():
    full = lists_of([("a", 1, "x"), ("a", 2, "y"), ("b", 1, "y"), ("b", 2, "x"), ("c", 1, "y"), ("c", 2, "x")])
    assert list_oracle_ratio(full, TRUTH, k=2) == pytest.approx(1.0)
    # Best top 1: 0.9 + 0.5 + 0.3 = 1.7; lists give a 0.1, b 0.5, c nothing.
    short = lists_of([("a", 1, "y"), ("b", 1, "x")])
    assert list_oracle_ratio(short, TRUTH, k=1) == pytest.approx(0.6 / 1.7)


def test_metrics_refuse_a_listed_pair_the_truth_lacks():
    with pytest.raises(ValueError, match=r"no probability for listed pair \(a, z\)"):
        random_order(lists_of([("a", 1, "z")]), {"z": 1}, TRUTH, orders=1)


# ---- on the small simulated world --------------------------------------------------------


def test_plan_for_the_small_world(small_world, small_matcher, small_world_dir):
    from matcher.features.candidates import suggestable
    from matcher.service import latest_date
    from matcher.simulate.truth import Truth

    day = latest_date(small_world)
    plan = plan_for(small_matcher, k=5)
    lists = plan.lists
    assert list(plan.detail.columns) == LIST_COLUMNS + ["assigned", "room_left", "feasible"]
    capacity = suggestable(small_world, day).set_index("opportunity_id")["free_capacity"]
    assert set(lists["citizen_id"]) == set(small_world.active_citizens(day)["citizen_id"])
    assert set(lists["opportunity_id"]) <= set(capacity.index)
    held = plan.assignment
    assert held["citizen_id"].is_unique
    assert (held["opportunity_id"].value_counts() <= capacity.reindex(held["opportunity_id"].value_counts().index)).all()
    # With fewer places than citizens, every place with a taker of positive value is held.
    assert len(held) == min(int(capacity.sum()), len(lists["citizen_id"].unique()))
    assert (plan.detail.loc[plan.detail["assigned"], "rank"] == 1).all()

    # With the plan in force (held places wait for their holders) the procedure realises exactly
    # the true value of the plan's assignment, whatever the order.
    pairs = lists[["citizen_id", "opportunity_id"]].assign(as_of=day)
    truth = pairs[["citizen_id", "opportunity_id"]].assign(probability=Truth.load(small_world_dir).success_probability(pairs))
    run = random_order(lists, capacity, truth, orders=3, holds=held.set_index("citizen_id")["opportunity_id"])
    assert run.successes == pytest.approx(held.merge(truth, on=["citizen_id", "opportunity_id"])["probability"].sum())


def test_recommend_all_allocate_writes_the_contract_columns(small_db_url, small_world, champion_mlflow_dir, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from matcher.cli import app
    from matcher.service import latest_date

    monkeypatch.setenv("MATCHER_MLFLOW_TRACKING_URI", f"sqlite:///{champion_mlflow_dir / 'mlflow.db'}")
    monkeypatch.setenv("MATCHER_MLFLOW_ARTIFACT_ROOT", str(champion_mlflow_dir / "artifacts"))
    get_settings.cache_clear()
    day = latest_date(small_world).date().isoformat()
    out = tmp_path / "plan.csv"
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["recommend", "--all", "--allocate", "--as-of", day, "--k", "4", "--out", str(out), "--db", small_db_url])
        sharded = runner.invoke(app, ["recommend", "--all", "--allocate", "--out", str(out), "--shard", "0/2", "--db", small_db_url])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "the plan holds" in result.output
    written = pd.read_csv(out, dtype={"citizen_id": str, "opportunity_id": str})
    assert list(written.columns) == LIST_COLUMNS
    assert set(written["citizen_id"]) == set(small_world.active_citizens(day)["citizen_id"])
    assert written.groupby("citizen_id")["rank"].max().max() == 4
    assert sharded.exit_code != 0 and "not with --shard" in sharded.output + (sharded.stderr or "")
