"""The ESCO v1.2.0 occupations pillar: occupations, their skills, the ISCO-08 hierarchy.

Attribution: ESCO, European Commission (CC BY 4.0). Danish names come from
``data/esco/occupations_da.csv`` (written by the matcher team); an occupation without one shows
its English label, marked ``(en)``. Danish skill names come from ``data/esco/skills_da.csv``
(written by the matcher team, keyed by ESCO's English preferred label: the shipped pillar has no
skill URIs); a skill marked ``english-fallback`` there has no Danish name yet.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.settings import get_settings

PROFILES_FILE = "esco_occupation_profiles_v1.2.0.parquet"
ISCO_FILE = "ISCOGroups_en_v1.2.0.csv"
DANISH_FILE = "occupations_da.csv"
DANISH_SKILLS_FILE = "skills_da.csv"
VERSION = "esco-v1.2.0"


def _as_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


@dataclass(frozen=True)
class Occupation:
    uri: str
    label_en: str
    label_da: str | None
    isco_code: str
    essential_skills: tuple[str, ...]
    optional_skills: tuple[str, ...]
    description: str

    @property
    def label(self) -> str:
        """The label a caseworker reads: Danish, or English marked as such."""
        return self.label_da or f"{self.label_en} (en)"

    @property
    def isco_major(self) -> str:
        return self.isco_code[:1]


class Taxonomy:
    """Lookups over the whole occupations pillar (3,039 occupations)."""

    def __init__(self, esco_dir: Path | None = None) -> None:
        self.esco_dir = Path(esco_dir or get_settings().esco_dir)
        raw = pd.read_parquet(self.esco_dir / PROFILES_FILE)
        frame = pd.DataFrame(
            {
                "uri": raw["occupation_uri"].str.strip(),
                "label_en": raw["occupation_name"].str.strip(),
                "isco_code": raw["isco_code"].astype(str).str.strip(),
                "description": raw["occupation_description"].fillna("").str.strip(),
                "essential_skills": raw["essential_skills"].map(_as_list),
                "optional_skills": raw["optional_skills"].map(_as_list),
                "alternative_names": raw["alternative_names"].map(_as_list),
            }
        )
        danish_path = self.esco_dir / DANISH_FILE
        if danish_path.exists():
            da = pd.read_csv(danish_path, dtype=str)
            frame = frame.merge(da[["uri", "label_da"]], on="uri", how="left")
        else:
            frame["label_da"] = None
        # object dtype: a string column would turn None back into NaN, which is truthy in label().
        frame["label_da"] = frame["label_da"].astype(object).where(frame["label_da"].notna(), None)
        self.frame = frame.set_index("uri", drop=False)
        self.isco_groups = pd.read_csv(self.esco_dir / ISCO_FILE, dtype=str)

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and uri in self.frame.index

    @cached_property
    def uris(self) -> np.ndarray:
        return self.frame["uri"].to_numpy()

    @cached_property
    def version(self) -> str:
        """Taxonomy version plus a fingerprint of the content (keys the embedding cache)."""
        digest = hashlib.sha256("\n".join(self.frame["uri"] + "|" + self.frame["label_en"]).encode())
        return f"{VERSION}-{digest.hexdigest()[:12]}"

    def occupation(self, uri: str) -> Occupation:
        if uri not in self:
            raise KeyError(f"unknown ESCO occupation URI: {uri}")
        r = self.frame.loc[uri]
        return Occupation(
            uri=uri,
            label_en=r["label_en"],
            label_da=r["label_da"],
            isco_code=r["isco_code"],
            essential_skills=tuple(r["essential_skills"]),
            optional_skills=tuple(r["optional_skills"]),
            description=r["description"],
        )

    def label(self, uri: str | None) -> str:
        """Danish label, or the English one marked ``(en)``; '' for a missing URI."""
        if not uri or uri not in self:
            return ""
        r = self.frame.loc[uri]
        return r["label_da"] or f"{r['label_en']} (en)"

    def by_isco(self, code: str) -> pd.DataFrame:
        """Occupations whose ISCO-08 code starts with ``code`` (1 to 4 digits)."""
        return self.frame[self.frame["isco_code"].str.startswith(str(code))]

    def isco_group_label(self, code: str) -> str | None:
        hit = self.isco_groups[self.isco_groups["code"] == str(code)]
        return None if hit.empty else hit.iloc[0]["preferredLabel"]

    def essential_skills(self, uri: str) -> list[str]:
        return list(self.frame.loc[uri, "essential_skills"]) if uri in self else []

    def skills(self, uri: str) -> list[str]:
        """Essential plus optional skills of an occupation."""
        if uri not in self:
            return []
        r = self.frame.loc[uri]
        return list(r["essential_skills"]) + list(r["optional_skills"])

    @staticmethod
    def isco_distance(code_a: str, code_b: str) -> int:
        """0 for the same unit group, 4 when even the major group differs."""
        shared = 0
        for a, b in zip(code_a[:4], code_b[:4]):
            if a != b:
                break
            shared += 1
        return 4 - shared

    def danish_named(self) -> pd.DataFrame:
        return self.frame[self.frame["label_da"].notna()]


@lru_cache(maxsize=4)
def load_taxonomy(esco_dir: str | None = None) -> Taxonomy:
    """The taxonomy, loaded once per process."""
    return Taxonomy(Path(esco_dir) if esco_dir else None)


@lru_cache(maxsize=2)
def _skill_names(esco_dir: str) -> dict[str, tuple[str, str | None]]:
    """Lower-cased English label -> (ESCO's English label, the written Danish one or None)."""
    path = Path(esco_dir) / DANISH_SKILLS_FILE
    if not path.exists():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    written = table["source"] == "written"
    return {
        en.lower(): (en, da if ok and da else None)
        for en, da, ok in zip(table["label_en"], table["label_da"], written)
    }


def skill_label(label: str, lang: str = "da", esco_dir: str | None = None) -> str | None:
    """An ESCO skill's name for a reader: the written Danish one (None when there is none yet,
    so a Danish text never shows English), or ESCO's English label."""
    names = _skill_names(str(esco_dir or get_settings().esco_dir))
    en, da = names.get(str(label).strip().lower(), (str(label), None))
    return da if lang == "da" else en
