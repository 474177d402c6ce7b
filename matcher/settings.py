"""The one settings object.

Defaults live here; a TOML file (``matcher.toml`` in the working directory, or the path in
``MATCHER_CONFIG``) overrides them, and environment variables (``MATCHER_<FIELD>``, e.g.
``MATCHER_DB_URL``) override both. Nested fields use ``__`` in the environment, e.g.
``MATCHER_RANKER__NUM_LEAVES=63``.

Modes, structures, languages and outcome names are ``Literal`` types, and a settings file may
name only fields that exist: an unknown value or key is refused when the settings are first read
(``get_settings``, at the start of every command and of the app) with a ``SettingsError`` that
names the field, the value and where settings come from.
"""
from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
DATA_DIR = REPO_ROOT / "data"

# The contract's decided outcomes (``matcher.contract.OUTCOMES`` less "pending", which is no label).
Outcome = Literal["declined", "rejected", "no_show", "dropped_out", "completed", "hired"]


class SettingsError(ValueError):
    """Settings that cannot be used: an unknown value or key, said with the field and its source."""


class Section(BaseModel):
    """A nested settings group: a key it does not know is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class RankerSettings(Section):
    """The LightGBM ranker: its structure, parameters, and the grids searched by time-ordered validation."""

    # "binary": one pointwise model of success (default); "chain": one model per funnel step
    # (declined, no-show, rejected, dropped out), scored as log P(passing them all); "lambdarank":
    # graded gains, ordering only. The default is chosen on the worst case over the simulator's
    # truth families (reports/evaluation.md), never on one truth.
    structure: Literal["binary", "chain", "lambdarank"] = "binary"
    n_estimators: int = 3000
    learning_rate: float = 0.05
    num_leaves: int = 7
    min_child_samples: int = 100
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    early_stopping_rounds: int = 50
    # Searched for the binary models (success and acceptance) by validation log loss. Stumps
    # (num_leaves 2, an additive model) by default: validation log loss on the logged referrals
    # prefers deeper trees, but the logs hold only what caseworkers chose, and deeper trees
    # extrapolate worse to the many open opportunities nobody proposed. On every truth family of
    # the simulator stumps had the best oracle ratio@10 (reports/families.md), so the grid is not
    # searched by default; widen it to search again.
    binary_grid: dict[str, list[Any]] = Field(default_factory=lambda: {"num_leaves": [2]})
    # Searched per funnel step of the chain.
    chain_grid: dict[str, list[Any]] = Field(default_factory=lambda: {"num_leaves": [2, 4, 7, 15]})
    # Searched for lambdarank by validation NDCG@10.
    grid: dict[str, list[Any]] = Field(
        default_factory=lambda: {"num_leaves": [15, 31, 63], "learning_rate": [0.03, 0.08]}
    )
    n_jobs: int = 2
    # What a lambdarank query is: "citizen_date" (citizen x proposal date: the options put to the
    # same person on the same day) or "citizen" (all of a citizen's labelled referrals).
    query_by: Literal["citizen", "citizen_date"] = "citizen_date"
    # The funnel's failure outcomes in the order a referral meets them (contract outcomes).
    chain_stages: list[Outcome] = Field(default_factory=lambda: ["declined", "no_show", "rejected", "dropped_out"])


class RankingSettings(Section):
    """How predictions become a caseworker's list (``matcher/ranking.py``)."""

    # Rules that, when listed, put a breaking suggestion after every other (none by default: the
    # model prices the stated limits; the evaluation reports both ways).
    hard_rules: list[Literal["licence", "hours", "commute", "danish"]] = Field(default_factory=list)
    # w in the expected-surplus index log P(success) + w * log P(says yes); 0: success alone.
    wish_weight: float = 0.0
    # Log-units an item pays per suggestion of its kind already above it (0: no diversity step).
    kind_penalty: float = 0.1


class EvaluationSettings(Section):
    """The time split, the truth sample and the seeds of ``matcher evaluate`` and the training gate."""

    # The split date T sits at this fraction of the referral history (by proposal date).
    split_fraction: float = 0.8
    # Citizens active at T sampled for the oracle ratio against the simulator's truth.
    truth_sample_citizens: int = 1500
    # Test queries ranked against every opportunity suggestable on their date (open_ndcg@10).
    open_set_queries: int = 1000
    seed: int = 2026
    curve_max_k: int = 20
    # The training gate holds out the last part of the training window (time-ordered).
    holdout_fraction: float = 0.2


class OffPolicySettings(Section):
    """The off-policy estimate from the logs (``matcher/offpolicy.py``)."""

    # The estimate is of the expected successes in a ranker's top k at the logged meetings.
    k: int = 10
    # Logged meetings used (seeded sample of the window; each brings every candidate of its date).
    max_meetings: int = 2000
    # Bootstrap resamples of citizens for the confidence intervals.
    bootstrap: int = 300
    # The reward model also learns from this many of the latest referrals before the window.
    prior_referrals: int = 30_000
    # Cross-fitting folds (by citizen) of the reward model.
    reward_folds: int = 3
    # L2 penalty of the caseworkers' choice model (standardised features).
    choice_l2: float = 1e-4
    # Whether the training gate also estimates both models from the held-out window's logs.
    gate_estimate: bool = True
    # Whether the gate refuses a challenger whose DR estimate's upper bound lies below the
    # champion's DR estimate (off: the estimate is recorded and shown, NDCG decides).
    gate_blocks: bool = False


