"""The simulator's hidden truth: the outcome probabilities of any citizen-opportunity pair on any date.

Built from the public tables plus ``_truth/`` (model.json, citizen_latent.parquet,
employer_latent.parquet, affinity.parquet); ``model.json: truth_family`` names the formula
(:mod:`matcher.simulate.truths`; a world written before families existed is a funnel) and
``params`` its coefficients as the world drew and calibrated them. Everything per pair is a
gather from small precomputed matrices (citizen x occupation), so millions of pairs take
seconds; pairs are evaluated in chunks to bound memory.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from matcher.contract import BARRIERS, EDUCATIONS, KINDS
from matcher.features.commute import haversine_km
from matcher.settings import get_settings
from matcher.simulate.occupations import PHYSICAL_FAMILIES, SERVICE_FAMILIES, TRUSTED_FAMILIES, families
from matcher.simulate.outcomes import OUTCOME_COLUMNS, TASTES, PairInputs
from matcher.simulate.truths import DEFAULT_FAMILY, get_family
from matcher.simulate.writer import read_tables
from matcher.taxonomy import load_taxonomy

CHUNK = 400_000
EPOCH = np.datetime64("1970-01-01", "D")
DAY_KEY = 100_000  # citizen index * DAY_KEY + day number keys the experience lookup


def _days(values) -> np.ndarray:
    """Day numbers (since 1970) of dates, Timestamps or datetime64 values."""
    return ((pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]") - EPOCH)
            .astype("timedelta64[D]").astype(np.int64))


def _month_number(day: np.ndarray) -> np.ndarray:
    """Calendar month number (months since 1970-01) of day numbers."""
    return (np.asarray(day, np.int64).astype("datetime64[D]").astype("datetime64[M]")).astype(np.int64)


def _list(value) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return value.split(";")
    return []


class Truth:
    """Outcome probabilities of the simulated world (see ``_truth/README.md`` for the formula)."""

    def __init__(
        self, citizens: pd.DataFrame, work_history: pd.DataFrame, employers: pd.DataFrame,
        opportunities: pd.DataFrame, referrals: pd.DataFrame | None, motivation: np.ndarray,
        affinity: np.ndarray, inclusiveness: np.ndarray, params: dict,
        export_date: np.datetime64 | None = None, family: str = DEFAULT_FAMILY, tastes: np.ndarray | None = None,
    ) -> None:
        """``params``: the family's coefficients (``TruthFamily.draw``, then calibrated).
        ``export_date``: the date ``months_on_benefit`` is stated as of (for a citizen who left,
        ``left_on``); None means as of ``enrolled_on``, the simulator's own state during the run.
        ``tastes``: employers x TASTES, for a family that reads them."""
        self.family = get_family(family)
        self.params = params
        self.citizen_index = pd.Index(citizens["citizen_id"].astype(str))
        self.opportunity_index = pd.Index(opportunities["opportunity_id"].astype(str))
        self._citizens(citizens, motivation, affinity, export_date)
        self._occupations(citizens, work_history, opportunities)
        self._opportunities(opportunities, employers, inclusiveness, tastes)
        self.set_completed(np.empty(0, np.int64), np.empty(0, np.int64))
        if referrals is not None and len(referrals):
            done = referrals[referrals["outcome"] == "completed"]
            self.set_completed(self.citizen_index.get_indexer(done["citizen_id"].astype(str)), _days(done["outcome_on"]))

    # ---- construction --------------------------------------------------------------------

    def _citizens(self, c: pd.DataFrame, motivation: np.ndarray, affinity: np.ndarray,
                  export_date: np.datetime64 | None) -> None:
        p = self.params
        self.c_lat = c["home_lat"].to_numpy(float)
        self.c_lon = c["home_lon"].to_numpy(float)
        self.c_danish = c["danish_level"].to_numpy(int)
        self.c_max_hours = pd.to_numeric(c["max_hours_per_week"]).fillna(p["default_max_hours"]).to_numpy(float)
        self.c_limit = pd.to_numeric(c["max_commute_minutes"]).fillna(p["commute"]["default_limit_minutes"]).to_numpy(float)
        self.c_licence = c["has_drivers_license"].fillna(False).astype(bool).to_numpy()
        self.c_aktiv = (c["readiness"] == "aktivitetsparat").to_numpy()
        self.c_barriers = np.stack([c["barriers"].map(lambda v, b=b: b in _list(v)).to_numpy(bool) for b in BARRIERS], axis=1)
        self.c_education = pd.Categorical(c["education"], categories=list(EDUCATIONS)).codes
        self.c_birth = c["birth_year"].to_numpy(int)
        self.c_months = c["months_on_benefit"].to_numpy(float)
        # months on D = months_on_benefit - calendar months from D to the date it is stated as of
        # (matcher.world.months_on_benefit_on); kept as a month number for a cheap gather per pair.
        if export_date is None:
            ref = pd.to_datetime(c["enrolled_on"])
        else:
            ref = pd.to_datetime(c["left_on"]).fillna(pd.Timestamp(export_date))
        self.c_months_ref = _month_number(_days(ref))
        self.c_motivation = np.asarray(motivation, float)
        self.c_affinity = np.asarray(affinity, float)

    def _occupations(self, c: pd.DataFrame, wh: pd.DataFrame, o: pd.DataFrame) -> None:
        tax = load_taxonomy()
        wishes = c["job_wishes"].map(_list)
        uris = pd.Index(sorted(set(wh["occupation_uri"]) | set(o["occupation_uri"].dropna()) - {""}
                               | {u for w in wishes for u in w}))
        unknown = [u for u in uris if u not in tax]
        if unknown:
            raise ValueError(f"truth: {len(unknown)} occupation URIs not in the ESCO taxonomy, e.g. {unknown[0]}")
        self.occ_index = uris
        isco = tax.frame.loc[uris, "isco_code"].astype(str).to_numpy()
        sub_major = [code[:2] for code in isco]
        self.occ_family = pd.Index(families()).get_indexer(sub_major)
        self.occ_physical = np.isin(sub_major, PHYSICAL_FAMILIES)
        self.occ_trusted = np.isin(sub_major, TRUSTED_FAMILIES)
        self.occ_service = np.isin(sub_major, SERVICE_FAMILIES)
        unit = pd.factorize(pd.Series([code[:4] for code in isco]))[0]
        family_code = pd.factorize(pd.Series(sub_major))[0]
        n_occ = len(uris)
        # Skills: the essential skills of every occupation in the citizen's history.
        ess = tax.frame.loc[uris, "essential_skills"]
        vocab = pd.Index(sorted({s for lst in ess for s in lst}))
        rows = np.repeat(np.arange(n_occ), ess.map(len).to_numpy())
        cols = vocab.get_indexer([s for lst in ess for s in lst])
        E = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_occ, len(vocab)))
        n_ess = np.asarray(E.sum(axis=1)).ravel()
        owner = self.citizen_index.get_indexer(wh["citizen_id"].astype(str))
        h_occ = uris.get_indexer(wh["occupation_uri"])
        H = sparse.csr_matrix((np.ones(len(owner)), (owner, h_occ)), shape=(len(self.citizen_index), n_occ))
        S = (H @ E) > 0
        self.overlap = (np.asarray((S.astype(float) @ E.T).todense()) / np.maximum(n_ess, 1)).astype(np.float32)
        self.history_level = self._levels(owner, h_occ, unit, family_code)
        w_owner = np.repeat(np.arange(len(c)), wishes.map(len).to_numpy())
        w_occ = uris.get_indexer([u for w in wishes for u in w])
        self.wish_level = self._levels(w_owner, w_occ, unit, family_code)

    def _levels(self, owner: np.ndarray, occ: np.ndarray, unit: np.ndarray, family: np.ndarray) -> np.ndarray:
        """Citizen x occupation: 3 same occupation, 2 same ISCO unit group, 1 same family, 0 none."""
        out = np.zeros((len(self.citizen_index), len(self.occ_index)), dtype=np.int8)
        for start in range(0, len(owner), 2000):
            o, r = owner[start:start + 2000], occ[start:start + 2000]
            lvl = np.where(family[None, :] == family[r][:, None], 1, 0).astype(np.int8)
            lvl[unit[None, :] == unit[r][:, None]] = 2
            lvl[np.arange(len(r)), r] = 3
            np.maximum.at(out, o, lvl)
        return out

    def _opportunities(self, o: pd.DataFrame, e: pd.DataFrame, inclusiveness: np.ndarray,
                       tastes: np.ndarray | None) -> None:
        self.o_kind = pd.Categorical(o["kind"], categories=KINDS).codes.astype(np.int64)
        self.o_occ = self.occ_index.get_indexer(o["occupation_uri"].fillna(""))
        self.o_lat = o["lat"].to_numpy(float)
        self.o_lon = o["lon"].to_numpy(float)
        self.o_danish = o["danish_required"].to_numpy(int)
        self.o_hours = o["hours_per_week"].to_numpy(float)
        self.o_licence = o["requires_drivers_license"].fillna(False).astype(bool).to_numpy()
        emp = pd.Index(e["employer_id"].astype(str)).get_indexer(o["employer_id"].fillna("").astype(str))
        self.o_employer = (emp >= 0).astype(float)
        social = e["social_agreement"].fillna(False).astype(bool).to_numpy()
        self.o_social = np.where(emp >= 0, social[emp], False).astype(float)
        self.o_inclusive = np.where(emp >= 0, np.asarray(inclusiveness, float)[emp], 0.0)
        tastes = np.zeros((len(e), len(TASTES))) if tastes is None else np.asarray(tastes, float)
        self.o_taste = np.where((emp >= 0)[:, None], tastes[np.maximum(emp, 0)], 0.0)

    # ---- experience ---------------------------------------------------------------------

    def set_completed(self, citizen_idx: np.ndarray, outcome_day: np.ndarray) -> None:
        """The completed referrals (citizen index, outcome day) that count as experience."""
        self._completed_keys = np.sort(np.asarray(citizen_idx, np.int64) * DAY_KEY + np.asarray(outcome_day, np.int64))

    def experience(self, ci: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Completed referrals of each citizen with an outcome before the day."""
        keys = self._completed_keys
        return (np.searchsorted(keys, ci * DAY_KEY + day, side="left") - np.searchsorted(keys, ci * DAY_KEY, side="left")).astype(float)

    # ---- probabilities --------------------------------------------------------------------

    def inputs(self, ci: np.ndarray, oi: np.ndarray, day: np.ndarray) -> PairInputs:
        """The outcome model's inputs for pairs given as index arrays and day numbers."""
        p = self.params
        occ = self.o_occ[oi]
        has = occ >= 0
        occ0 = np.where(has, occ, 0)
        fam = np.where(has, self.occ_family[occ0], -1)
        km = haversine_km(self.c_lat[ci], self.c_lon[ci], self.o_lat[oi], self.o_lon[oi])
        minutes = km / p["commute"]["speed_kmh"] * 60.0 + p["commute"]["overhead_minutes"]
        year = (day.astype("timedelta64[D]") + EPOCH).astype("datetime64[Y]").astype(int) + 1970
        return PairInputs(
            kind=self.o_kind[oi],
            skill=np.where(has, self.overlap[ci, occ0], p["no_occupation_skill"]),
            history=np.where(has, self.history_level[ci, occ0], 0),
            wish=np.where(has, self.wish_level[ci, occ0], 0),
            affinity=np.where(fam >= 0, self.c_affinity[ci, np.maximum(fam, 0)], 0.0),
            commute=minutes,
            limit=self.c_limit[ci],
            over_limit=np.maximum(minutes - self.c_limit[ci], 0.0),
            danish=self.c_danish[ci],
            danish_gap=np.maximum(self.o_danish[oi] - self.c_danish[ci], 0),
            hours=self.o_hours[oi],
            max_hours=self.c_max_hours[ci],
            hours_over=np.maximum(self.o_hours[oi] - self.c_max_hours[ci], 0.0),
            licence_missing=(self.o_licence[oi] & ~self.c_licence[ci]).astype(float),
            barriers=self.c_barriers[ci],
            aktivitetsparat=self.c_aktiv[ci].astype(float),
            education=self.c_education[ci],
            age=(year - self.c_birth[ci]).astype(float),
            physical_family=(has & self.occ_physical[occ0]).astype(float),
            trusted_family=(has & self.occ_trusted[occ0]).astype(float),
            service_family=(has & self.occ_service[occ0]).astype(float),
            employer=self.o_employer[oi],
            social_agreement=self.o_social[oi],
            inclusiveness=self.o_inclusive[oi],
            taste=self.o_taste[oi] if self.family.uses_tastes else np.zeros((len(oi), len(TASTES))),
            motivation=self.c_motivation[ci],
            months=np.maximum(self.c_months[ci] - (self.c_months_ref[ci] - _month_number(day)), 0.0),
            experience=self.experience(ci, day),
        )

    def probabilities_at(self, ci: np.ndarray, oi: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Outcome probabilities (pairs x 6) for index arrays, in chunks."""
        out = np.empty((len(ci), len(OUTCOME_COLUMNS)))
        for s in range(0, len(ci), CHUNK):
            sl = slice(s, s + CHUNK)
            out[sl] = self.family.probabilities(self.inputs(ci[sl], oi[sl], day[sl]), self.params)
        return out

    def _indices(self, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        missing = [c for c in ("citizen_id", "opportunity_id", "as_of") if c not in pairs]
        if missing:
            raise ValueError(f"pairs: missing column(s) {missing}; need citizen_id, opportunity_id, as_of")
        ci = self.citizen_index.get_indexer(pairs["citizen_id"].astype(str))
        oi = self.opportunity_index.get_indexer(pairs["opportunity_id"].astype(str))
        for name, idx, col in (("citizen", ci, "citizen_id"), ("opportunity", oi, "opportunity_id")):
            if (idx < 0).any():
                bad = pairs[col].to_numpy()[idx < 0][0]
                raise KeyError(f"pairs: {int((idx < 0).sum())} {name} id(s) not in this world, e.g. {bad!r}")
        return ci, oi, _days(pairs["as_of"])

    def outcome_probabilities(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """One column per outcome (declined ... hired), summing to 1 per row, row-aligned with pairs."""
        ci, oi, day = self._indices(pairs)
        return pd.DataFrame(self.probabilities_at(ci, oi, day), columns=list(OUTCOME_COLUMNS), index=pairs.index)

    def success_probability(self, pairs: pd.DataFrame) -> np.ndarray:
        """P(an outcome in the settings' success_outcomes), e.g. completed + hired."""
        cols = [OUTCOME_COLUMNS.index(o) for o in get_settings().success_outcomes]
        return self.probabilities_at(*self._indices(pairs))[:, cols].sum(axis=1)

    # ---- files ----------------------------------------------------------------------------

    @classmethod
    def load(cls, world_dir: Path) -> "Truth":
        """The truth of a simulated world folder (public CSVs plus ``_truth/``)."""
        world_dir = Path(world_dir)
        tdir = world_dir / "_truth"
        if not (tdir / "model.json").exists():
            raise FileNotFoundError(f"{tdir}/model.json not found: is {world_dir} a simulated world?")
        frames = read_tables(world_dir)
        c, o, e = frames["citizens"], frames["opportunities"], frames["employers"]
        model = json.loads((tdir / "model.json").read_text())
        cl = pd.read_parquet(tdir / "citizen_latent.parquet").set_index("citizen_id").reindex(c["citizen_id"])
        el = pd.read_parquet(tdir / "employer_latent.parquet").set_index("employer_id").reindex(e["employer_id"])
        aff = pd.read_parquet(tdir / "affinity.parquet")
        wide = aff.pivot(index="citizen_id", columns="family", values="affinity").reindex(
            index=c["citizen_id"], columns=model["families"]).fillna(0.0)
        if "export_date" not in model:
            raise ValueError(f"{tdir}/model.json has no export_date: simulate the world again with this version")
        family = get_family(model.get("truth_family", DEFAULT_FAMILY))
        taste_columns = [f"taste_{t}" for t in TASTES]
        missing = [col for col in taste_columns if col not in el] if family.uses_tastes else []
        if missing:
            raise ValueError(f"{tdir}/employer_latent.parquet lacks {missing}, which the {family.name} truth reads")
        return cls(c, frames["work_history"], e, o, frames["referrals"], cl["motivation"].to_numpy(),
                   wide.to_numpy(), el["inclusiveness"].to_numpy(), params=model["params"],
                   export_date=np.datetime64(model["export_date"], "D"), family=family.name,
                   tastes=el[taste_columns].to_numpy() if family.uses_tastes else None)

