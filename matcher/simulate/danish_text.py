"""Danish free text for the simulated world: caseworkers' notes, titles, descriptions, names.

Templated from the profile with varied phrasing and order, so text features see realistic
variation. Notes never hold a name or a CPR number, and never the hidden traits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DANISH_PHRASES = {
    0: ["Taler ikke dansk endnu; samtaler foregår med tolk.", "Har brug for tolk."],
    1: ["Begrænsede danskkundskaber.", "Forstår enkle beskeder på dansk."],
    2: ["Kan føre en enkel samtale på dansk.", "Dansk på mellemniveau."],
    3: ["Gode danskkundskaber.", "Taler og forstår dansk godt."],
    4: ["", "Dansk er modersmål eller flydende."],
}
EDUCATION_PHRASES = {
    "none": "Ingen formel uddannelse.",
    "primary": "Har folkeskolens afgangsprøve.",
    "upper_secondary": "Har en gymnasial uddannelse.",
    "vocational": "Har en erhvervsuddannelse.",
    "short_higher": "Har en kort videregående uddannelse.",
    "bachelor": "Har en bacheloruddannelse.",
    "master_plus": "Har en kandidatuddannelse.",
    "foreign_unrecognised": "Har en uddannelse fra hjemlandet, som ikke er anerkendt i Danmark.",
}
BARRIER_PHRASES = {
    "physical_health": ["Har ondt i ryg og knæ; tåler ikke tunge løft.", "Fysiske skavanker begrænser hårdt arbejde."],
    "mental_health": ["Angst og nedtrykthed fylder; har brug for en rolig opstart.", "Psykisk sårbar, i behandling."],
    "substance_use": ["Har et misbrug, som der arbejdes med sideløbende.", "I misbrugsbehandling."],
    "housing": ["Er uden fast bolig.", "Bor midlertidigt hos familie."],
    "debt": ["Har gæld, der fylder meget.", "Økonomien er presset af gæld."],
    "childcare": ["Har små børn og skal kunne hente i institution.", "Alene med børnene; kan ikke arbejde sent."],
    "caring_duties": ["Passer et sygt familiemedlem.", "Har omsorgsforpligtelser i hjemmet."],
    "workplace_culture": ["Kender ikke dansk arbejdspladskultur så godt.", "Usikker på normer og forventninger på en dansk arbejdsplads."],
    "criminal_record": ["Har en plettet straffeattest.", "Tidligere dømt; straffeattesten er ikke ren."],
}
EXPERIENCE = ["Har tidligere arbejdet som {0}.", "Erfaring som {0}.", "Har været ansat som {0}."]
NO_EXPERIENCE = ["Ingen erhvervserfaring i Danmark.", "Har ikke tidligere haft arbejde.", "Meget lidt arbejdserfaring."]
WISHES = ["Ønsker arbejde som {0}.", "Er interesseret i at blive {0}.", "Vil gerne prøve sig af som {0}."]
NO_WISH = ["Har endnu ikke et klart jobønske.", "Jobønske skal afklares."]
READY = {"jobparat": ["Vurderet jobparat.", "Jobparat."], "aktivitetsparat": ["Vurderet aktivitetsparat.", "Aktivitetsparat; barrierer håndteres sideløbende."]}


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def citizen_notes(rng: np.random.Generator, citizens: pd.DataFrame, history: pd.DataFrame, pool) -> list[str]:
    """A caseworker's note per citizen, in Danish, from the profile (one loop over citizens)."""
    label = pool.frame.set_index("uri")["label"]
    last_job = history.groupby("owner")["occupation_uri"].last()
    notes = []
    for i, c in enumerate(citizens.itertuples(index=False)):
        parts = [_pick(rng, [f"Borger på {2025 - c.birth_year - 1} år.", "Borgeren er startet i forløbet.", ""]),
                 _pick(rng, READY[c.readiness]),
                 _pick(rng, DANISH_PHRASES[int(c.danish_level)]),
                 EDUCATION_PHRASES[c.education]]
        job = last_job.get(i)
        parts.append(_pick(rng, EXPERIENCE).format(label.get(job, job)) if job else _pick(rng, NO_EXPERIENCE))
        wish = c.job_wishes[0] if c.job_wishes else None
        parts.append(_pick(rng, WISHES).format(label.get(wish, wish)) if wish else _pick(rng, NO_WISH))
        parts += [_pick(rng, BARRIER_PHRASES[b]) for b in c.barriers]
        if c.max_hours_per_week == c.max_hours_per_week and c.max_hours_per_week < 37:
            parts.append(f"Kan arbejde op til {int(c.max_hours_per_week)} timer om ugen.")
        if c.has_drivers_license and rng.random() < 0.6:
            parts.append("Har kørekort.")
        if c.tingbjerg and rng.random() < 0.3:
            parts.append("Bor i Tingbjerg.")
        head, tail = parts[:2], parts[2:]
        tail = [tail[k] for k in rng.permutation(len(tail))]
        notes.append(" ".join(p for p in head + tail if p))
    return notes


FIRST_NAMES = ["Anne", "Mette", "Louise", "Camilla", "Maria", "Sara", "Line", "Hanne", "Fatima", "Aisha",
               "Peter", "Lars", "Jens", "Michael", "Thomas", "Søren", "Martin", "Ali", "Ahmed", "Kasper"]
