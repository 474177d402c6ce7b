"""An explanation a citizen can get (EU AI Act Art. 86): from a referral, a printable page in
plain Danish saying what was proposed and by whom, that a caseworker decided (not the model),
the main reasons the suggestion was made, what data the model uses, and how to complain.

The reasons are the ones the caseworker saw: saved in the proposal's audit entry when it was made
from the suggestions (``matcher.oversight.proposal_detail``); for an app proposal from the list
made before they were saved, they are recomputed with the model serving now as of the proposal
date, and the page says so. A proposal the caseworker found without the suggestions, or a
referral from the municipality's own system, says that the tool did not suggest it.

Only the citizen's own caseworker may produce it (``matcher.access``); every explanation given
is audited (``explain_referral``), a refusal too.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine

from matcher import audit
from matcher.access import AccessDenied, authorise, require_citizen
from matcher.auth import SignedIn
from matcher.contract import KINDS_DA
from matcher.db import SOURCE_APP, AuditLog, Caseworker, Employer, Opportunity, Referral, session_scope
from matcher.i18n import t
from matcher.postcodes import district_of

MUNICIPALITY = "Københavns Kommune, Beskæftigelses- og Integrationsforvaltningen"
APPEALS_BOARD = "Ankestyrelsen"
# What the model may use, by feature name prefix, in words a citizen understands. A category is
# listed when the model serving the referral uses at least one of its features.
DATA_USED: tuple[tuple[tuple[str, ...], str], ...] = (
    (("wish_", "has_wishes"), "dine jobønsker"),
    (("history_", "has_history"), "dit tidligere arbejde (fagområder)"),
    (("skill_", "citizen_skill_count", "course_teaches_known"), "færdigheder fra dit tidligere arbejde, kurser og praktikker"),
    (("danish_",), "dit danskniveau"),
    (("commute_",), "transporttiden fra din bopæl og hvor langt du kan transportere dig"),
    (("opp_hours", "citizen_max_hours", "hours_"), "hvor mange timer om ugen du kan arbejde"),
    (("licence_",), "om du har kørekort"),
    (("barrier_", "n_barriers", "mental_health_x", "physical_health_x", "culture_x"),
     "de forhold i din sag, der kan gøre det svært at arbejde (fx helbred, bolig, gæld)"),
    (("activity_ready", "job_kind_x_activity_ready"), "om du er jobparat eller aktivitetsparat"),
    (("age",), "din alder"),
    (("months_on_benefit", "months_enrolled"), "hvor længe du har fået ydelse og været i indsatsen"),
    (("education_",), "din uddannelse"),
    (("cit_prev_", "cit_pending"), "hvordan dine tidligere tilbud er gået"),
    (("emp_", "opp_known", "opp_success", "social_agreement", "employer_log_size"),
     "hvordan det er gået andre hos samme arbejdsgiver og i samme tilbud"),
    (("kind_", "opp_weeks", "opp_wage"), "hvilken slags tilbud det er, hvor længe det varer og lønnen"),
)
NOT_USED = "Værktøjet bruger ikke dit køn, din oprindelse eller sagsbehandlerens notater om dig."


@dataclass
class Explanation:
    """The content of a citizen's explanation of one referral."""

    referral_id: str
    citizen_id: str
    proposed_on: date
    title: str
    kind: str
    place: str
    hours_per_week: int | None
    district: str
    outcome: str
    proposer: str
    proposer_role: str
    team: str | None
    # How the tool took part: "listed" (proposed from the suggestions), "unlisted" (found by the
    # caseworker), "off" (suggestions were switched off), "outside" (not made in the app).
    how: str
    rank: int | None = None
    reasons: list[str] = field(default_factory=list)
    # Where the reasons come from: "saved" at the proposal, "recomputed" now, or "" (none).
    reasons_source: str = ""
    model_version: str | None = None
    data_used: list[str] = field(default_factory=list)

    # ---- the text, as sections of (heading, paragraphs, bullet points) ----------------------

    def sections(self) -> list[tuple[str, list[str], list[str]]]:
        offer = f"{self.title} hos {self.place}" if self.place else self.title
        hours = f", {self.hours_per_week} timer om ugen" if self.hours_per_week else ""
        what = [
            f"Den {self.proposed_on:%d.%m.%Y} blev du foreslået: {offer} ({KINDS_DA.get(self.kind, self.kind)}{hours}, {self.district}).",
            f"Status nu: {t('outcome_' + self.outcome, 'da')}.",
        ]
        role = t("role_" + self.proposer_role, "da") if self.proposer_role in ("caseworker", "employer_liaison") else self.proposer_role
        who = [
            f"Tilbuddet blev foreslået af {self.proposer} ({role}{', ' + self.team if self.team else ''}).",
            "Det er et menneske – en medarbejder i jobcentret – der har besluttet at foreslå dig tilbuddet. "
            "Det er ikke computeren, der har besluttet det.",
        ]
        tool = {
            "listed": f"Medarbejderen brugte et IT-værktøj (matcher), der foreslår tilbud ud fra oplysninger om dig. "
                      f"Tilbuddet stod som nr. {self.rank} på værktøjets liste. Medarbejderen kan altid vælge noget andet "
                      f"end værktøjets forslag og skal selv vurdere, om tilbuddet passer til dig.",
            "unlisted": "Tilbuddet var ikke blandt IT-værktøjets forslag. Medarbejderen fandt og valgte det selv.",
            "off": "IT-værktøjets forslag var slået fra, da tilbuddet blev foreslået. Medarbejderen fandt og valgte det selv.",
            "outside": "Tilbuddet er registreret i jobcentrets eget sagssystem og blev ikke foreslået gennem IT-værktøjet matcher.",
        }[self.how]
        who.append(tool)
        sections = [("Hvad blev du tilbudt?", what, []), ("Hvem besluttede det?", who, [])]
        if self.reasons:
            intro = ("De vigtigste grunde til, at værktøjet foreslog tilbuddet:" if self.reasons_source == "saved" else
                     "Grundene er regnet ud igen nu, ud fra oplysningerne på datoen for forslaget "
                     f"(modelversion {self.model_version}); de kan afvige lidt fra dem, medarbejderen så:")
            sections.append(("Hvorfor foreslog værktøjet det?", [intro], list(self.reasons)))
        if self.how != "outside":
            data = ["Værktøjet sammenligner oplysninger fra din sag i jobcentret med de ledige tilbud. Det bruger:"]
            sections.append(("Hvilke oplysninger bruger værktøjet?", data, self.data_used + [NOT_USED]))
        sections.append((
            "Hvis du er uenig",
            [
                "Tal først med din sagsbehandler: du kan altid sige, hvad du selv ønsker, og bede om et andet tilbud.",
                f"Du kan klage over en afgørelse i din sag. Klagen sendes til {MUNICIPALITY} inden 4 uger efter, "
                "at du har fået afgørelsen. Du kan klage skriftligt eller mundtligt. Kommunen ser på sagen igen. "
                f"Giver kommunen dig ikke ret, sender den klagen videre til {APPEALS_BOARD}, som træffer den endelige afgørelse.",
                "Du har ret til at se de oplysninger, kommunen har om dig (aktindsigt og indsigt efter "
                "databeskyttelsesforordningen). Er du utilfreds med, hvordan kommunen behandler dine "
                "personoplysninger, kan du klage til Datatilsynet.",
            ],
            [],
        ))
        return sections

    @property
    def heading(self) -> str:
        return "Forklaring på et tilbud fra jobcentret"

    @property
    def subheading(self) -> str:
        return f"Borger {self.citizen_id} · henvisning {self.referral_id}"

    def markdown_blocks(self) -> list[str]:
        """The page as Markdown, one block per heading, paragraph and list."""
        blocks = [f"# {self.heading}", f"*{self.subheading}*"]
        for head, paragraphs, bullets in self.sections():
            blocks.append(f"## {head}")
            blocks += list(paragraphs)
            if bullets:
                blocks.append("\n".join(f"- {b}" for b in bullets))
        return blocks

    def markdown(self) -> str:
        return "\n\n".join(self.markdown_blocks()) + "\n"

    def html(self) -> str:
        """A self-contained page to print or save (no scripts, no outside resources)."""
        e = html.escape
        body = [f"<h1>{e(self.heading)}</h1>", f"<p class='sub'>{e(self.subheading)}</p>"]
        for head, paragraphs, bullets in self.sections():
            body.append(f"<h2>{e(head)}</h2>")
            body += [f"<p>{e(p)}</p>" for p in paragraphs]
            if bullets:
                body.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in bullets) + "</ul>")
        style = ("body{font-family:sans-serif;max-width:42em;margin:2em auto;line-height:1.45;color:#111}"
                 "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.4em}.sub{color:#555}"
                 "@media print{body{margin:0}}")
        return ("<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'>"
                f"<title>{e(self.heading)}</title><style>{style}</style></head><body>"
                + "".join(body) + "</body></html>")


