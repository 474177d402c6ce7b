"""The text of ``_truth/README.md``: what every truth file holds, the family's formula and ranges."""
from __future__ import annotations

from matcher.simulate.truths import FAMILIES
from matcher.simulate.truths.spec import TruthFamily, ranges_lines

COMMON = """\
# The hidden truth of this simulated world

`matcher import` ignores this folder. It lets an evaluation compute, for ANY citizen-opportunity
pair on any date, the probability of each outcome, from the public tables of the parent folder
plus the files here. In Python: `matcher.simulate.truth.Truth.load(world_dir)`, then
`outcome_probabilities(pairs)` or `success_probability(pairs)` (pairs: `citizen_id`,
`opportunity_id`, `as_of`).

This world's truth family: **{name}** ({summary}). The simulator has several structurally
different families ({families}); models, grids and rules are to be chosen on the worst case
across them, never on one. A family is a formula plus ranges: the world's seed draws every
coefficient from its range, then the intercepts (`base`, one per kind and step) are solved so
that the outcome shares per kind of the proposals caseworkers make land on
`calibration_targets` (a pilot run of the first year gives those proposals).

## Files
| file | what it holds |
|---|---|
| `model.json` | `truth_family`; `params`: every coefficient of the formula below as drawn and calibrated; `ranges`: where each was drawn from (`{{"uniform": [low, high]}}`; other values fixed); `calibration_targets`: outcome shares per kind; `latent_sigma`: the spread of the hidden traits; `families`: the ISCO-08 sub-major groups (2 digits) the affinity is indexed by; `kinds`; `outcome_columns`; the seed, size and run (`start`, `end`) of the world; `export_date`: the date the tables are exported as of (= `end`) |
| `citizen_latent.parquet` | `citizen_id`, `motivation` (normal, sd `latent_sigma.motivation`): no column shows it |
| `employer_latent.parquet` | `employer_id`, `inclusiveness` (normal, sd `latent_sigma.inclusiveness`): how readily the employer takes people on the margin, beyond `social_agreement`{tastes} |
| `affinity.parquet` | `citizen_id`, `family`, `affinity` (normal, sd `latent_sigma.affinity`): a citizen's hidden liking and aptitude for an occupation family |
| `calibration.txt` | the simulated figures next to the published ones |

## Inputs of a pair (citizen c, opportunity o, date D)
- `skill`: share of the essential ESCO skills of o's occupation that c has, where c's skills are
  the essential skills of every occupation in c's work history (`params.no_occupation_skill`
  for a course without occupation).
- `history`, `wish`: 3 when o's occupation is in c's work history / job wishes, 2 when one there
  shares its ISCO unit group (4 digits), 1 when it shares the family (2 digits), else 0; mapped
  through `params.history_levels` and `params.wish_levels`.
- `commute` minutes = great-circle km (home to o's lat/lon) / `commute.speed_kmh` x 60 +
  `commute.overhead_minutes` (the truth's own commute model, drawn per world); `limit` =
  `max_commute_minutes` (default `commute.default_limit_minutes`); `over_limit` = minutes beyond it.
- Danish level and `danish_gap` = max(0, `danish_required` - `danish_level`); hours of o and the
  citizen's maximum (default `default_max_hours`), `hours_over` = max(0, hours - maximum);
  `licence_missing` = the opportunity requires a licence the citizen lacks.
- barriers, readiness, education, age on D; `months` on benefit on D. The column
  `months_on_benefit` is stated as of the export date (`model.json: export_date`, the run's end)
  or, for a citizen who left, as of `left_on`; on D: months = max(0, `months_on_benefit` -
  calendar months from D to that date), calendar months = 12 x (year difference) + (month
  difference), the day of the month ignored (`matcher.world.months_on_benefit_on`);
  `experience` = referrals of c with outcome `completed` and `outcome_on` before D (capped at
  `experience_cap`).
- o's occupation family: physical work (ISCO 71, 72, 74, 83, 91, 92, 93, 96), care and security
  (53, 54), customer-facing work (41-44, 51-54).
- employer kinds only: `social_agreement` and the employer's hidden traits.
- hidden: `motivation`, `affinity` of c for o's family.

## The outcome model: {name}
{doc}
The exact code is `matcher/simulate/truths/{name}.py` (`probabilities`).

## Ranges of this family's coefficients
{ranges}

## Attribution
Occupations, ISCO-08 codes and skills: ESCO v1.2.0, **ESCO, European Commission**, CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). Everything about people, employers and
referrals in this world is invented.
"""


def truth_readme(family: TruthFamily) -> str:
    """``_truth/README.md`` for a world of ``family``."""
    doc = family.doc.strip()
    tastes = (", and `taste_age`, `taste_education`, `taste_danish` (standard normal): the employer's "
              "own tastes for older workers, formal education and fluent Danish") if family.uses_tastes else ""
    return COMMON.format(
        name=family.name, summary=FAMILIES[family.name], families=", ".join(FAMILIES), tastes=tastes,
        doc=doc.split("\n", 1)[1].strip() + "\n" if "\n" in doc else doc,
        ranges="\n".join(f"- {line}" for line in ranges_lines(family.ranges)),
    )