LAST_NAMES = ["Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
              "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Hussein", "Yilmaz"]


def staff_names(rng: np.random.Generator, n: int) -> list[str]:
    """Invented staff names (caseworkers are employees, not citizens)."""
    first = np.array(FIRST_NAMES)[rng.integers(len(FIRST_NAMES), size=n)]
    last = np.array(LAST_NAMES)[rng.integers(len(LAST_NAMES), size=n)]
    return [f"{a} {b}" for a, b in zip(first, last)]


PLACE_WORDS = ["Nordvest", "Amager", "Valby", "Sydhavn", "Øresund", "Kløver", "Bryggen", "Søholm", "Lindegården",
               "Vestegnen", "Fælled", "Havne", "Strand", "Egely", "Bellahøj", "Utterslev", "Kalvebod", "Damhus"]
INDUSTRY_WORDS = {
    "N": ["Rengøring", "Facility Service", "Service", "Vinduespolering"], "I": ["Restaurant", "Hotel", "Kantine", "Café"],
    "G": ["Supermarked", "Købmand", "Handel", "Byggemarked"], "H": ["Logistik", "Transport", "Lager", "Flytning"],
    "Q": ["Plejecenter", "Hjemmepleje", "Bosted", "Aktivitetscenter"], "F": ["Byg", "Entreprise", "Murerfirma", "Maler"],
    "C": ["Bageri", "Produktion", "Fødevarer", "Emballage"], "P": ["Børnehus", "Skole", "Fritidscenter"],
    "S": ["Frisør", "Vaskeri", "Renseri"], "E": ["Genbrug", "Affald", "Miljø"], "L": ["Ejendomsservice", "Boligselskab"],
    "O": ["Kommunal Drift", "Park og Vej"], "A": ["Gartneri", "Planteskole"], "R": ["Sportscenter", "Biograf"],
    "M": ["Kontorservice"], "K": ["Kundeservice"],
}
SUFFIXES = ["ApS", "A/S", "I/S", ""]


def employer_names(rng: np.random.Generator, industry: np.ndarray) -> list[str]:
    """Invented company names from a place word, an industry word and a legal form."""
    names = []
    for k, sec in enumerate(industry):
        words = INDUSTRY_WORDS.get(sec, ["Service"])
        name = f"{_pick(rng, PLACE_WORDS)} {_pick(rng, words)} {_pick(rng, SUFFIXES)}".strip()
        names.append(name)
    return names


TITLE = {
    "company_placement": ["Virksomhedspraktik som {0}", "Praktik: {0}"],
    "wage_subsidy_job": ["Løntilskudsjob som {0}", "{0} (løntilskud)"],
    "small_job": ["Småjob som {0}", "Få timer om ugen som {0}"],
    "ordinary_job": ["{0}", "Ordinært job som {0}", "Vi søger {0}"],
    "flex_job": ["Fleksjob som {0}", "{0} (fleksjob)"],
}
KIND_LINES = {
    "company_placement": "Praktikken varer {weeks} uger og er en mulighed for at vise, hvad man kan.",
    "wage_subsidy_job": "Stillingen er med løntilskud i {weeks} uger, med mulighed for fastansættelse.",
    "small_job": "Et par timer om ugen til almindelig løn; en fod inden for på arbejdsmarkedet.",
    "ordinary_job": "Fast stilling på almindelige vilkår.",
    "flex_job": "Stillingen er et fleksjob med hensyn til nedsat arbejdsevne.",
    "course": "Kurset varer {weeks} uger og foregår på holdet hos {provider}.",
    "education": "Uddannelsen foregår hos {provider} og veksler mellem skole og praktik.",
}
DANISH_REQ = {0: "Der kræves ikke dansk.", 1: "Lidt dansk er nok.", 2: "Du skal kunne tale enkelt dansk.",
              3: "Du skal tale og forstå dansk godt.", 4: "Flydende dansk er et krav."}


def opportunity_titles(rng: np.random.Generator, kind: np.ndarray, label: np.ndarray, course_title: np.ndarray) -> list[str]:
    """Danish titles: the kind's phrasing around the occupation's name (courses carry their own)."""
    out = []
    for k, lab, ct in zip(kind, label, course_title):
        if k in ("course", "education"):
            out.append(ct)
        else:
            out.append(_pick(rng, TITLE[k]).format(lab).capitalize() if lab else ct)
    return out


def opportunity_descriptions(rng: np.random.Generator, frame: pd.DataFrame, employer_name: pd.Series) -> list[str]:
    """Danish descriptions from kind, hours, place, language requirement and licence."""
    out = []
    for r in frame.itertuples(index=False):
        lines = []
        if r.employer_id:
            lines.append(_pick(rng, ["Hos {0} i {1} søger vi en ny kollega.", "{0} ({1}) har en ledig plads."]).format(
                employer_name.get(r.employer_id, ""), r.postcode))
        lines.append(KIND_LINES[r.kind].format(weeks="" if r.weeks != r.weeks else int(r.weeks), provider=r.provider))
        lines.append(f"{int(r.hours_per_week)} timer om ugen.")
        lines.append(DANISH_REQ[int(r.danish_required)])
        if r.requires_drivers_license:
            lines.append("Kørekort (B) er påkrævet.")
        if r.skills:
            lines.append("Det er en fordel at have erfaring med: " + ", ".join(r.skills) + ".")
        out.append(" ".join(lines))
    return out
