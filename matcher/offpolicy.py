"""Quality from the logs alone: an off-policy estimate of a ranker's expected successes in its top k.

A municipality has no simulator's truth, only its referral log, and logged NDCG only re-orders what
caseworkers chose. This module estimates what a ranker's top k *over every open opportunity* would
have achieved at the meetings in the log:

1. **Meetings** (:func:`logged_meetings`): each logged caseworker decision, a citizen on a date with
   the referral(s) proposed then and their outcomes (reward 1 for a success, the settings'
   ``success_outcomes``; a referral still pending counts as the chance that an outcome unknown for
   so long is a success, learnt from earlier referrals: successes take months, refusals weeks).
2. **Candidates** (:func:`meeting_candidates`): the opportunities the caseworker could have chosen
   from: open on the date with a free place, not proposed to the citizen before (the contract's time
   rules, :mod:`matcher.timerules`, on the world as known the day before the meeting's proposals).
3. **Propensities** (:class:`ChoiceModel`): a conditional logit of the caseworker's choice among the
   candidates, fitted on the log only, on features that do not read any outcome (fit, commute,
   wishes, kind × readiness, the caseworker's own habits). A meeting with m proposals is a top-m
   draw without replacement (Plackett–Luce); each candidate's inclusion probability follows
   Rosén's successive-sampling approximation, pi = 1 - exp(-p t), with t such that the pis sum to m.
4. **Reward model** (:class:`RewardModel`): P(success | pair), LightGBM on the pair features,
   cross-fitted by citizen (a meeting's own outcome never predicts itself), also learning from the
   referrals before the window with their outcomes as known now.
5. **Estimators** (:meth:`OffPolicy.estimate`): per meeting, the policy's top k among the candidates;

   - DM (direct method): the reward model's sum over the top k;
   - IPS: sum over the logged referrals in the top k of reward / inclusion probability;
   - SNIPS: IPS rescaled by the control variate (the same weights without the reward, whose
     expectation is the number of candidates in the top k);
   - DR: the reward model's sum over the top k, plus the IPS of its residuals.

   Confidence intervals come from a bootstrap over citizens (a citizen's meetings stay together).

The **estimated oracle ratio** is the DR value of the policy over the DR value of the reward
model's own greedy top k. The true oracle ratio divides by the best possible top k, which the log
cannot show; the greedy top k of an estimated model is worth at most that, so the estimated ratio
leans high, most for policies close to the reward model. ``benchmarks/bench_offpolicy.py`` measures
both against the simulator's truth.

Assumptions that the simulator does not fully honour, stated: the caseworkers' choice is a
Plackett–Luce draw (the simulator's caseworkers also theme a meeting on its first pick's kind, and
the choice features only approximate what they see); a referral's outcome does not depend on the
other referrals of its meeting (in the simulator a hire declines the rest).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import minimize

from matcher import metrics
from matcher.models.base import Pairs, Ranker, predict
from matcher.settings import get_settings
from matcher.world import World

# Features that read outcomes (earlier successes and refusals; skills gained by completing a course or
# placement): the choice model of what caseworkers do must not see any outcome, so a propensity can
# never carry the reward it weights (``tests/test_offpolicy.py`` shuffles outcomes to check).
OUTCOME_FEATURES = (
    "cit_prev_outcomes", "cit_prev_successes", "cit_prev_success_rate", "cit_prev_refusals",
    "cit_prev_same_kind_successes", "emp_known_referrals", "emp_success_rate", "opp_known_referrals", "opp_success_rate",
    "skill_overlap", "skill_coverage", "skill_jaccard", "citizen_skill_count", "course_teaches_known",
)
KIND_COLUMNS = ("kind_company_placement", "kind_wage_subsidy_job", "kind_small_job", "kind_ordinary_job",
                "kind_flex_job", "kind_course", "kind_education")
ESTIMATORS = ("dm", "ips", "snips", "dr")
DR = ESTIMATORS.index("dr")


# ---- the log ---------------------------------------------------------------------------------


def logged_meetings(world: World, start, end) -> pd.DataFrame:
    """Referrals proposed in [start, end), one row each, with the meeting they belong to.

    A meeting is a citizen on a proposal date (``meeting``: "citizen|date"); ``caseworker_id`` is
    the meeting's caseworker (the one who proposed most of it); ``reward`` is 1.0 for an outcome in
    the settings' ``success_outcomes``, 0.0 for another. A referral still ``pending`` gets the chance
    that an outcome unknown after so long is a success (:func:`pending_success`): a no comes within
    weeks, a start takes months, so leaving pending referrals out would count the recent window's
    successes short.
    """
    success = set(get_settings().success_outcomes)
    r = world.referrals
    r = r[(r["proposed_on"] >= pd.Timestamp(start)) & (r["proposed_on"] < pd.Timestamp(end))]
    frame = pd.DataFrame({
        "citizen_id": r["citizen_id"].astype(str).to_numpy(),
        "opportunity_id": r["opportunity_id"].astype(str).to_numpy(),
        "as_of": pd.to_datetime(r["proposed_on"]).to_numpy(),
        "referral_caseworker": r["caseworker_id"].astype(str).to_numpy(),
        "outcome": r["outcome"].to_numpy(),
    })
    frame["meeting"] = frame["citizen_id"] + "|" + frame["as_of"].dt.strftime("%Y-%m-%d")
    frame["pending"] = frame["outcome"].eq("pending")
    frame["reward"] = frame["outcome"].isin(success).astype(float)
    if frame["pending"].any():
        known_until = pd.concat([world.referrals["proposed_on"], world.referrals["outcome_on"]]).max()
        waited = (known_until - frame.loc[frame["pending"], "as_of"]).dt.days.to_numpy()
        kind = world.opportunities.set_index("opportunity_id")["kind"].reindex(frame.loc[frame["pending"], "opportunity_id"]).to_numpy()
        frame.loc[frame["pending"], "reward"] = pending_success(world, pd.Timestamp(start), kind, waited)
    counts = frame.groupby(["meeting", "referral_caseworker"]).size().sort_values(ascending=False, kind="stable")
    main = counts.reset_index().drop_duplicates("meeting").set_index("meeting")["referral_caseworker"]
    frame["caseworker_id"] = frame["meeting"].map(main)
    return frame.drop(columns="referral_caseworker").drop_duplicates(["meeting", "opportunity_id"]).reset_index(drop=True)


def pending_success(world: World, before: pd.Timestamp, kind: np.ndarray, waited: np.ndarray) -> np.ndarray:
    """P(success | the outcome is still unknown after ``waited`` days), per referral of ``kind``.

    From the referrals proposed before ``before`` with a known outcome: the share of successes
    among those of the same kind whose outcome took longer than ``waited`` days (of any kind when
    none of that kind took so long; the overall success rate when none did).
    """
    success = set(get_settings().success_outcomes)
    r = world.referrals
    r = r[(r["proposed_on"] < before) & (r["outcome"] != "pending") & r["outcome_on"].notna()]
    took = (r["outcome_on"] - r["proposed_on"]).dt.days.to_numpy()
    ok = r["outcome"].isin(success).to_numpy(dtype=float)
    r_kind = world.opportunities.set_index("opportunity_id")["kind"].reindex(r["opportunity_id"]).to_numpy()
    overall = float(ok.mean()) if len(ok) else 0.0

    def share_longer(durations, wins, w):
        order = np.argsort(durations, kind="stable")
        durations, wins = durations[order], wins[order]
        later_wins = np.r_[np.cumsum(wins[::-1])[::-1], 0.0]
        at = np.searchsorted(durations, w, side="right")
        n = len(durations) - at
        return np.where(n > 0, later_wins[at] / np.maximum(n, 1), np.nan)

    out = share_longer(took, ok, np.asarray(waited))
    for k in pd.unique(kind):
        mine = kind == k
        same = r_kind == k
        if same.any():
            by_kind = share_longer(took[same], ok[same], np.asarray(waited)[mine])
            out[mine] = np.where(np.isnan(by_kind), out[mine], by_kind)
    return np.where(np.isnan(out), overall, out)


def sample_meetings(logged: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """At most ``n`` meetings of the log (seeded, whole meetings)."""
    meetings = logged["meeting"].drop_duplicates()
    if n is None or len(meetings) <= n:
        return logged
    keep = meetings.sample(n=n, random_state=seed)
    return logged[logged["meeting"].isin(keep)].reset_index(drop=True)


def meeting_candidates(world: World, logged: pd.DataFrame) -> pd.DataFrame:
    """Every candidate of every meeting, the logged choices marked: one row a pair.

    On a meeting date D the candidates are the opportunities open on D with a free place and not
    proposed to the citizen before, on the world as known before D's proposals
    (``World.as_of(D)``: the day's own referrals do not take the places they are choosing from).
    A logged choice outside that set (data the rules do not explain) is kept as a candidate.
    Columns: ``meeting, citizen_id, opportunity_id, as_of, caseworker_id, chosen, reward``.
    """
    from matcher.features.candidates import candidate_pairs, suggestable

    parts = []
    for day, group in logged.groupby("as_of", sort=True):
        before = world.as_of(day)
        open_ids = suggestable(before, day)["opportunity_id"].to_numpy()
        parts.append(candidate_pairs(before, group["citizen_id"].unique(), open_ids, day))
    cand = pd.concat(parts, ignore_index=True)
    cand["meeting"] = cand["citizen_id"] + "|" + pd.to_datetime(cand["as_of"]).dt.strftime("%Y-%m-%d")
    chosen = logged[["meeting", "citizen_id", "opportunity_id", "as_of", "reward"]].assign(chosen=True)
    frame = cand.merge(chosen[["meeting", "opportunity_id", "chosen", "reward"]], on=["meeting", "opportunity_id"], how="outer")
    # Choices outside the rules' candidate set come in through the outer merge without their date.
    lost = frame["citizen_id"].isna()
    frame.loc[lost, ["citizen_id", "as_of"]] = chosen.set_index(["meeting", "opportunity_id"]).loc[
        pd.MultiIndex.from_frame(frame.loc[lost, ["meeting", "opportunity_id"]]), ["citizen_id", "as_of"]].to_numpy()
    frame["chosen"] = frame["chosen"].fillna(False).astype(bool)
    frame["caseworker_id"] = frame["meeting"].map(logged.drop_duplicates("meeting").set_index("meeting")["caseworker_id"])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame.sort_values(["meeting", "opportunity_id"], kind="stable").reset_index(drop=True)


# ---- the caseworkers' choice -----------------------------------------------------------------


def choice_design(pairs: Pairs, frame: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The choice model's inputs: pair features that read no outcome, kind × readiness, flex jobs
    for health barriers, and the caseworker's own habits in ``history`` (referrals proposed before
    the window: the caseworker's share of each kind, and earlier proposals to the employer)."""
    f = pairs.features
    base = f[[c for c in f.columns if c not in OUTCOME_FEATURES]].copy()
    for kind in KIND_COLUMNS:
        base[f"{kind}_x_activity_ready"] = f[kind] * f["activity_ready"]
    base["flex_x_health"] = f["kind_flex_job"] * np.maximum(f["barrier_physical_health"], f["barrier_mental_health"])
    opp = pairs.world.opportunities.set_index("opportunity_id")
    kind = opp["kind"].reindex(frame["opportunity_id"]).to_numpy()
    employer = opp["employer_id"].reindex(frame["opportunity_id"]).fillna("").to_numpy()
    past = history.assign(kind=opp["kind"].reindex(history["opportunity_id"]).to_numpy(),
                          employer_id=opp["employer_id"].reindex(history["opportunity_id"]).to_numpy())
    overall = past["kind"].value_counts(normalize=True)
    by_kind = past.groupby(["caseworker_id", "kind"]).size()
    n_cw = past.groupby("caseworker_id").size()
    keys = pd.MultiIndex.from_arrays([frame["caseworker_id"].to_numpy(), kind])
    count = by_kind.reindex(keys).fillna(0).to_numpy()
    total = n_cw.reindex(frame["caseworker_id"]).fillna(0).to_numpy()
    prior = overall.reindex(kind).fillna(1e-3).to_numpy()
    # Smoothed towards everyone's mix: a caseworker with little history looks like the average one.
    base["caseworker_kind_share"] = np.log((count + 20 * prior) / (total + 20))
    by_employer = past.groupby(["caseworker_id", "employer_id"]).size()
    base["caseworker_employer_referrals"] = np.log1p(
        by_employer.reindex(pd.MultiIndex.from_arrays([frame["caseworker_id"].to_numpy(), employer])).fillna(0).to_numpy())
    base.index = frame.index
    return base


def _groups(meeting: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(meeting)
    return codes, len(uniques)


def _group_softmax(u: np.ndarray, g: np.ndarray, n: int) -> np.ndarray:
    top = np.full(n, -np.inf)
    np.maximum.at(top, g, u)
    e = np.exp(u - top[g])
    return e / np.bincount(g, weights=e, minlength=n)[g]


class ChoiceModel:
    """Conditional logit of the caseworker's choice among a meeting's candidates.

    A meeting's proposals are one top-m draw without replacement whose order the log does not
    keep; the fit maximises the exploded-logit composite likelihood: each chosen candidate is a
    choice among itself and every candidate not chosen. scipy's L-BFGS on the grouped softmax (the
    exact conditional likelihood of a set, e.g. statsmodels' ConditionalLogit, is combinatorial in m).
    """

    def __init__(self, l2: float | None = None) -> None:
        self.l2 = get_settings().offpolicy.choice_l2 if l2 is None else l2

    def _matrix(self, design: pd.DataFrame) -> np.ndarray:
        x = (design[self.columns_].to_numpy(dtype=float) - self.mean_) / self.scale_
        return np.nan_to_num(x)

    def fit(self, design: pd.DataFrame, meeting: np.ndarray, chosen: np.ndarray) -> "ChoiceModel":
        x = design.to_numpy(dtype=float)
        spread = np.nanstd(x, axis=0)
        self.columns_ = [c for c, s in zip(design.columns, spread) if s > 1e-9]
        self.mean_ = np.nanmean(design[self.columns_].to_numpy(dtype=float), axis=0)
        self.scale_ = np.nanstd(design[self.columns_].to_numpy(dtype=float), axis=0)
        x = self._matrix(design)
        g, n = _groups(meeting)
        chosen = np.asarray(chosen, dtype=bool)
        if not chosen.any():
            raise ValueError("choice model: no logged choice among the candidates")
        rows = np.flatnonzero(chosen)
        # Sums over each meeting's candidates not chosen, as one sparse product.
        others = sparse.csr_matrix((np.ones(int((~chosen).sum())), (g[~chosen], np.flatnonzero(~chosen))), shape=(n, len(g)))
        x_rows, g_rows = x[rows], g[rows]

        def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
            u = x @ beta
            top = np.full(n, -np.inf)
            np.maximum.at(top, g, u)
            e = np.exp(u - top[g])
            rest = others @ e
            denom = rest[g_rows] + e[rows]
            ll = np.sum(u[rows] - top[g_rows] - np.log(denom))
            # d/d beta: x_a minus the softmax mean of x over (not chosen) + {a}.
            rest_x = others @ (e[:, None] * x)
            mean_x = (rest_x[g_rows] + e[rows, None] * x_rows) / denom[:, None]
            grad = np.sum(x_rows - mean_x, axis=0)
            m = len(rows)
            return -ll / m + self.l2 * beta @ beta, -grad / m + 2 * self.l2 * beta

        result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
        self.coef_ = result.x
        self.converged_ = bool(result.success)
        return self

    def utility(self, design: pd.DataFrame) -> np.ndarray:
        return self._matrix(design) @ self.coef_

    def propensity(self, design: pd.DataFrame, meeting: np.ndarray) -> np.ndarray:
        """P(a candidate is the caseworker's first choice at its meeting): sums to one per meeting."""
        g, n = _groups(meeting)
        return _group_softmax(self.utility(design), g, n)


def inclusion_probability(p: np.ndarray, meeting: np.ndarray, m: np.ndarray) -> np.ndarray:
    """P(a candidate is among a meeting's ``m`` draws without replacement with first-draw chances ``p``).

    Rosén's successive-sampling approximation: pi = 1 - exp(-p t) with t per meeting such that the
    pis sum to m (solved by bisection on log t for every meeting at once); exact p when m = 1.
    ``m``: per row, the number of proposals at the row's meeting.
    """
    g, n = _groups(meeting)
    m_g = np.zeros(n)
    m_g[g] = m
    size = np.bincount(g, minlength=n)
    m_g = np.minimum(m_g, size)
    lo, hi = np.full(n, -10.0), np.full(n, 25.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        total = np.bincount(g, weights=-np.expm1(-p * np.exp(mid[g])), minlength=n)
        too_many = total > m_g
        hi = np.where(too_many, mid, hi)
        lo = np.where(too_many, lo, mid)
    pi = -np.expm1(-p * np.exp(((lo + hi) / 2)[g]))
    return np.where(m_g[g] <= 1, p, np.clip(pi, p, 1.0))


# ---- the outcome -----------------------------------------------------------------------------


class RewardModel:
    """P(success | a proposed pair), LightGBM on the pair features, cross-fitted by citizen.

    Each fold's model learns from the other folds' logged referrals (and ``prior``: labelled pairs
    from before the window, when given); a pair is predicted by the model of its citizen's fold, so
    a logged outcome never predicts itself.
    """

    def __init__(self, folds: int | None = None, seed: int | None = None) -> None:
        s = get_settings()
        self.folds = s.offpolicy.reward_folds if folds is None else folds
        self.seed = s.evaluation.seed if seed is None else seed

    def _model(self):
        from lightgbm import LGBMClassifier

        return LGBMClassifier(n_estimators=150, learning_rate=0.08, num_leaves=15, min_child_samples=40, max_bin=63,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
                              random_state=self.seed, n_jobs=get_settings().peers.n_jobs, verbose=-1)

    def fit_predict(self, features: pd.DataFrame, citizen: np.ndarray, chosen: np.ndarray, reward: np.ndarray,
                    prior: tuple[pd.DataFrame, np.ndarray] | None = None) -> np.ndarray:
        """Cross-fitted P(success) for every row of ``features`` (chosen or not). A reward between 0
        and 1 (a pending referral's chance) counts as a success and a failure with those weights."""
        cit = pd.Series(pd.unique(np.asarray(citizen)))
        fold_of = pd.Series(np.random.default_rng(self.seed).integers(0, self.folds, len(cit)), index=cit)
        fold = fold_of.reindex(citizen).to_numpy()
        chosen = np.asarray(chosen, dtype=bool)
        out = np.empty(len(features))
        for j in range(self.folds):
            learn = chosen & (fold != j)
            x, y = features[learn], reward[learn]
            if prior is not None:
                x, y = pd.concat([x, prior[0]], ignore_index=True), np.r_[y, prior[1]]
            if not (y > 0).any() or not (y < 1).any():
                raise ValueError("reward model: the log needs both successes and failures")
            both = pd.concat([x, x], ignore_index=True)
            labels = np.r_[np.ones(len(y)), np.zeros(len(y))]
            weights = np.r_[y, 1.0 - y]
            keep = weights > 0
            model = self._model().fit(both[keep], labels[keep].astype(int), sample_weight=weights[keep])
            mine = fold == j
            out[mine] = model.predict_proba(features[mine])[:, 1]
        return out


# ---- the estimate ----------------------------------------------------------------------------


@dataclass
class Estimate:
    """Expected successes per meeting of a policy's top ``k`` (DM, IPS, SNIPS, DR) with bootstrap CIs,
    and the estimated oracle ratio (DR over the DR of the reward model's greedy top k)."""

    k: int
    meetings: int
    citizens: int
    value: dict[str, float]
    ci: dict[str, tuple[float, float]]
    ratio: float
    ratio_ci: tuple[float, float]
    # Effective number of logged referrals behind the IPS part (Kish: (sum w)^2 / sum w^2).
    effective_referrals: float
    logged_value: float = float("nan")

    def row(self) -> dict[str, float]:
        out = {f"ope_{e}@{self.k}": self.value[e] for e in ESTIMATORS}
        out[f"ope_dr@{self.k}_lo"], out[f"ope_dr@{self.k}_hi"] = self.ci["dr"]
        out[f"ope_ratio@{self.k}"] = self.ratio
        out[f"ope_ratio@{self.k}_lo"], out[f"ope_ratio@{self.k}_hi"] = self.ratio_ci
        return out

    def describe(self) -> str:
        lo, hi = self.ci["dr"]
        return (f"off-policy DR estimate: {self.value['dr']:.3f} successes per meeting in the top {self.k} "
                f"(95 % CI {lo:.3f}–{hi:.3f}; IPS {self.value['ips']:.3f}, SNIPS {self.value['snips']:.3f}); "
                f"estimated oracle ratio {self.ratio:.3f} ({self.ratio_ci[0]:.3f}–{self.ratio_ci[1]:.3f}); "
                f"{self.meetings:,} logged meetings, {self.effective_referrals:,.0f} effective referrals")


@dataclass
class OffPolicy:
    """The logs of a window prepared once: meetings, their candidates, propensities, reward model.

    Build it with :meth:`from_log`; then :meth:`estimate` any scores of ``pairs`` (row-aligned), or
    :meth:`evaluate` / :meth:`compare` rankers, which score ``pairs`` themselves.
    """

    pairs: Pairs
    propensity: np.ndarray
    inclusion: np.ndarray
    q: np.ndarray
    seed: int
    bootstrap: int
    choice: ChoiceModel | None = None
    _greedy: dict[int, tuple] = field(default_factory=dict)

    @classmethod
    def from_log(cls, world: World, start, end, space=None, max_meetings: int | None = None,
                 seed: int | None = None) -> "OffPolicy":
        """Meetings proposed in [start, end) of ``world``'s log (at most ``max_meetings``, seeded),
        their candidates and features (each as known on its date), the choice model fitted on them,
        the reward model cross-fitted (also learning from the latest ``offpolicy.prior_referrals``
        referrals proposed before ``start``, with their outcomes as known in ``world``)."""
        from matcher.evaluate import make_pairs
        from matcher.features.build import FeatureSpace
        from matcher.labels import training_pairs

        s = get_settings()
        space = space if space is not None and space.serves(world) else FeatureSpace.of(world)
        seed = s.evaluation.seed if seed is None else seed
        max_meetings = s.offpolicy.max_meetings if max_meetings is None else max_meetings
        logged = sample_meetings(logged_meetings(world, start, end), max_meetings, seed)
        if logged.empty:
            raise ValueError(f"off-policy: no meeting with known outcomes proposed in [{pd.Timestamp(start).date()}, "
                             f"{pd.Timestamp(end).date()})")
        frame = meeting_candidates(world, logged)
        pairs = make_pairs(world, frame, space)
        history = world.referrals[world.referrals["proposed_on"] < pd.Timestamp(start)][["caseworker_id", "opportunity_id"]]
        design = choice_design(pairs, pairs.frame, history)
        meeting, chosen = pairs.frame["meeting"].to_numpy(), pairs.frame["chosen"].to_numpy()
        choice = ChoiceModel().fit(design, meeting, chosen)
        p = choice.propensity(design, meeting)
        m = pairs.frame.groupby("meeting")["chosen"].transform("sum").to_numpy()
        incl = inclusion_probability(p, meeting, m)
        earlier = training_pairs(world)
        earlier = earlier[earlier["as_of"] < pd.Timestamp(start)].tail(s.offpolicy.prior_referrals)
        prior_xy = None
        if len(earlier):
            prior = make_pairs(world, earlier, space)
            prior_xy = (prior.features, earlier["outcome"].isin(s.success_outcomes).to_numpy(dtype=float))
        reward = pairs.frame["reward"].fillna(0.0).to_numpy()
        q = RewardModel(seed=seed).fit_predict(pairs.features, pairs.frame["citizen_id"].to_numpy(), chosen, reward, prior_xy)
        return cls(pairs, p, incl, q, seed, s.offpolicy.bootstrap, choice)

    # ---- per meeting, then by citizen ----------------------------------------------------

    def _parts(self, scores: np.ndarray, k: int) -> np.ndarray:
        """Per meeting: DM, IPS, control variate, residual IPS, top-k size, sum of w, sum of w²."""
        f = self.pairs.frame
        scores = np.asarray(scores, dtype=float)
        if scores.shape != (len(f),) or np.isnan(scores).any():
            raise ValueError(f"off-policy: need one score per candidate pair ({len(f):,}), without NaN; got {scores.shape}")
        g, n = _groups(f["meeting"].to_numpy())
        top = metrics.rank_within(g, scores, self.seed) <= k
        chosen = f["chosen"].to_numpy()
        r = f["reward"].fillna(0.0).to_numpy()
        w = np.where(chosen & top, 1.0 / self.inclusion, 0.0)
        cols = [top * self.q, w * r, w, w * (r - self.q), top.astype(float), w, w * w]
        return np.column_stack([np.bincount(g, weights=c, minlength=n) for c in cols])

    def _by_citizen(self, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = self.pairs.frame.drop_duplicates("meeting")
        codes, _ = pd.factorize(f["citizen_id"])
        meeting_order = pd.factorize(self.pairs.frame["meeting"])[1]
        codes = pd.Series(codes, index=f["meeting"].to_numpy()).reindex(meeting_order).to_numpy()
        n = codes.max() + 1
        sums = np.column_stack([np.bincount(codes, weights=parts[:, j], minlength=n) for j in range(parts.shape[1])])
        return sums, np.bincount(codes, minlength=n).astype(float)

    @staticmethod
    def _values(sums: np.ndarray, count: np.ndarray) -> np.ndarray:
        """(DM, IPS, SNIPS, DR) per meeting from citizen sums weighted by ``count``-rows (bootstrap)."""
        total = sums.sum(axis=-2)
        meetings = count.sum(axis=-1)
        ips = total[..., 1] / meetings
        snips = total[..., 1] / np.maximum(total[..., 2], 1e-12) * total[..., 4] / meetings
        dr = (total[..., 0] + total[..., 3]) / meetings
        dm = total[..., 0] / meetings
        return np.stack([dm, ips, snips, dr], axis=-1)

    def _resampled(self, sums: np.ndarray, count: np.ndarray, draws: np.ndarray) -> np.ndarray:
        return self._values(draws[:, :, None] * sums[None], draws * count[None])

    def _draws(self, n: int) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return rng.multinomial(n, np.full(n, 1.0 / n), size=self.bootstrap).astype(float)

    def greedy_scores(self) -> np.ndarray:
        """The reward model's own scores: its greedy top k is the ratio's denominator."""
        return self.q

    def estimate(self, scores: np.ndarray, k: int | None = None) -> Estimate:
        """DM, IPS, SNIPS and DR estimates of the expected successes per logged meeting of the top ``k``
        by ``scores`` (one per row of ``pairs``), with 95 % bootstrap intervals over citizens."""
        k = k or get_settings().offpolicy.k
        sums, count = self._by_citizen(self._parts(scores, k))
        draws = self._draws(len(count))
        if k not in self._greedy:
            gsums, _ = self._by_citizen(self._parts(self.greedy_scores(), k))
            self._greedy[k] = (gsums, self._values(gsums, count)[DR], self._resampled(gsums, count, draws)[:, DR])
        _, greedy, greedy_boot = self._greedy[k]
        point = self._values(sums, count)
        boot = self._resampled(sums, count, draws)
        ci = {e: tuple(np.percentile(boot[:, j], [2.5, 97.5])) for j, e in enumerate(ESTIMATORS)}
        ratio_boot = boot[:, DR] / greedy_boot
        total = sums.sum(axis=0)
        f = self.pairs.frame
        logged = float(f.loc[f["chosen"].to_numpy(), "reward"].sum() / count.sum())
        return Estimate(
            k=k, meetings=int(count.sum()), citizens=len(count),
            value=dict(zip(ESTIMATORS, map(float, point))), ci={e: (float(a), float(b)) for e, (a, b) in ci.items()},
            ratio=float(point[DR] / greedy), ratio_ci=tuple(float(v) for v in np.percentile(ratio_boot, [2.5, 97.5])),
            effective_referrals=float(total[5] ** 2 / total[6]) if total[6] > 0 else 0.0,
            logged_value=logged,
        )

    def evaluate(self, ranker: Ranker, k: int | None = None) -> Estimate:
        """The estimate of a fitted ranker's top k (by its bare score)."""
        return self.estimate(predict(ranker, self.pairs).score, k)

    def compare(self, rankers: list[Ranker], k: int | None = None) -> pd.DataFrame:
        """Fitted rankers side by side: one row each (``Estimate.row``), best DR first."""
        rows = {r.name: self.evaluate(r, k).row() for r in rankers}
        table = pd.DataFrame.from_dict(rows, orient="index")
        return table.sort_values(f"ope_dr@{k or get_settings().offpolicy.k}", ascending=False)

    def logging_scores(self) -> np.ndarray:
        """The caseworkers' own policy as scores (the fitted choice utilities): its top k is what
        they would most likely have proposed."""
        return np.log(np.clip(self.propensity, 1e-300, None))