class PeerSettings(Section):
    """Parameters of the peers (baselines) the LightGBM ranker is compared with."""

    seed: int = 2026
    n_jobs: int = 2
    logistic_c: float = 1.0
    lightfm_loss: Literal["logistic", "bpr", "warp", "warp-kos"] = "warp"
    lightfm_components: int = 32
    lightfm_epochs: int = 30
    als_factors: int = 32
    als_iterations: int = 20
    als_regularization: float = 0.05
    als_alpha: float = 10.0


class PlanSettings(Section):
    """The municipal plan (``matcher.plan``) and its congestion metrics (``matcher.congestion``)."""

    # Integer cost units for the largest value in the min-cost flow (rounding loses at most
    # citizens / resolution of the largest value in total).
    resolution: int = 1_000_000
    # Fill a list with places taken in the plan when fewer than K have room (see matcher.plan).
    fill_taken: bool = True
    # The random-order procedure of the allocation ratio: this many seeded orders.
    orders: int = 20
    seed: int = 2026
    # The stored plan the app shows (matcher.plan_store): list length, and whether a proposal of
    # a place the plan holds for other citizens needs a stated reason (the holds kept in force).
    stored_k: int = 10
    enforce_holds: bool = True
    # Recompute a stale plan in the background when a page asks (off: only `matcher plan` does).
    auto_refresh: bool = True
    # A plan computation that has not finished after this many minutes is taken as dead.
    stale_run_minutes: int = 30


class AuditSettings(Section):
    """The group audit (``matcher audit``, ``matcher.fairness``)."""

    # Age bands start at these ages (the last is open-ended): 30-39, 40-49, 50-59, 60+.
    age_bands: list[int] = Field(default_factory=lambda: [30, 40, 50, 60])
    # A group smaller than this (citizens; referrals for the logged measures) is shown but not
    # judged: its figure is too noisy to call a model unfair on.
    min_group_citizens: int = 50
    min_group_referrals: int = 200
    # Bootstrap resamples for the 95 % intervals.
    n_boot: int = 200
    seed: int = 2026
    # The quality gate refuses a challenger whose worst group's held-out figure is below this
    # fraction of the best group's in a gated dimension, beyond doubt (its whole 95 % interval).
    gate_min_group_ratio: float = 0.90
    # Dimensions the gate judges on NDCG@10 and on the calibration of the shown chance (districts
    # are small: their calibration is shown by ``matcher audit``, not gated).
    gate_ndcg_dimensions: list[Literal["gender", "origin", "district", "age_band", "barrier"]] = Field(
        default_factory=lambda: ["gender", "origin", "district", "age_band", "barrier"])
    gate_calibration_dimensions: list[Literal["gender", "origin", "district", "age_band", "barrier"]] = Field(
        default_factory=lambda: ["gender", "origin", "age_band", "barrier"])


class DriftSettings(Section):
    """Drift of the served model (``matcher.drift``): today's referrals against its training window."""

    # "Today": referrals proposed in this many days before the date (at most ``sample`` of each period).
    recent_days: int = 90
    sample: int = 20_000
    seed: int = 2026
    bins: int = 10
    # Outcome rates count outcomes known within this many days of the proposal, in both periods.
    outcome_lag_days: int = 120
    # Retraining is due when a feature's PSI reaches this, the success rate moves this many
    # percentage points, or the served model's window ended this many days before the date.
    psi_retrain: float = 0.25
    outcome_points: float = 3.0
    max_model_age_days: int = 120


class RetrievalSettings(Section):
    """The first stage (``matcher.retrieval``): which places the ranker scores for a citizen."""

    # At most this many candidates per citizen (half nearest in occupation, half nearest by commute).
    candidates: int = 300
    # Reachable: a commute within this many times the citizen's own limit.
    reach_factor: float = 3.0


class ScaleSettings(Section):
    """Batch scoring on Dask (``matcher.cluster``)."""

    # A partition holds at most this many (citizen, place) pairs: about 0.6 KB each while scored.
    partition_pairs: int = 200_000
    # A LocalCluster when no scheduler address is given: workers, one thread each, memory limit each.
    workers: int = 2
    worker_memory: str = "4GB"


class AuthSettings(Section):
    """Sign-in: local passwords (argon2) by default; OpenID Connect through st.login in production."""

    mode: Literal["password", "oidc"] = "password"
    oidc_provider: str | None = None
    # A session ends after this many minutes without a page view or an action.
    session_minutes: int = 480
    # Signs the browser's session cookie (matcher.session_cookie); None: a random secret per
    # process (a restart signs everyone out). Set it when the app runs in more than one process.
    cookie_secret: str | None = None
    # Throttling: this many failed sign-ins within failure_window_minutes lock the account (an
    # existing username), or the client address, for lockout_minutes. An address gets more tries
    # than an account because colleagues may share one (a town hall's network address).
    max_failures: int = 5
    max_failures_per_source: int = 20
    failure_window_minutes: int = 15
    lockout_minutes: int = 15


