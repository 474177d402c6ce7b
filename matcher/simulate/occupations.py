"""The occupations the target group meets: the pool, their families, industries and weights.

The pool is the Danish-named part of ESCO (``occupations_da.csv``) in ISCO major groups 4, 5, 7,
8 and 9; while that file holds fewer than 100 names it is every ESCO occupation in those groups.
Professionals (major groups 1-2) are never in it. An occupation's *family* is its ISCO-08
sub-major group (two digits): the level at which the hidden affinity works.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.taxonomy import Taxonomy

GROUP_MAJORS = ("4", "5", "7", "8", "9")
MIN_DANISH_NAMES = 100

# How common an ISCO unit group is among the group's jobs and wishes (relative; others 0.5).
UNIT_WEIGHTS: dict[str, float] = {
    "9112": 10, "9111": 3, "9122": 2, "9412": 6, "9411": 3, "5120": 4, "5131": 3, "5223": 6,
    "5230": 4, "9334": 4, "9333": 6, "8344": 3, "8322": 3, "8332": 2, "8331": 2, "4321": 3,
    "5321": 5, "5322": 5, "5311": 3, "5312": 3, "9313": 4, "9312": 1, "7112": 1, "7115": 1,
    "7131": 1, "9329": 4, "9321": 3, "8160": 2, "7512": 1, "5414": 3, "5153": 2, "9214": 2,
    "9611": 2, "9612": 1, "9621": 2, "9622": 1, "4110": 1, "4222": 1, "5141": 1, "7231": 1,
}

# NACE sections where a family's jobs are found (ISCO sub-major group -> sections).
FAMILY_INDUSTRIES: dict[str, str] = {
    "41": "NOM", "42": "NOG", "43": "HGO", "44": "ON",
    "51": "SN", "52": "G", "53": "QP", "54": "NR",
    "71": "F", "72": "CFG", "73": "C", "74": "FC", "75": "C",
    "81": "C", "82": "C", "83": "H",
    "91": "NIQ", "92": "AN", "93": "FHC", "94": "I", "95": "G", "96": "EHN",
}
# Unit groups whose industries differ from their family's.
UNIT_INDUSTRIES: dict[str, str] = {
    "5120": "IQ", "5131": "I", "5132": "I", "5111": "H", "5165": "P", "5321": "Q", "5322": "Q", "5311": "P", "5312": "P",
    "5153": "LO", "9214": "AO", "9611": "E", "9612": "E", "9122": "NG", "9333": "HG",
}
# Families whose work is physically hard (the physical-health barrier weighs more there).
PHYSICAL_FAMILIES = ("71", "72", "74", "83", "91", "92", "93", "96")
# Families where a criminal record matters to employers (care, children, security).
TRUSTED_FAMILIES = ("53", "54")
# Customer-facing families (clerical work, personal services, sales, care, protection).
SERVICE_FAMILIES = ("41", "42", "43", "44", "51", "52", "53", "54")

# Education targets: unit group -> (education title in Danish, provider).
EDUCATIONS: dict[str, tuple[str, str]] = {
    "5322": ("Social- og sundhedshjælperuddannelsen", "SOSU H"),
    "5321": ("Social- og sundhedsassistentuddannelsen", "SOSU H"),
    "5312": ("Den pædagogiske assistentuddannelse", "SOSU H"),
    "5311": ("Den pædagogiske assistentuddannelse", "SOSU H"),
    "5120": ("Gastronomuddannelsen", "Hotel- og Restaurantskolen"),
    "9412": ("Ernæringsassistentuddannelsen", "Hotel- og Restaurantskolen"),
    "8332": ("Vejgodstransportuddannelsen (erhvervschauffør)", "NEXT Uddannelse København"),
    "8322": ("Kørsel med taxi og personbefordring", "NEXT Uddannelse København"),
    "4321": ("Lager- og terminaluddannelsen", "NEXT Uddannelse København"),
    "9333": ("Lager- og terminaluddannelsen", "NEXT Uddannelse København"),
    "5223": ("Detailhandelsuddannelsen", "NEXT Uddannelse København"),
    "7115": ("Tømreruddannelsen", "TEC"),
    "7112": ("Murer- og flisemageruddannelsen", "TEC"),
    "5153": ("Ejendomsserviceteknikeruddannelsen", "TEC"),
    "9112": ("Serviceassistentuddannelsen", "NEXT Uddannelse København"),
}

# Courses: (title, provider, unit groups it prepares for ('' = none), danish_required, weeks).
COURSES: tuple[tuple[str, str, str, int, tuple[int, int]], ...] = (
    ("Dansk på arbejdspladsen", "Københavns Sprogcenter", "", 0, (8, 16)),
    ("Danskuddannelse, modul 2", "Københavns Sprogcenter", "", 0, (10, 20)),
    ("FVU-læsning", "VUC København", "", 1, (6, 12)),
    ("FVU-matematik", "VUC København", "", 1, (6, 12)),
    ("FVU-digital", "VUC København", "", 1, (4, 8)),
    ("AMU: Gaffeltruckcertifikat", "AMU Hovedstaden", "8344", 1, (1, 3)),
    ("AMU: Hygiejne i fødevarevirksomheder", "AMU Hovedstaden", "9412", 1, (1, 2)),
    ("AMU: Professionel rengøring", "AMU Hovedstaden", "9112", 1, (1, 3)),
    ("AMU: Lager og logistik", "AMU Hovedstaden", "9333", 1, (2, 4)),
    ("AMU: Kundeservice i detailhandlen", "AMU Hovedstaden", "5223", 2, (1, 3)),
    ("AMU: Sikkerhed på byggepladsen", "AMU Hovedstaden", "9313", 1, (1, 2)),
    ("AMU: Grundlæggende pleje og omsorg", "SOSU H", "5322", 2, (3, 6)),
    ("AMU: Køkkenmedhjælper", "Hotel- og Restaurantskolen", "9412", 1, (3, 6)),
    ("AMU: Personbefordring (taxi)", "NEXT Uddannelse København", "8322", 2, (2, 5)),
    ("AMU: Førstehjælp", "AMU Hovedstaden", "", 1, (1, 1)),
)
PROVIDER_POSTCODES: dict[str, str] = {
    "Københavns Sprogcenter": "2200",
    "VUC København": "2300",
    "AMU Hovedstaden": "2650",
    "SOSU H": "2400",
    "Hotel- og Restaurantskolen": "2500",
    "NEXT Uddannelse København": "2720",
    "TEC": "2650",
}


@dataclass(frozen=True)
class OccupationPool:
    """The pool's occupations as a frame: uri, isco_code, family, label, weight, industries."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def in_industry(self, section: str) -> pd.DataFrame:
        hit = self.frame[self.frame["industries"].str.contains(section, regex=False)]
        return hit if len(hit) else self.frame

    def by_unit(self, unit: str) -> pd.DataFrame:
        return self.frame[self.frame["isco_code"].str.startswith(unit)]


