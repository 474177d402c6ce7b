"""The one translation table: Danish (default) and English. Every label in the app comes from here.

``t(key, lang, **values)`` looks a label up and fills ``{placeholders}``; an unknown key raises
KeyError naming it, so a missing label fails a test instead of showing a raw key to a user.
Kind names in Danish are the contract's (``matcher.contract.KINDS_DA``).
"""
from __future__ import annotations

from matcher.contract import KINDS, KINDS_DA

LANGUAGES = {"da": "Dansk", "en": "English"}
DEFAULT = "da"

KINDS_EN = {
    "company_placement": "company placement",
    "wage_subsidy_job": "wage-subsidy job",
    "small_job": "small job",
    "ordinary_job": "ordinary job",
    "flex_job": "flex job",
    "course": "course",
    "education": "ordinary education",
}

# key -> (Danish, English)
TEXTS: dict[str, tuple[str, str]] = {
    # sign-in and navigation
    "app_title": ("matcher – job fra dag ét", "matcher – job from day one"),
    "app_tagline": (
        "Forslag til konkrete tilbud til borgere i job-fra-dag-ét-indsatsen. Sagsbehandleren beslutter.",
        "Suggestions of concrete offers for citizens in the job-from-day-one programme. The caseworker decides.",
    ),
    "language": ("Sprog", "Language"),
    "username": ("Brugernavn", "Username"),
    "password": ("Adgangskode", "Password"),
    "sign_in": ("Log ind", "Sign in"),
    "sign_in_oidc": ("Log ind med kommunens login", "Sign in with the municipality's login"),
    "sign_out": ("Log ud", "Sign out"),
    "wrong_password": ("Forkert brugernavn eller adgangskode.", "Wrong username or password."),
    "sign_in_locked": (
        "For mange mislykkede forsøg. Prøv igen om {minutes} minut(ter).",
        "Too many failed attempts. Try again in {minutes} minute(s).",
    ),
    "session_ended": (
        "Din session er udløbet eller afsluttet. Log ind igen.",
        "Your session has expired or ended. Please sign in again.",
    ),
    "unknown_identity": (
        "Din identitet er ikke oprettet som bruger i matcher. Kontakt en administrator.",
        "Your identity is not set up as a matcher user. Contact an administrator.",
    ),
    "page_denied": ("Din rolle giver ikke adgang til denne side.", "Your role does not give access to this page."),
    "nav_caseload": ("Min sagsstamme", "My caseload"),
    "nav_citizen": ("Borger", "Citizen"),
    "nav_liaison": ("Kandidatsøgning", "Candidate search"),
    "nav_models": ("Modeller", "Models"),
    "nav_overview": ("Overblik", "Overview"),
    "nav_admin": ("Administration", "Administration"),
    "role_caseworker": ("sagsbehandler", "caseworker"),
    "role_employer_liaison": ("virksomhedskonsulent", "employer liaison"),
    "role_data_scientist": ("dataanalytiker", "data scientist"),
    "role_admin": ("administrator", "administrator"),
    # caseload
    "caseload_title": ("Min sagsstamme", "My caseload"),
    "as_of": ("Data pr. {date}", "Data as of {date}"),
    "search": ("Søg", "Search"),
    "search_hint": ("borger-id eller bydel", "citizen id or district"),
    "citizens": ("Borgere", "Citizens"),
    "no_active_offer": ("Uden aktivt tilbud", "Without an active offer"),
    "no_active_offer_flag": ("⚠ intet aktivt tilbud", "⚠ no active offer"),
    "no_offer_warning": (
        "{n} borger(e) har intet aktivt tilbud. Job fra dag ét: find noget konkret til dem.",
        "{n} citizen(s) have no active offer. Job from day one: find something concrete for them.",
    ),
    "open_citizen": ("Åbn borger", "Open citizen"),
    "open": ("Åbn", "Open"),
    "choose_citizen": ("Vælg en borger i din sagsstamme.", "Choose a citizen in your caseload."),
    "caseload_empty": ("Der er ingen borgere i din sagsstamme.", "There are no citizens in your caseload."),
    # citizen
    "citizen_title": ("Borger", "Citizen"),
    "citizen": ("Borger", "Citizen"),
    "citizen_denied": (
        "Du har ikke adgang til borger {citizen}: borgeren er ikke i din sagsstamme. Forsøget er logget.",
        "You have no access to citizen {citizen}: the citizen is not in your caseload. The attempt is logged.",
    ),
    "education": ("Uddannelse", "Education"),
    "barriers": ("Barrierer", "Barriers"),
    "wishes": ("Jobønsker", "Job wishes"),
    "experience": ("Erfaring", "Experience"),
    "max_hours": ("Timer pr. uge (højst)", "Hours a week (at most)"),
    "max_commute": ("Transporttid (højst, min.)", "Commute (at most, min)"),
    "consent": ("Samtykke til kandidatsøgning", "Consent to candidate search"),
    "notes": ("Noter", "Notes"),
    "yes": ("ja", "yes"),
    "no": ("nej", "no"),
    "none": ("ingen", "none"),
    "history": ("Forløb: henvisninger og resultater", "History: referrals and outcomes"),
    "no_history": ("Ingen henvisninger endnu.", "No referrals yet."),
    "record_outcome": ("Registrér resultat af en henvisning", "Record the outcome of a referral"),
    "referral": ("Henvisning", "Referral"),
    "outcome": ("Resultat", "Outcome"),
    "outcome_on": ("Dato for resultat", "Outcome date"),
    "save_outcome": ("Gem resultat", "Save outcome"),
    "outcome_saved": ("Resultatet er gemt.", "The outcome is saved."),
    "suggestions": ("Forslag", "Suggestions"),
    "kinds": ("Tilbudstyper", "Kinds of offer"),
    "score": ("score", "score"),
    "chance": ("chance for succes", "chance of success"),
    "commute": ("transport", "commute"),
    "propose": ("Foreslå", "Propose"),
    "proposed": ("Forslaget er registreret som henvisning {referral} (afventer).", "The proposal is recorded as referral {referral} (pending)."),
    "no_suggestions": ("Ingen forslag med disse filtre.", "No suggestions with these filters."),
    "no_model": ("Der er endnu ingen trænet model. Kør `matcher train`.", "There is no trained model yet. Run `matcher train`."),
    "map": ("Kort: hjem (rød) og forslag (blå)", "Map: home (red) and suggestions (blue)"),
    # liaison
    "liaison_title": ("Kandidater til en virksomheds opslag", "Candidates for an employer's opening"),
    "liaison_fields_note": (
        "Kun borgere, der har givet samtykke, og kun oplysninger, der er nødvendige for at vurdere et match.",
        "Only citizens who consented, and only the facts needed to judge a match.",
    ),
    "employer": ("Virksomhed", "Employer"),
    "opening": ("Opslag", "Opening"),
    "no_openings": ("Ingen åbne opslag.", "No open openings."),
    "candidate": ("Kandidat", "Candidate"),
    "no_candidates": ("Ingen kandidater med samtykke.", "No consenting candidates."),
    "shortlist": ("Kortliste", "Shortlist"),
    "propose_shortlist": ("Foreslå kortlisten", "Propose the shortlist"),
    "proposed_many": ("{n} henvisning(er) registreret.", "{n} referral(s) recorded."),
    "over_capacity": ("Kun {free} ledige pladser: resten er ikke foreslået.", "Only {free} free places: the rest were not proposed."),
    # models
    "models_title": ("Modeller", "Models"),
    "champion": ("Aktuel model (champion)", "Current model (champion)"),
    "versions": ("Modelversioner", "Model versions"),
    "version": ("Version", "Version"),
    "feature_importance": ("Betydning af variable", "Feature importance"),
    "promote": ("Gør til aktuel model", "Promote"),
    "rollback": ("Rul tilbage", "Roll back"),
    "retrain": ("Gentræn", "Retrain"),
    "retrain_start": ("Start gentræning (gennem kvalitetskontrollen)", "Start retraining (through the quality gate)"),
    "training": ("Træner …", "Training …"),
    "evaluation": ("Evaluering: modellen mod alternativerne", "Evaluation: the model against its peers"),
    "no_report": ("Ingen evalueringsrapport endnu. Kør `matcher evaluate`.", "No evaluation report yet. Run `matcher evaluate`."),
    # overview
    "overview_title": ("Overblik over indsatsen", "Programme overview"),
    "share_active_offer": ("Andel med aktivt tilbud", "Share with an active offer"),
    "target_share": ("I job, uddannelse, praktik eller småjob inden for et år", "In job, education, placement or small job within a year"),
    "vs_target": ("mod målet", "against the target"),
    "target_hired": ("Til ordinært job eller uddannelse (2 år)", "Into ordinary job or education (2 years)"),
    "of_target": ("af målet", "of the target"),
    "target_hired_progress": ("{n} af {target} borgere i ordinært job eller uddannelse", "{n} of {target} citizens in an ordinary job or education"),
    "target_definitions": (
        "Mål 1 måles på de {cohort} borgere, der blev indskrevet for mindst et år siden (første runde nåede 45 %). "
        "Mål 2: borgere med udfaldet 'ansat' de seneste to år (anden runde forventer mindst 2.000).",
        "Target 1 is measured on the {cohort} citizens enrolled at least a year ago (the first round reached 45 %). "
        "Target 2: citizens with the outcome 'hired' in the last two years (the second round expects at least 2,000).",
    ),
    "by_district": ("Resultater pr. bydel (Tingbjerg for sig)", "Outcomes by district (Tingbjerg on its own)"),
    "small_cells": ("Grupper med færre end {n} borgere vises uden tal.", "Groups with fewer than {n} citizens are shown without figures."),
    "by_kind": ("Resultater pr. tilbudstype", "Outcomes by kind of offer"),
    "over_time": ("Over tid", "Over time"),
    # admin
    "admin_title": ("Administration", "Administration"),
    "users": ("Brugere", "Users"),
    "user": ("Bruger", "User"),
    "new_user": ("Ny bruger", "New user"),
    "role": ("Rolle", "Role"),
    "caseworker_id": ("Sagsbehandler-id", "Caseworker id"),
    "create_user": ("Opret bruger", "Create user"),
    "user_saved": ("Brugeren {user} er gemt.", "The user {user} is saved."),
    "new_password": ("Ny adgangskode", "New password"),
    "reset_password": ("Skift adgangskode", "Reset password"),
    "disable": ("Deaktivér", "Disable"),
    "enable": ("Aktivér", "Enable"),
    "audit_log": ("Log over adgang og handlinger", "Audit log"),
    "action": ("Handling", "Action"),
    # table columns
    "col_citizen_id": ("Borger-id", "Citizen id"),
    "col_age": ("Alder", "Age"),
    "col_district": ("Bydel", "District"),
    "col_readiness": ("Parathed", "Readiness"),
    "col_danish_level": ("Dansk", "Danish"),
    "col_months_on_benefit": ("Måneder på ydelse", "Months on benefit"),
    "col_referrals": ("Henvisninger", "Referrals"),
    "col_last_proposed_on": ("Seneste forslag", "Last proposal"),
    "col_flag": ("Job fra dag ét", "Job from day one"),
    "col_proposed_on": ("Foreslået", "Proposed"),
    "col_kind": ("Type", "Kind"),
    "col_title": ("Titel", "Title"),
    "col_place": ("Sted", "Place"),
    "col_outcome": ("Resultat", "Outcome"),
    "col_outcome_on": ("Resultatdato", "Outcome date"),
    "col_source": ("Kilde", "Source"),
    "col_hours_per_week": ("Timer/uge", "Hours/week"),
    "col_danish_required": ("Dansk krævet", "Danish required"),
    "col_capacity": ("Pladser", "Places"),
    "col_free_capacity": ("Ledige pladser", "Free places"),
    "col_citizens": ("Borgere", "Citizens"),
    "col_share_active_offer": ("Andel med aktivt tilbud", "Share with an active offer"),
    "col_share_reached": ("Andel nået i aktivitet", "Share reached an activity"),
    "col_hired": ("Ansat/uddannelse", "Hired/education"),
    "col_success_share": ("Andel gennemført/ansat", "Share completed/hired"),
    "col_proposals": ("Forslag", "Proposals"),
    "col_successes": ("Gennemført/ansat", "Completed/hired"),
    # Danish level 0-4 (the contract's scale)
    "danish_0": ("intet", "none"),
    "danish_1": ("begynder", "basic"),
    "danish_2": ("middel", "intermediate"),
    "danish_3": ("godt", "good"),
    "danish_4": ("flydende", "fluent"),
    "readiness_jobparat": ("jobparat", "job-ready"),
    "readiness_aktivitetsparat": ("aktivitetsparat", "activity-ready"),
    "education_none": ("ingen", "none"),
    "education_primary": ("grundskole", "primary school"),
    "education_upper_secondary": ("gymnasial", "upper secondary"),
    "education_vocational": ("erhvervsuddannelse", "vocational"),
    "education_short_higher": ("kort videregående", "short higher"),
    "education_bachelor": ("bachelor", "bachelor"),
    "education_master_plus": ("kandidat eller højere", "master or higher"),
    "education_foreign_unrecognised": ("udenlandsk, ikke anerkendt", "foreign, not recognised"),
    "barrier_physical_health": ("fysisk helbred", "physical health"),
    "barrier_mental_health": ("psykisk helbred", "mental health"),
    "barrier_substance_use": ("misbrug", "substance use"),
    "barrier_housing": ("bolig", "housing"),
    "barrier_debt": ("gæld", "debt"),
    "barrier_childcare": ("børnepasning", "childcare"),
    "barrier_caring_duties": ("omsorgsforpligtelser", "caring duties"),
    "barrier_workplace_culture": ("kendskab til dansk arbejdspladskultur", "knowledge of Danish workplace culture"),
    "barrier_criminal_record": ("straffeattest", "criminal record"),
    "outcome_pending": ("afventer", "pending"),
    "outcome_declined": ("takket nej (borger)", "declined (citizen)"),
    "outcome_rejected": ("afvist (arbejdsgiver)", "rejected (employer)"),
    "outcome_no_show": ("mødte ikke op", "no show"),
    "outcome_dropped_out": ("afbrudt", "dropped out"),
    "outcome_completed": ("gennemført", "completed"),
    "outcome_hired": ("ansat / i uddannelse", "hired / in education"),
}

def t(key: str, lang: str = DEFAULT, **values) -> str:
    """The label for ``key`` in ``lang`` ('da' or 'en'), with ``{placeholders}`` filled."""
    if key not in TEXTS:
        raise KeyError(f"no translation for label {key!r}: add it to matcher/i18n.py TEXTS")
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    text = TEXTS[key][0 if lang == "da" else 1]
    return text.format(**values) if values else text


def kind_label(kind: str, lang: str = DEFAULT) -> str:
    """An opportunity kind's name: the contract's Danish name, or English."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    return KINDS_DA[kind] if lang == "da" else KINDS_EN[kind]