class Settings(BaseSettings):
    """Everything configurable in matcher, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="MATCHER_", env_nested_delimiter="__", extra="forbid"
    )

    db_url: str = "sqlite:///matcher.db"
    esco_dir: Path = DATA_DIR / "esco"
    cache_dir: Path = Path(".cache")
    reports_dir: Path = Path("reports")
    world_dir: Path = Path("worlds/default")

    # Embeddings: the name must stay configurable (a multilingual model can replace it).
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = 64
    # Shipped occupation-embedding caches; when it is not writable, new ones go under cache_dir.
    embeddings_dir: Path = DATA_DIR / "embeddings"

    # Graded relevance for learning to rank (the contract's default); pending is not a label.
    gains: dict[Outcome, int] = Field(
        default_factory=lambda: {
            "declined": 0,
            "rejected": 0,
            "no_show": 0,
            "dropped_out": 1,
            "completed": 2,
            "hired": 3,
        }
    )
    # Outcomes counted as a success by the simulator's truth and the oracle ratio.
    success_outcomes: list[Outcome] = Field(default_factory=lambda: ["completed", "hired"])

    ranker: RankerSettings = Field(default_factory=RankerSettings)
    ranking: RankingSettings = Field(default_factory=RankingSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    peers: PeerSettings = Field(default_factory=PeerSettings)
    offpolicy: OffPolicySettings = Field(default_factory=OffPolicySettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)

    # MLflow: tracking and registry on a local SQLite store unless a URI is given.
    mlflow_tracking_uri: str = "sqlite:///var/mlflow.db"
    mlflow_artifact_root: Path = Path("var/mlartifacts")
    registered_model_name: str = "matcher-ranker"
    champion_alias: str = "champion"
    # The quality gate: a challenger must reach this fraction of the champion's held-out NDCG@10.
    gate_tolerance: float = 1.0
    # A training run still RUNNING after this many minutes, whose process cannot be checked (another
    # machine), is taken for dead and marked FAILED; on this machine a dead process is enough.
    orphan_run_minutes: int = 240

    # Recommendation defaults.
    default_k: int = 10
    commute_speed_kmh: float = 17.0
    commute_overhead_minutes: float = 8.0
    default_max_commute_minutes: int = 60
    # Pseudo-referrals at the overall rate added to an employer's or opportunity's own record, so a
    # place with few known outcomes is not judged on one or two of them (history features).
    history_smoothing: float = 5.0
    min_feasible_suggestions: int = 3

    # Import: an export that would remove more than this share of a table's rows is refused
    # unless `matcher import DIR --allow-shrink`; a second import waits this long for the first.
    import_max_shrink: float = 0.2
    import_wait_seconds: float = 120.0

    # Simulator defaults.
    sim_citizens: int = 10_000
    sim_seed: int = 2026
    # The simulated programme runs sim_weeks weeks from sim_start (a Monday); the export is dated at the end.
    sim_start: date = date(2022, 1, 3)
    sim_weeks: int = 156
    # More citizens than this: a national world, municipalities of about sim_municipality_citizens each.
    sim_national_above: int = 20_000
    sim_municipality_citizens: int = 3_200

    # App.
    language: Literal["da", "en"] = "da"
    # The app's "today": None means the last date in the data (the export's date), capped at today.
    app_as_of: date | None = None
    # A proposal may be dated from this many days before the app's date up to that date (a meeting
    # last week recorded today); never after it.
    proposal_days_back: int = 31
    # Programme targets shown on the overview (DOMAIN.md): share in job, education, placement or
    # small job within a year of enrolment, and citizens into ordinary job or education in two years.
    target_share_in_activity: float = 0.45
    target_hired_two_years: int = 2000
    # Citizens living within this distance of Tingbjerg count as Tingbjerg on the overview.
    tingbjerg_radius_km: float = 0.9
    # Overview cells with fewer citizens than this are suppressed (small-cell privacy rule).
    min_cell_size: int = 5

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("MATCHER_CONFIG", "matcher.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )


def _problems(error: ValidationError) -> str:
    lines = []
    for e in error.errors():
        field = ".".join(str(part) for part in e["loc"])
        if e["type"] == "extra_forbidden":
            lines.append(f"  {field}: no such setting (value {e['input']!r}); see matcher/settings.py")
        else:
            lines.append(f"  {field}: {e['msg']} (got {e['input']!r})")
    return "\n".join(lines)


def load_settings() -> Settings:
    """Settings from defaults, the TOML file and the environment; refused with a ``SettingsError``
    naming every bad field, its value and the sources, so nothing starts on a wrong setting."""
    try:
        return Settings()
    except ValidationError as error:
        source = os.environ.get("MATCHER_CONFIG", "matcher.toml")
        raise SettingsError(
            f"matcher cannot start: bad settings (from {source} and MATCHER_* environment variables):\n"
            + _problems(error)
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; call ``get_settings.cache_clear()`` in tests)."""
    return load_settings()