def data_used(features: list[str] | None) -> list[str]:
    """The data categories (Danish) of :data:`DATA_USED` the model's ``features`` touch (all when unknown)."""
    if features is None:
        return [text for _, text in DATA_USED]
    return [text for prefixes, text in DATA_USED if any(f.startswith(prefixes) for f in features)]


def _proposal_entry(engine: Engine, citizen_id: str, referral_id: str) -> dict:
    """The detail of the proposal's audit entry (what the app showed), or {}."""
    with engine.connect() as conn:
        rows = conn.execute(select(AuditLog.detail).where(AuditLog.action == audit.PROPOSE, AuditLog.citizen_id == citizen_id)
                            .order_by(AuditLog.id.desc())).all()
    for (detail,) in rows:
        if isinstance(detail, dict) and detail.get("referral_id") == referral_id:
            return detail
    return {}


def build(engine: Engine, referral_id: str, matcher=None) -> Explanation:
    """The explanation of a referral (no access check: see :func:`explain_referral`). ``matcher``:
    a ``matcher.service.Matcher`` to recompute reasons that were not saved (optional)."""
    from matcher.oversight import choice

    with session_scope(engine) as s:
        row = s.execute(
            select(Referral, Opportunity, Employer.name, Caseworker)
            .join(Opportunity, Opportunity.opportunity_id == Referral.opportunity_id)
            .outerjoin(Employer, Employer.employer_id == Opportunity.employer_id)
            .outerjoin(Caseworker, Caseworker.caseworker_id == Referral.caseworker_id)
            .where(Referral.referral_id == referral_id)
        ).one_or_none()
        if row is None:
            raise KeyError(f"referral {referral_id!r} does not exist")
        ref, opp, employer, staff = row
        facts = dict(
            referral_id=ref.referral_id, citizen_id=ref.citizen_id, proposed_on=ref.proposed_on, title=opp.title,
            kind=opp.kind, place=employer or opp.provider or "", hours_per_week=opp.hours_per_week,
            district=district_of(opp.postcode), outcome=ref.outcome,
            proposer=(staff.name if staff is not None else ref.caseworker_id),
            proposer_role=(staff.role if staff is not None else "caseworker"), team=staff.team if staff is not None else None,
        )
        in_app, opportunity_id = ref.source == SOURCE_APP, ref.opportunity_id
    detail = _proposal_entry(engine, facts["citizen_id"], referral_id) if in_app else {}
    how = "outside" if not in_app else {"first": "listed", "top3": "listed", "lower": "listed"}.get(choice(detail), choice(detail))
    explanation = Explanation(**facts, how=how, rank=detail.get("rank"), model_version=detail.get("model_version"))
    if how == "listed":
        if detail.get("reasons_da"):
            explanation.reasons, explanation.reasons_source = list(detail["reasons_da"]), "saved"
        elif matcher is not None:
            redone = matcher.explain(explanation.citizen_id, opportunity_id, explanation.proposed_on)
            explanation.reasons, explanation.reasons_source = list(redone.reasons_da), "recomputed"
            explanation.model_version = getattr(matcher, "model_version", None) or "ukendt"
    ranker = getattr(matcher, "ranker", None)
    explanation.data_used = data_used(list(ranker.features) if ranker is not None and hasattr(ranker, "features") else None)
    return explanation


def explain_referral(engine: Engine, user: SignedIn, referral_id: str, matcher=None) -> Explanation:
    """The explanation for the citizen's own caseworker (live session), audited with the citizen
    and the referral; a refusal (wrong role, not their citizen, no such referral) is audited too."""
    with audit.refusals(engine, user, audit.EXPLAIN_REFERRAL, (AccessDenied, KeyError), detail={"referral_id": referral_id}):
        current = authorise(engine, user, audit.EXPLAIN_REFERRAL)
        with session_scope(engine) as s:
            ref = s.get(Referral, referral_id)
            citizen_id = ref.citizen_id if ref is not None else None
        if citizen_id is None:
            raise KeyError(f"referral {referral_id!r} does not exist")
        require_citizen(engine, current, citizen_id)
        explanation = build(engine, referral_id, matcher)
    audit.record(engine, current, audit.EXPLAIN_REFERRAL, citizen_id=citizen_id,
                 opportunity_id=None, detail={"referral_id": referral_id, "how": explanation.how})
    return explanation
