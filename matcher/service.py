"""The recommendation API the CLI and the app call: suggestions for a citizen, candidates for
an opportunity, and the top K for every active citizen.

Rules (documented here once):
- ``as_of=None`` means the latest date in the data: the later of the last proposal date and the
  last ``open_from`` (a nightly export's "today").
- Suggestable: open on ``as_of`` with free capacity, never proposed to that citizen on or before
  ``as_of`` (``matcher.features.candidates``). The ranker scores only what retrieval keeps of
  these (``matcher.retrieval``: reachable, at most a few hundred a citizen), from a warm index
  per date; the batch goes in partitions of citizens, here or on Dask (``matcher.cluster``).
- The order is the ranking policy's (``matcher.ranking``): the model's score, no near-duplicates,
  diversity where scores are close. Stated limits (licence missing, too many hours, beyond the
  commute limit, Danish two levels short) are flags with reasons (``feasible=False``), not a
  re-sort, unless a municipality switches a hard rule on in settings. The caller's ``kinds``,
  ``max_commute`` and ``max_hours`` are hard filters.
- Features are computed with the ranker's own frozen feature config, as of ``as_of``; later
  referrals and outcomes are never used.
- An admin can switch suggestions off for everyone (``matcher.switch``): every call that ranks
  (``recommend``, ``candidates``, ``score_all``/``recommend_all``) then raises ``SuggestionsOff``.
- What the service uses of a ranker beyond ``score`` is declared in ``matcher.models.base``
  (``Predicts``, ``Explains``): any registered ranker can serve.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matcher.contract import KINDS
from matcher.features.build import FeatureSpace, build_features
from matcher.features.candidates import INFEASIBILITY, candidate_pairs, infeasibility, suggestable
from matcher.features.commute import commute_limit
from matcher.features.skills import shared_skills
from matcher.i18n import kind_label, t
from matcher.models.base import Explains, Prediction, predict
from matcher.ranking import policy_frame, rank_lists
from matcher.reasons import explain, topic_contributions
from matcher.retrieval import RetrievalIndex
from matcher.settings import get_settings
from matcher.world import World

# Shared skills looked at for a reason's examples (the first two with a name in the reader's language).
SKILL_EXAMPLES = 20

# The contract's ``recommend --all`` columns.
ALL_COLUMNS = ["citizen_id", "rank", "opportunity_id", "score"]


def concat_parts(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The parts' rows in order (an empty frame with ``columns`` when there are none)."""
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


class NoTrainedModel(RuntimeError):
    """There is no champion model to recommend with."""


@dataclass
class Suggestion:
    """One suggested opportunity for one citizen, with what a caseworker needs to judge it."""

    citizen_id: str
    opportunity_id: str
    kind: str
    title: str
    employer: str
    occupation: str
    score: float
    commute_minutes: float
    lat: float
    lon: float
    feasible: bool = True
    rank: int = 0
    reasons_da: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    # Estimated chance of success (completed or hired), when the model gives one.
    chance: float | None = None
    # Estimated chance the citizen says yes (does not decline): what they want.
    acceptance: float | None = None
    # The stated limits this suggestion breaks (keys of INFEASIBILITY); empty when feasible.
    flags: list[str] = field(default_factory=list)
    # The chance as calibrated on the model's holdout, and its interval (``matcher.calibration``);
    # None when the model was saved without a calibration table.
    calibrated: float | None = None
    chance_low: float | None = None
    chance_high: float | None = None

    @property
    def reasons(self) -> list[str]:
        """The reasons in the configured language (``settings.language``)."""
        return self.reasons_en if get_settings().language == "en" else self.reasons_da

    def describe(self) -> str:
        """A readable block for the command line."""
        flag = "" if self.feasible else f"  [{t('not_feasible_now', 'da', what=', '.join(t('infeasible_' + n, 'da') for n in self.flags))}]"
        head = f"{self.rank:>2}. {self.title} — {self.employer} ({kind_label(self.kind)}){flag}"
        lines = [
            head,
            f"    borger {self.citizen_id} · {self.opportunity_id} · {self.occupation or '-'} · score {self.score:.3f}"
            + (f" (chance {self.chance:.0%})" if self.chance is not None and self.calibrated is None else "")
            + (f" (chance {self.calibrated:.0%}, {self.chance_low:.0%}–{self.chance_high:.0%})" if self.calibrated is not None else "")
            + f" · {self.commute_minutes:.0f} min",
        ]
        lines += [f"    - {da}  /  {en}" for da, en in zip(self.reasons_da, self.reasons_en)]
        return "\n".join(lines)


