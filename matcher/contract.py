"""The import format of ``../shared/DATA_CONTRACT.md`` as data: tables, columns, types, rules.

The importer validates against these specs and the simulator writes by them, so the two
cannot drift apart. Extending the contract means adding here (new optional columns), never
renaming or dropping.
"""
from __future__ import annotations

from dataclasses import dataclass, field

KINDS = (
    "company_placement",
    "wage_subsidy_job",
    "small_job",
    "ordinary_job",
    "flex_job",
    "course",
    "education",
)
KINDS_DA = {
    "company_placement": "virksomhedspraktik",
    "wage_subsidy_job": "job med løntilskud",
    "small_job": "småjob",
    "ordinary_job": "ordinært job",
    "flex_job": "fleksjob",
    "course": "kursus",
    "education": "ordinær uddannelse",
}
GENDERS = ("F", "M", "X")
ORIGINS = ("danish", "western", "non_western")
BENEFITS = ("kontanthjaelp", "integrationsydelse", "uddannelseshjaelp")
READINESS = ("jobparat", "aktivitetsparat")
EDUCATIONS = (
    "none",
    "primary",
    "upper_secondary",
    "vocational",
    "short_higher",
    "bachelor",
    "master_plus",
    "foreign_unrecognised",
)
BARRIERS = (
    "physical_health",
    "mental_health",
    "substance_use",
    "housing",
    "debt",
    "childcare",
    "caring_duties",
    "workplace_culture",
    "criminal_record",
)
OUTCOMES = ("pending", "declined", "rejected", "no_show", "dropped_out", "completed", "hired")
ROLES = ("caseworker", "employer_liaison")
NACE_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRSTU")

# Column types: str, int, float, date, bool, enum, list (of str), list_enum, uri, uri_list.
TYPES = ("str", "int", "float", "date", "bool", "enum", "list", "list_enum", "uri", "uri_list")
# Every date must lie in this window (ISO text compares like the dates it names): an export
# with year 0 or 9999 is a broken export, and the features compute with these dates.
FIRST_DATE, LAST_DATE = "1900-01-01", "2100-12-31"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    # "table.column" this column refers to.
    references: str | None = None
    # Required only for some rows: a (column, values) condition under which it is required.
    required_unless: tuple[str, tuple[str, ...]] | None = None
    required_if: tuple[str, tuple[str, ...]] | None = None
    postcode: bool = False
    pseudonymous_id: bool = False
    default: object = None
    # Written by people (notes, names, titles): a CPR number in it is removed and a leading
    # formula character is neutralised, each with a warning, instead of refusing the export.
    free_text: bool = False

    @property
    def is_id(self) -> bool:
        """An identifier (key or reference): never CPR-shaped, never a spreadsheet formula."""
        return self.name.endswith("_id") or self.pseudonymous_id


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    key: str | None
    columns: tuple[Column, ...]
    # (earlier, later) date column pairs that must be ordered when both are present.
    ordered_dates: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "caseworkers",
            True,
            "caseworker_id",
            (
                C("caseworker_id", "str", True, pseudonymous_id=True),
                C("name", "str", True, free_text=True),
                C("team", "str", free_text=True),
                C("role", "enum", True, enum=ROLES),
            ),
        ),
        Table(
            "citizens",
            True,
            "citizen_id",
            (
                C("citizen_id", "str", True, pseudonymous_id=True),
                C("birth_year", "int", True, min=1900, max=2100),
                C("gender", "enum", True, enum=GENDERS),
                C("home_postcode", "str", True, postcode=True),
                C("home_lat", "float", min=54.0, max=58.0),
                C("home_lon", "float", min=7.0, max=16.0),
                C("origin", "enum", enum=ORIGINS),
                C("benefit", "enum", True, enum=BENEFITS),
                C("readiness", "enum", True, enum=READINESS),
                C("months_on_benefit", "int", True, min=0),
                C("education", "enum", True, enum=EDUCATIONS),
                C("danish_level", "int", True, min=0, max=4),
                C("barriers", "list_enum", enum=BARRIERS),
                C("job_wishes", "uri_list"),
                C("max_hours_per_week", "int", min=1, max=37),
                C("max_commute_minutes", "int", min=0),
                C("has_drivers_license", "bool"),
                C("caseworker_id", "str", True, references="caseworkers.caseworker_id"),
                C("enrolled_on", "date", True),
                C("left_on", "date"),
                C("candidate_search_consent", "bool", default=False),
                C("notes", "str", free_text=True),
            ),
            ordered_dates=(("enrolled_on", "left_on"),),
        ),
        Table(
            "work_history",
            False,
            None,
            (
                C("citizen_id", "str", True, references="citizens.citizen_id"),
                C("occupation_uri", "uri", True),
                C("start_on", "date", True),
                C("end_on", "date"),
                C("hours_per_week", "int", min=1, max=80),
            ),
            ordered_dates=(("start_on", "end_on"),),
        ),
        Table(
            "employers",
            True,
            "employer_id",
            (
                C("employer_id", "str", True),
                C("name", "str", True, free_text=True),
                C("industry", "enum", True, enum=NACE_SECTIONS),
                C("postcode", "str", True, postcode=True),
                C("lat", "float", min=54.0, max=58.0),
                C("lon", "float", min=7.0, max=16.0),
                C("employees", "int", min=1),
                C("social_agreement", "bool"),
            ),
        ),
        Table(
            "opportunities",
            True,
            "opportunity_id",
            (
                C("opportunity_id", "str", True),
                C("kind", "enum", True, enum=KINDS),
                C(
                    "employer_id",
                    "str",
                    references="employers.employer_id",
                    required_unless=("kind", ("course", "education")),
                ),
                C("provider", "str", required_if=("kind", ("course", "education")), free_text=True),
                C("title", "str", True, free_text=True),
                C("occupation_uri", "uri", required_unless=("kind", ("course",))),
                C("description", "str", free_text=True),
                C("skills", "list", free_text=True),
                C("danish_required", "int", True, min=0, max=4),
                C("hours_per_week", "int", True, min=1, max=37),
                C("postcode", "str", True, postcode=True),
                C("lat", "float", min=54.0, max=58.0),
                C("lon", "float", min=7.0, max=16.0),
                C("open_from", "date", True),
                C("open_until", "date"),
                C("capacity", "int", True, min=1),
                C("weeks", "int", min=0),
                C("requires_drivers_license", "bool"),
                C("wage_per_hour", "float", min=0),
            ),
            ordered_dates=(("open_from", "open_until"),),
        ),
        Table(
            "referrals",
            True,
            "referral_id",
            (
                C("referral_id", "str", True),
                C("citizen_id", "str", True, references="citizens.citizen_id"),
                C("opportunity_id", "str", True, references="opportunities.opportunity_id"),
                C("caseworker_id", "str", True, references="caseworkers.caseworker_id"),
                C("proposed_on", "date", True),
                C("outcome", "enum", True, enum=OUTCOMES),
                C("outcome_on", "date"),
            ),
            ordered_dates=(("proposed_on", "outcome_on"),),
        ),
    )
}

# Load order: referenced tables first.
TABLE_ORDER = ("caseworkers", "citizens", "work_history", "employers", "opportunities", "referrals")