def load_pool(tax: Taxonomy) -> OccupationPool:
    """The target group's occupations (see the module docstring for the rule)."""
    named = tax.danish_named()
    source = named if len(named) >= MIN_DANISH_NAMES else tax.frame
    frame = source[source["isco_code"].str[:1].isin(GROUP_MAJORS)]
    frame = frame[frame["essential_skills"].map(len) > 0].sort_values("isco_code", kind="stable").reset_index(drop=True)
    unit = frame["isco_code"].str[:4]
    family = frame["isco_code"].str[:2]
    weight = unit.map(UNIT_WEIGHTS).fillna(0.5).astype(float)
    # Spread a unit group's weight over its occupations so big ESCO groups do not dominate.
    weight = weight / unit.map(unit.value_counts()).astype(float) ** 0.5
    industries = unit.map(UNIT_INDUSTRIES).fillna(family.map(FAMILY_INDUSTRIES)).fillna("N")
    label = frame["label_da"].where(frame["label_da"].notna(), frame["label_en"])
    pool = pd.DataFrame(
        {
            "uri": frame["uri"].to_numpy(),
            "isco_code": frame["isco_code"].to_numpy(),
            "unit": unit.to_numpy(),
            "family": family.to_numpy(),
            "label": label.to_numpy(),
            "weight": weight.to_numpy(),
            "industries": industries.to_numpy(),
        }
    ).reset_index(drop=True)
    return OccupationPool(pool)


def families() -> list[str]:
    """Every family an occupation of the group can have (fixed, so truth files line up)."""
    return sorted(FAMILY_INDUSTRIES)


def sample(rng: np.random.Generator, frame: pd.DataFrame, n: int) -> np.ndarray:
    """``n`` URIs from ``frame`` in proportion to their weight."""
    p = frame["weight"].to_numpy(dtype=float)
    return frame["uri"].to_numpy()[rng.choice(len(frame), size=n, p=p / p.sum())]