def latest_date(world: World) -> pd.Timestamp:
    """The latest date in the data: last proposal or last ``open_from``, whichever is later."""
    dates = [world.referrals["proposed_on"].max(), world.opportunities["open_from"].max()]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ValueError("the data has no referrals and no opportunities: nothing to date recommendations by")
    return pd.Timestamp(max(dates)).normalize()


def dup_keys(opportunities: pd.DataFrame) -> pd.Series:
    """What makes two openings the same suggestion to a caseworker: title and place, any case."""
    place = opportunities["employer_id"].fillna(opportunities["provider"]).fillna("")
    return opportunities["title"].fillna("").str.strip().str.casefold() + "\x1f" + place.astype(str)


def _referrals_mark(engine: Engine) -> tuple:
    """A cheap fingerprint of the referrals table: changes with any proposal, outcome or import."""
    from sqlalchemy import func, select

    from matcher.db import Referral

    with engine.connect() as conn:
        return tuple(conn.execute(select(
            func.count(), func.max(Referral.recorded_at), func.max(Referral.proposed_on),
            func.max(Referral.outcome_on), func.count(Referral.outcome_on),
        )).one())


class Matcher:
    """Recommendations from one world and one fitted ranker, with per-world precomputations cached."""

    def __init__(self, world: World, ranker, engine: Engine | None = None) -> None:
        if ranker is None:
            raise NoTrainedModel("no trained model: run `matcher train`")
        self.world = world
        self.ranker = ranker
        self.engine = engine
        # The registered version serving (set by ``load``; None for a ranker not from the registry).
        self.model_version: str | None = None
        # The ranker's own feature settings (frozen at fit), so today's settings cannot change its scores.
        self.space = FeatureSpace.of(world, getattr(ranker, "feature_config", None))
        self._open: dict[pd.Timestamp, pd.DataFrame] = {}
        self._index: dict[pd.Timestamp, RetrievalIndex] = {}
        self._taxonomy = self.space.taxonomy
        self._dup = dup_keys(self.space.opportunities)
        # What the referrals table looked like when read (refresh_referrals), when known.
        self._mark: tuple | None = None
        # (citizen, day, kinds) -> pairs, features, prediction, flags, details (recommend).
        self._scored: dict = {}

    @classmethod
    def load(cls, engine: Engine) -> "Matcher":
        """The world from the database and the registry's champion model."""
        from matcher.registry import champion_version, load_version

        version = champion_version()
        if version is None:
            raise NoTrainedModel("no trained model: run `matcher train`")
        mark = _referrals_mark(engine)  # before reading: a change while reading shows as a change
        loaded = cls(World.from_db(engine), load_version(version), engine)
        loaded._mark = mark
        loaded.model_version = version
        return loaded

    def refresh_referrals(self, engine: Engine | None = None) -> bool:
        """Read the referrals again when the database's differ from the ones in memory (a
        proposal or an outcome since loading, by anyone): suggestable places, pending referrals
        and history features then follow the database. A cheap check when nothing changed;
        True when the referrals were read again."""
        engine = engine or self.engine
        if engine is None:
            return False
        from matcher.world import read_table

        mark = _referrals_mark(engine)
        if self._mark is None or mark == self._mark:
            self._mark = mark
            return False
        self.world = replace(self.world, referrals=read_table(engine, "referrals"))
        self._mark = mark
        self._open.clear()
        getattr(self, "_index", {}).clear()  # retrieval indexes hold the referrals too
        self._scored.clear()
        return True

    def __getstate__(self) -> dict:
        # Shipped to Dask workers: everything but the database connection pool.
        return {**self.__dict__, "engine": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.space.rebind(self.world)

    # ---- helpers ---------------------------------------------------------------------------

    def _label_en(self, uri: str | None) -> str:
        return self._taxonomy.frame.at[uri, "label_en"] if uri and uri in self._taxonomy else ""

    def check_switch(self) -> None:
        """Raise ``matcher.switch.SuggestionsOff`` when an admin switched suggestions off (checked
        on every call, so the switch holds at once; a Matcher without a database is not served)."""
        if self.engine is not None:
            from matcher.switch import require_suggestions

            require_suggestions(self.engine)

    def _date(self, as_of: date | pd.Timestamp | str | None) -> pd.Timestamp:
        return latest_date(self.world) if as_of is None else pd.Timestamp(as_of).normalize()

    def _open_on(self, as_of: pd.Timestamp) -> pd.DataFrame:
        if as_of not in self._open:
            if len(self._open) > 8:
                self._open.clear()
            self._open[as_of] = suggestable(self.world, as_of)
        return self._open[as_of]

    def retrieval(self, as_of: pd.Timestamp) -> RetrievalIndex:
        """The warm retrieval index of ``as_of`` (built on first use, a few kept)."""
        if as_of not in self._index:
            if len(self._index) > 2:
                self._index.clear()
            self._index[as_of] = RetrievalIndex(self.space, self._open_on(as_of), self.world.referrals, as_of)
        return self._index[as_of]

    def _predict(self, pairs: pd.DataFrame, details: dict | None = None) -> tuple[pd.DataFrame, Prediction, pd.DataFrame]:
        """Features, the ranker's prediction and the stated-limit flags of ``pairs``."""
        features = build_features(self.world, pairs, space=self.space, details=details)
        return features, predict(self.ranker, features), infeasibility(features)

    def _ranked(self, pairs: pd.DataFrame, pred: Prediction, flags: pd.DataFrame, k: int, group: str = "citizen_id") -> pd.DataFrame:
        """The policy's top ``k`` per ``group`` (``matcher.ranking``), with each row's position in ``pairs``."""
        opp = pairs["opportunity_id"].to_numpy()
        if group == "citizen_id":
            frame = policy_frame(pairs["citizen_id"], opp, pred, flags, self.space.opportunities["kind"].reindex(opp), self._dup.reindex(opp))
            return rank_lists(frame, k, group)
        return rank_lists(policy_frame(pairs["citizen_id"], opp, pred, flags), k, group, kind_penalty=0.0, dedupe=False)

    def _suggestions(self, pairs: pd.DataFrame, features: pd.DataFrame, pred: Prediction, flags: pd.DataFrame,
                     details: dict, ranked: pd.DataFrame) -> list:
        order = ranked["row"].to_numpy()
        if len(order) == 0:
            return []
        top = features.iloc[order]
        topics = topic_contributions(self.ranker.contributions(top), list(self.ranker.features)) if isinstance(self.ranker, Explains) else None
        out = []
        opps = self.space.opportunities
        cits = self.space.citizens
        from matcher import calibration

        bands = None if pred.chance is None else calibration.interval(getattr(self.ranker, "calibration", None), np.asarray(pred.chance)[order])
        for rank, i in enumerate(order, start=1):
            row = pairs.iloc[i]
            opp = opps.loc[row["opportunity_id"]]
            values = features.iloc[i]
            own_limit = cits.loc[row["citizen_id"], "max_commute_minutes"]
            skills, opp_row = details["space"].skills, int(details["opp_rows"][i])
            context = {
                "kind": opp["kind"],
                "commute_limit": float(commute_limit([own_limit], self.space.config)[0]),
                "commute_limit_own": bool(pd.notna(own_limit)),
                "wish_label": self._taxonomy.label(details["wish_uri"][i]),
                "wish_label_en": self._label_en(details["wish_uri"][i]),
                "history_label": self._taxonomy.label(details["history_uri"][i]),
                "history_label_en": self._label_en(details["history_uri"][i]),
                "shared_skills": shared_skills(skills, details["citizen_skills"], int(details["key_rows"][i]), opp_row, limit=SKILL_EXAMPLES),
                "asked_skills": int(skills.opportunities[opp_row].nnz),
            }
            if topics is not None:
                da, en = explain(values, topics.iloc[rank - 1], context)
            else:
                da, en = [], []
            hit = [name for name, on in flags.iloc[i].items() if on]
            if hit:
                what = {lang: ", ".join(t(f"infeasible_{n}", lang) for n in hit) for lang in ("da", "en")}
                da = [t("not_feasible_now", "da", what=what["da"])] + da
                en = [t("not_feasible_now", "en", what=what["en"])] + en
            employer = opp["employer_name"] if isinstance(opp["employer_name"], str) else (opp["provider"] or "")
            out.append(
                Suggestion(
                    citizen_id=row["citizen_id"],
                    opportunity_id=row["opportunity_id"],
                    kind=opp["kind"],
                    title=opp["title"],
                    employer=employer,
                    occupation=self._taxonomy.label(opp["occupation_uri"]),
                    score=float(pred.score[i]),
                    chance=None if pred.chance is None else float(pred.chance[i]),
                    acceptance=None if pred.acceptance is None else float(pred.acceptance[i]),
                    commute_minutes=float(values["commute_minutes"]),
                    lat=float(opp["lat"]),
                    lon=float(opp["lon"]),
                    feasible=not hit,
                    flags=hit,
                    rank=rank,
                    reasons_da=da,
                    reasons_en=en,
                    **({} if bands is None else dict(zip(("calibrated", "chance_low", "chance_high"), (float(b[rank - 1]) for b in bands)))),
                )
            )
        return out

    # ---- the API ---------------------------------------------------------------------------

    def recommend(
        self,
        citizen_id: str,
        k: int = 10,
        as_of: date | pd.Timestamp | None = None,
        kinds: list[str] | None = None,
        max_commute: float | None = None,
        max_hours: float | None = None,
    ) -> list[Suggestion]:
        """The top ``k`` suggestable opportunities for one citizen, in the ranking policy's order, with reasons."""
        self.check_switch()
        if citizen_id not in self.space.citizens.index:
            raise KeyError(f"unknown citizen_id {citizen_id!r}")
        if kinds is not None:
            unknown = sorted(set(kinds) - set(KINDS))
            if unknown:
                raise ValueError(f"kinds: unknown kind(s) {unknown}; choose from {list(KINDS)}")
        day = self._date(as_of)
        # A citizen's scored candidates are kept for the page's filters: the commute and hours
        # limits only re-rank what was scored (a changed referrals table clears the cache).
        if kinds is not None and set(kinds) >= set(KINDS):
            kinds = None  # every kind: the same list as no filter
        key = (citizen_id, day, None if kinds is None else tuple(sorted(kinds)))
        scored = self._scored.get(key)
        if scored is None:
            pairs = self.retrieval(day).pairs([citizen_id], kinds)
            if pairs.empty:
                return []
            details = {}
            features, pred, flags = self._predict(pairs, details)
            if len(self._scored) >= 64:
                self._scored.pop(next(iter(self._scored)))
            self._scored[key] = scored = (pairs, features, pred, flags, details)
        pairs, features, pred, flags, details = scored
        keep = np.ones(len(pairs), dtype=bool)
        if max_commute is not None:
            keep &= features["commute_minutes"].to_numpy() <= max_commute
        if max_hours is not None:
            keep &= features["opp_hours"].to_numpy() <= max_hours
        if not keep.all():
            # The caller's filters are hard: rank among what is left.
            idx = np.flatnonzero(keep)
            pairs, features, flags = pairs.iloc[idx].reset_index(drop=True), features.iloc[idx].reset_index(drop=True), flags.iloc[idx].reset_index(drop=True)
            pred = Prediction(*(None if v is None else np.asarray(v)[idx] for v in (pred.score, pred.chance, pred.acceptance)))
            details = {**details, **{key: np.asarray(details[key])[idx] for key in ("wish_uri", "history_uri", "key_rows", "opp_rows")}}
        ranked = self._ranked(pairs, pred, flags, k)
        return self._suggestions(pairs, features, pred, flags, details, ranked)

    def prefetch(self, citizen_ids, as_of: date | pd.Timestamp | None = None) -> int:
        """Score these citizens' candidates ahead of their pages (every kind), so that opening one
        only ranks and explains; returns how many were scored now."""
        day, done = self._date(as_of), 0
        for citizen_id in citizen_ids:
            if (citizen_id, day, None) not in self._scored and citizen_id in self.space.citizens.index:
                self.recommend(citizen_id, k=1, as_of=day)
                done += 1
        return done

    def candidates(self, opportunity_id: str, k: int = 10, as_of: date | pd.Timestamp | None = None) -> list[Suggestion]:
        """The top ``k`` citizens for one opportunity: active on ``as_of`` and consenting to candidate search."""
        self.check_switch()
        if opportunity_id not in self.space.opportunities.index:
            raise KeyError(f"unknown opportunity_id {opportunity_id!r}")
        day = self._date(as_of)
        active = self.world.active_citizens(day)
        consenting = active[active["candidate_search_consent"].fillna(False).astype(bool)]
        pairs = candidate_pairs(self.world, consenting["citizen_id"], [opportunity_id], day)
        if pairs.empty:
            return []
        details: dict = {}
        features, pred, flags = self._predict(pairs, details)
        return self._suggestions(pairs, features, pred, flags, details, self._ranked(pairs, pred, flags, k, group="opportunity_id"))

    def explain(self, citizen_id: str, opportunity_id: str, as_of: date | pd.Timestamp | None = None) -> Suggestion:
        """What the model says of one pair as of a date, with its reasons (e.g. for a referral made
        then, ``matcher.explanation``). It explains, it suggests nothing, so the switch does not
        apply; rank is 0 (not from a list)."""
        if citizen_id not in self.space.citizens.index:
            raise KeyError(f"unknown citizen_id {citizen_id!r}")
        if opportunity_id not in self.space.opportunities.index:
            raise KeyError(f"unknown opportunity_id {opportunity_id!r}")
        pairs = pd.DataFrame({"citizen_id": [citizen_id], "opportunity_id": [opportunity_id], "as_of": [self._date(as_of)]})
        details: dict = {}
        features, pred, flags = self._predict(pairs, details)
        found = self._suggestions(pairs, features, pred, flags, details, pd.DataFrame({"row": [0]}))[0]
        found.rank = 0
        return found

    def batch_citizens(self, as_of, shard: tuple[int, int] | None = None) -> tuple[pd.Timestamp, np.ndarray]:
        """The date and the citizens active on it (part ``i`` of ``n`` of a stable id hash with ``shard``)."""
        day = self._date(as_of)
        citizens = self.world.active_citizens(day)["citizen_id"]
        if shard is not None:
            i, n = shard
            citizens = citizens[pd.util.hash_pandas_object(citizens, index=False).to_numpy() % n == i]
        return day, citizens.to_numpy()

    @staticmethod
    def partitions(citizens: np.ndarray) -> list[np.ndarray]:
        """The batch's partitions of citizens: at most ``settings.scale.partition_pairs`` retrieved pairs each."""
        s = get_settings()
        per_part = max(1, s.scale.partition_pairs // max(1, s.retrieval.candidates))
        return [citizens[i : i + per_part] for i in range(0, len(citizens), per_part)]

    def score_part(self, day: pd.Timestamp, citizen_ids) -> tuple[pd.DataFrame, Prediction, pd.DataFrame] | None:
        """Retrieved pairs of ``citizen_ids`` on ``day``, scored: (pairs, prediction, flags); None when none."""
        pairs = self.retrieval(day).pairs(citizen_ids)
        if pairs.empty:
            return None
        _, pred, flags = self._predict(pairs)
        return pairs, pred, flags

    def rank_part(self, day: pd.Timestamp, citizen_ids, k: int) -> pd.DataFrame:
        """The contract's ``--all`` rows for ``citizen_ids``: ``citizen_id, rank, opportunity_id, score``."""
        scored = self.score_part(day, citizen_ids)
        if scored is None:
            return pd.DataFrame(columns=ALL_COLUMNS)
        return self._ranked(*scored, k)[ALL_COLUMNS].reset_index(drop=True)

    def score_all(self, as_of: date | pd.Timestamp | None = None, shard: tuple[int, int] | None = None):
        """Every retrieved pair of every active citizen, partition by partition: (pairs, prediction, flags)."""
        self.check_switch()
        day, citizens = self.batch_citizens(as_of, shard)
        for part in self.partitions(citizens):
            scored = self.score_part(day, part)
            if scored is not None:
                yield scored

    def recommend_all(
        self, k: int = 10, as_of: date | pd.Timestamp | None = None, shard: tuple[int, int] | None = None
    ) -> pd.DataFrame:
        """Top ``k`` for every citizen active on ``as_of``: ``citizen_id, rank, opportunity_id, score``.

        ``shard=(i, n)`` keeps the citizens whose stable id hash falls in part ``i`` of ``n``, so that
        ``n`` workers of a distributed engine can split the batch.
        """
        self.check_switch()
        day, citizens = self.batch_citizens(as_of, shard)
        parts = [self.rank_part(day, part, k) for part in self.partitions(citizens)]
        return concat_parts(parts, ALL_COLUMNS)
