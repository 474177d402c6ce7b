"""The text of ``_truth/README.md``: what every truth file holds and the outcome formula."""

TRUTH_README = """\
# The hidden truth of this simulated world

`matcher import` ignores this folder. It lets an evaluation compute, for ANY citizen-opportunity
pair on any date, the probability of each outcome, from the public tables of the parent folder
plus the files here. In Python: `matcher.simulate.truth.Truth.load(world_dir)`, then
`outcome_probabilities(pairs)` or `success_probability(pairs)` (pairs: `citizen_id`,
`opportunity_id`, `as_of`).

## Files
| file | what it holds |
|---|---|
| `model.json` | `params`: every coefficient of the formula below; `families`: the ISCO-08 sub-major groups (2 digits) the affinity is indexed by; `kinds`; `outcome_columns`; the seed, size and run (`start`, `end`) of the world; `export_date`: the date the tables are exported as of (= `end`) |
| `citizen_latent.parquet` | `citizen_id`, `motivation` (normal, sd `params.sigma.motivation`): no column shows it |
| `employer_latent.parquet` | `employer_id`, `inclusiveness` (normal, sd `params.sigma.inclusiveness`): how readily the employer takes people on the margin, beyond `social_agreement` |
| `affinity.parquet` | `citizen_id`, `family`, `affinity` (normal, sd `params.sigma.affinity`): a citizen's hidden liking and aptitude for an occupation family |
| `calibration.txt` | the simulated figures next to the published ones |

## Inputs of a pair (citizen c, opportunity o, date D)
- `skill`: share of the essential ESCO skills of o's occupation that c has, where c's skills are
  the essential skills of every occupation in c's work history (`params.no_occupation_skill`
  for a course without occupation); enters as `skill - params.skill_centre`.
- `history`, `wish`: 3 when o's occupation is in c's work history / job wishes, 2 when one there
  shares its ISCO unit group (4 digits), 1 when it shares the family (2 digits), else 0; mapped
  through `params.history_levels` and `params.wish_levels`.
- `commute` minutes = great-circle km (home to o's lat/lon) / `speed_kmh` x 60 + `overhead_minutes`;
  `over_limit` = minutes beyond `max_commute_minutes` (default `default_limit_minutes`).
- `danish_gap` = max(0, `danish_required` - `danish_level`); `hours_over` = max(0, hours - max hours
  (default 37)); `licence_missing` = the opportunity requires a licence the citizen lacks.
- barriers, readiness, education, age on D; `months` on benefit on D (enters as
  log1p(months/12) - log1p(`months_centre`/12)). The column `months_on_benefit` is stated as of
  the export date (`model.json: export_date`, the run's end) or, for a citizen who left, as of
  `left_on`; on D: months = max(0, `months_on_benefit` - calendar months from D to that date),
  calendar months = 12 x (year difference) + (month difference), the day of the month ignored
  (`matcher.world.months_on_benefit_on`);
  `experience` = referrals of c with outcome `completed` and `outcome_on` before D (capped).
- employer kinds only: `social_agreement` and the employer's `inclusiveness`.
- hidden: `motivation`, `affinity` of c for o's family.

## The outcome chain (sigma = logistic function; every coefficient is in `params`)
1. P(declined) = sigma(decline.base[kind] - wish - affinity + commute terms (with `over_limit_cliff` for any minute
   over the limit) + hours_over - motivation)
2. P(no_show | not declined) = sigma(no_show.base[kind] + barriers + over_limit - motivation)
3. P(rejected | showed) = sigma(reject.base[kind] + danish_gap + `danish_gap_2_employer` when an employer kind asks
   two or more levels above the citizen's Danish + licence_missing - skill - history
   - inclusiveness - social_agreement + education + criminal record in care/security + age for educations)
4. P(dropped_out | started) = sigma(dropout.base[kind] + barrier_kind[barrier][kind] + aktivitetsparat[kind]
   + physical barrier in physical work + danish_gap + hours_over + over_limit - motivation - affinity
   - skill + months - experience)
5. P(hired | success) = sigma(hire.base[kind] + skill + inclusiveness + motivation - months + experience
   + history - danish_gap - aktivitetsparat)

declined = p1; no_show = (1-p1) p2; rejected = (1-p1)(1-p2) p3; dropped_out = start x p4 with
start = (1-p1)(1-p2)(1-p3); hired = start (1-p4) p5; completed = start (1-p4)(1-p5).
The exact code is `matcher/simulate/outcomes.py` (`outcome_probabilities`).

## Attribution
Occupations, ISCO-08 codes and skills: ESCO v1.2.0, **ESCO, European Commission**, CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). Everything about people, employers and
referrals in this world is invented.
"""


def truth_readme(family) -> str:
    return TRUTH_README
