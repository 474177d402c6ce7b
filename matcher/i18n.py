"""The one translation table: Danish (default) and English, and the formats of dates, times and
numbers. Every text a person reads (app labels, reasons, flags, kind and feature names) comes
from here.

``t(key, lang, **values)`` looks a label up and fills ``{placeholders}``; an unknown key raises
KeyError naming it, so a missing label fails a test instead of showing a raw key to a user.
Kind names in Danish are the contract's (``matcher.contract.KINDS_DA``). Danish formats: dates
dd.mm.åååå, times in Copenhagen local time said as such, '.' between thousands, ',' before
decimals, "45 %".
"""
from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from matcher.contract import KINDS, KINDS_DA

LANGUAGES = {"da": "Dansk", "en": "English"}
DEFAULT = "da"
LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
MISSING = "–"

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
    # model card (matcher.model_card)
    "card_title": ("Modelkort: version {version}", "Model card: version {version}"),
    "card_identity": ("Model: {model} (struktur: {structure}); MLflow-kørsel {run}; oprettet {created}.",
                      "Model: {model} (structure: {structure}); MLflow run {run}; created {created}."),
    "card_intended_use": ("Tilsigtet brug", "Intended use"),
    "card_intended_use_text": (
        "Forslag til konkrete tilbud (praktik, småjob, løntilskud, job, kurser, uddannelse) til borgere over 30 på "
        "kontanthjælp eller integrationsydelse i Københavns job-fra-dag-ét-indsats, og kandidater til en åben stilling. "
        "Forslagene er et udgangspunkt for sagsbehandlerens samtale: sagsbehandleren beslutter og kan se bort fra dem.",
        "Suggestions of concrete offers (placements, small jobs, wage-subsidy jobs, jobs, courses, educations) for "
        "citizens over 30 on cash or integration benefits in Copenhagen's job-from-day-one programme, and candidates "
        "for an opening. The suggestions start the caseworker's conversation: the caseworker decides and may disregard them.",
    ),
    "card_users": ("Brugere", "Users"),
    "card_users_text": (
        "Sagsbehandlere (egne borgere), virksomhedskonsulenter (kun borgere, der har givet samtykke til kandidatsøgning), "
        "dataanalytikere (træning, evaluering, revision).",
        "Caseworkers (their own citizens), employer liaison staff (only citizens who consented to candidate search), "
        "data scientists (training, evaluation, audit).",
    ),
    "card_prohibited": ("Må ikke bruges til", "Must not be used for"),
    "card_prohibited_text": (
        "- afgørelser om ydelser, sanktioner, visitation eller match-kategori;\n"
        "- profilering eller risikoscorer af borgere (chancen er et skøn for et bestemt tilbud, ikke et mål for borgeren);\n"
        "- automatiske beslutninger uden en sagsbehandler;\n"
        "- andre kommuner, målgrupper eller perioder uden ny træning og ny revision.",
        "- decisions on benefits, sanctions, referral category or match group;\n"
        "- profiling or risk scores of citizens (the chance is an estimate for one offer, not a measure of the person);\n"
        "- automatic decisions without a caseworker;\n"
        "- other municipalities, target groups or periods without retraining and a new audit.",
    ),
    "card_training": ("Træningsdata", "Training data"),
    "card_window": (
        "Henvisninger foreslået fra {start} til {end} (eksklusiv) med kendt udfald; kvalitetskontrollens testperiode fra "
        "{holdout}; den registrerede model er trænet til {served_end} på {pairs} henvisninger. Datafingeraftryk `{fingerprint}`.",
        "Referrals proposed from {start} to {end} (exclusive) with a known outcome; the quality gate's hold-out from "
        "{holdout}; the registered model is fitted up to {served_end} on {pairs} referrals. Data fingerprint `{fingerprint}`.",
    ),
    "card_features": ("Input og deres betydning", "Inputs and their importance"),
    "card_protected": (
        "{n} variable. Ikke input (kun brugt til revision): {absent}.",
        "{n} features. Not inputs (kept for audits only): {absent}.",
    ),
    "card_protected_found": ("ADVARSEL: beskyttede oplysninger er input: {found}.", "WARNING: protected characteristics are inputs: {found}."),
    "card_sensitive": (
        "Input, der berører en beskyttet grund eller kan stå i stedet for oprindelse (revideres pr. gruppe):",
        "Inputs that touch a protected ground or can stand in for origin (audited by group):",
    ),
    "card_metrics": ("Mål", "Metrics"),
    "card_overall": ("Samlet (testperioden)", "Overall (hold-out window)"),
    "card_metric": ("Mål", "Metric"),
    "card_value": ("Værdi", "Value"),
    "card_groups": ("Pr. gruppe (kvalitetskontrollens gruppetjek)", "Per group (the quality gate's group check)"),
    "card_groups_text": (
        "Dårligste gruppes tal over bedste gruppes på testperioden, med 95 %-interval; grænsen er {bound}.",
        "Worst group's figure over the best group's on the hold-out window, with a 95 % interval; the bound is {bound}.",
    ),
    "card_groups_none": ("Ikke målt ved træningen (versionen er ældre end gruppetjekket).",
                         "Not measured at training (the version predates the group check)."),
    "card_measure": ("Mål", "Measure"),
    "card_dimension": ("Opdeling", "Dimension"),
    "card_worst_best": ("dårligste/bedste", "worst/best"),
    "card_interval": ("95 %-interval", "95 % interval"),
    "card_families": ("Pr. sandhedsfamilie (simulatoren)", "Per truth family (the simulator)"),
    "card_families_text": (
        "Modellens specifikation (ikke denne tilpasning) på en simuleret verden pr. familie med {citizens} borgere, målt {date} "
        "(`benchmarks/bench_audit.py`).",
        "The model's specification (not this fitted version) on one simulated world per family of {citizens} citizens, "
        "measured {date} (`benchmarks/bench_audit.py`).",
    ),
    "card_family": ("Familie", "Family"),
    "card_worst_group": ("dårligste gruppe", "worst group"),
    "card_families_none": ("Ikke målt: kør `python benchmarks/bench_audit.py`.", "Not measured: run `python benchmarks/bench_audit.py`."),
    "card_limitations": ("Kendte begrænsninger", "Known limitations"),
    "card_limitations_text": (
        "- Lært af sagsbehandlernes egne henvisninger: udfald kendes kun for det, der blev foreslået.\n"
        "- Chancen er for lav for de viste forslag på simulerede data (ca. halvdelen af sandheden, `matcher audit`).\n"
        "- Alder og helbredsbarrierer er input; dansk niveau og udenlandsk uddannelse kan stå i stedet for oprindelse.\n"
        "- Virksomhedskonsulentens kandidatliste viser borgere af dansk oprindelse oftere end andre (`reports/audit.md`).\n"
        "- Målt på simulerede data; rigtige data kan opføre sig anderledes.",
        "- Learnt from the caseworkers' own referrals: outcomes are known only for what was proposed.\n"
        "- The chance shown is too low for the listed suggestions on simulated data (about half the truth, `matcher audit`).\n"
        "- Age and health barriers are inputs; Danish level and a foreign education can stand in for origin.\n"
        "- The liaison's candidate lists show citizens of Danish origin more often than others (`reports/audit.md`).\n"
        "- Measured on simulated data; real data may behave differently.",
    ),
    "card_gate": ("Kvalitetskontrollens afgørelse", "The quality gate's decision"),
    "card_gate_passed": ("bestået", "passed"),
    "card_gate_refused": ("ikke bestået", "not passed"),
    "card_gate_text": ("Afgørelse: **{decision}**. Begrundelse (skrevet af træningen på engelsk): {reason}",
                       "Decision: **{decision}**. Reason: {reason}"),
    # group audit page (matcher.group_audit)
    "nav_audit": ("Gruppeaudit", "Group audit"),
    "audit_title": ("Gruppeaudit: betjenes alle grupper lige godt?", "Group audit: are all groups served equally?"),
    "no_audit": ("Ingen gruppeaudit endnu. Kør `matcher audit`.", "No group audit yet. Run `matcher audit`."),
    "audit_caption": ("Model: {model}; dato {day}; simuleret sandhed: {family}. 95 %-intervaller ved bootstrap.",
                      "Model: {model}; date {day}; simulated truth: {family}. 95 % bootstrap intervals."),
    "audit_groups_note": (
        "Grupper: køn, oprindelse, bydel (Tingbjerg for sig), aldersgruppe og antal barrierer. Køn og oprindelse er "
        "aldrig input til modellen; de bruges kun her.",
        "Groups: gender, origin, district (Tingbjerg on its own), age band and number of barriers. Gender and origin "
        "are never model inputs; they are used only here.",
    ),
    "audit_measures": ("Hvad måles", "What is measured"),
    "audit_no_truth": ("ingen (rigtige data)", "none (real data)"),
    "audit_headline": ("Dårligste mod bedste gruppe: oracle-ratio@10 (mål ≥ 0,95)", "Worst against best group: oracle ratio@10 (target ≥ 0.95)"),
    "dim_gender": ("køn", "gender"),
    "dim_origin": ("oprindelse", "origin"),
    "dim_district": ("bydel", "district"),
    "dim_age_band": ("aldersgruppe", "age band"),
    "dim_barrier": ("barrierer", "barriers"),
    "group_danish": ("dansk", "Danish"),
    "group_western": ("vestlig", "Western"),
    "group_non_western": ("ikke-vestlig", "non-Western"),
    "group_none": ("ingen", "none"),
    "group_one": ("én", "one"),
    "group_two or more": ("to eller flere", "two or more"),
    "group_unknown": ("ukendt", "unknown"),
    "group_overall": ("alle", "everyone"),
    "group_F": ("kvinde", "woman"),
    "group_M": ("mand", "man"),
    "group_X": ("andet", "other"),
    "audit_col_dimension": ("Opdeling", "Dimension"),
    "audit_col_group": ("Gruppe", "Group"),
    "audit_col_n": ("Antal", "Count"),
    "audit_col_value": ("Værdi", "Value"),
    "audit_col_lo": ("Nedre grænse", "Lower bound"),
    "audit_col_hi": ("Øvre grænse", "Upper bound"),
    "audit_col_worst": ("Dårligste gruppe", "Worst group"),
    "audit_col_worst_value": ("Værdi (dårligste)", "Value (worst)"),
    "audit_col_best": ("Bedste gruppe", "Best group"),
    "audit_col_best_value": ("Værdi (bedste)", "Value (best)"),
    "audit_col_ratio": ("Dårligste/bedste", "Worst/best"),
    "audit_col_ratio_lo": ("Nedre grænse", "Lower bound"),
    "audit_col_ratio_hi": ("Øvre grænse", "Upper bound"),
    "measure_oracle_ratio_at_10": ("Forventede succeser mod det bedst mulige", "Expected successes against the best possible"),
    "measure_note_oracle_ratio_at_10": (
        "Top 10's forventede succeser (simulatorens sandhed) over den bedst mulige top 10's. 1 er det bedst mulige.",
        "The top 10's expected successes (the simulator's truth) over the best possible top 10's. 1 is the best possible."),
    "measure_exposure_ordinary_job": ("Ordinære job ved samme chance", "Ordinary jobs at equal fit"),
    "measure_note_exposure_ordinary_job": (
        "Hvor ofte et ordinært job vises, mod hvor ofte et med samme chance vises for alle. Under 1: færre end andre.",
        "How often an ordinary job is listed, against how often one with the same chance is listed for everyone. Below 1: fewer."),
    "measure_exposure_education": ("Uddannelser ved samme chance", "Educations at equal fit"),
    "measure_note_exposure_education": (
        "Hvor ofte en uddannelse vises, mod hvor ofte en med samme chance vises for alle. Under 1: færre end andre.",
        "How often an education is listed, against how often one with the same chance is listed for everyone. Below 1: fewer."),
    "measure_calibration_truth": ("Den viste chance mod sandheden", "The chance shown against the truth"),
    "measure_note_calibration_truth": (
        "Den viste chance for forslagene over simulatorens sande sandsynlighed. 1: rigtig; under 1: for lav.",
        "The chance shown for the suggestions over the simulator's true probability. 1: right; below 1: too low."),
    "measure_calibration_logged": ("Den viste chance mod udfaldene", "The chance shown against the outcomes"),
    "measure_note_calibration_logged": (
        "Den viste chance for henvisninger efter modellens træningsperiode over deres succeser. 1: rigtig.",
        "The chance shown for referrals after the model's training window over their successes. 1: right."),
    "measure_success_logged": ("Succesrate for henvisninger", "Success rate of referrals"),
    "measure_note_success_logged": (
        "Andel af årets henvisninger med kendt udfald, der endte i job, uddannelse eller gennemført forløb.",
        "Share of the year's referrals with a known outcome that ended in a job, an education or a completed activity."),
    "measure_liaison_exposure": ("Synlighed for virksomhedskonsulenten", "Seen by the employer liaison"),
    "measure_note_liaison_exposure": (
        "Gruppens andel af kandidatpladserne over dens andel af borgere med samtykke. 1: ses som alle andre.",
        "The group's share of the candidate slots over its share of consenting citizens. 1: seen as everyone else."),
    # drift (matcher.drift, models page)
    "drift_title": ("Drift: dagens henvisninger mod træningsperioden", "Drift: today's referrals against the training window"),
    "drift_note": (
        "Populationsstabilitetsindeks (PSI) pr. variabel for henvisninger fra {recent_start} til {recent_end} mod "
        "træningsperioden {start} til {end}. Under 0,1: stabilt; 0,1–0,25: moderat; over 0,25: stort skift.",
        "Population stability index (PSI) per feature for referrals from {recent_start} to {recent_end} against the "
        "training window {start} to {end}. Below 0.1: stable; 0.1–0.25: moderate; above 0.25: a major shift.",
    ),
    "drift_due": ("Gentræning anbefales", "Retraining due"),
    "drift_not_due": ("Ingen gentræning nødvendig", "No retraining due"),
    "drift_reason_psi": ("{n} variable med PSI ≥ {bound}: {features}", "{n} feature(s) with PSI ≥ {bound}: {features}"),
    "drift_reason_outcome": ("succesraten har flyttet sig {points} procentpoint ({before} % → {after} %)",
                             "the success rate moved {points} points ({before} % → {after} %)"),
    "drift_reason_age": ("modellens træningsperiode sluttede for {days} dage siden (grænse {bound})",
                         "the served model's window ended {days} days ago (bound {bound})"),
    "col_psi": ("PSI", "PSI"),
    "col_rate": ("Andel", "Rate"),
    "col_window": ("Træningsperioden", "Training window"),
    "col_recent": ("Seneste periode", "Recent"),
    "col_change_points": ("Ændring (procentpoint)", "Change (points)"),
    "rate_success": ("succes", "success"),
    "rate_declined": ("takket nej", "declined"),
    "rate_decided": ("afgjorte henvisninger", "decided referrals"),
    "no_drift": ("Drift kan ikke måles: {why}", "Drift cannot be measured: {why}"),
    "model_card": ("Modelkort", "Model card"),
    "card_missing": ("Intet modelkort for version {version}. Kør `matcher model-card`.",
                     "No model card for version {version}. Run `matcher model-card`."),
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
    "col_hired": ("Ansat/uddannelse (seneste 2 år)", "Hired/education (last 2 years)"),
    "col_success_share": ("Andel gennemført/ansat", "Share completed/hired"),
    "col_proposals": ("Forslag", "Proposals"),
    "col_successes": ("Gennemført/ansat", "Completed/hired"),
    "col_month": ("Måned", "Month"),
    "source_import": ("fagsystemet", "case system"),
    "source_app": ("matcher", "matcher"),
    # Danish level 0-4 (the contract's scale)
    "danish_0": ("ingen", "none"),
    "danish_1": ("begynder", "basic"),
    "danish_2": ("middel", "intermediate"),
    "danish_3": ("god", "good"),
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
    # opportunity kinds (Danish: the contract's names)
    **{
        f"kind_{kind}": (KINDS_DA[kind], en)
        for kind, en in {
            "company_placement": "company placement",
            "wage_subsidy_job": "wage-subsidy job",
            "small_job": "small job",
            "ordinary_job": "ordinary job",
            "flex_job": "flex job",
            "course": "course",
            "education": "ordinary education",
        }.items()
    },
    # reasons (matcher.reasons): lower case, joined with "; " on a card
    "reason_commute_within": (
        "{minutes} min. transport, inden for borgerens grænse på {limit} min.",
        "{minutes} min travel, within the citizen's limit of {limit} min",
    ),
    "reason_commute_over": (
        "{minutes} min. transport, over borgerens grænse på {limit} min.",
        "{minutes} min travel, over the citizen's limit of {limit} min",
    ),
    "reason_commute_within_default": (
        "{minutes} min. transport, inden for standardgrænsen på {limit} min. (borgeren har ingen grænse registreret)",
        "{minutes} min travel, within the default limit of {limit} min (the citizen has no limit on record)",
    ),
    "reason_commute_over_default": (
        "{minutes} min. transport, over standardgrænsen på {limit} min. (borgeren har ingen grænse registreret)",
        "{minutes} min travel, over the default limit of {limit} min (the citizen has no limit on record)",
    ),
    "reason_wish_none": (
        "borgeren har intet jobønske registreret at sammenligne med",
        "the citizen has no job wish on record to compare with",
    ),
    "reason_wish_same": ("matcher borgerens jobønske: {label}", "matches the citizen's job wish: {label}"),
    "reason_wish_close": ("ligner borgerens jobønske: {label}", "is close to the citizen's job wish: {label}"),
    "reason_wish_far": ("ligger et stykke fra borgerens jobønske: {label}", "is some way from the citizen's job wish: {label}"),
    "reason_history_none": ("borgeren har ingen erfaring i faget endnu", "the citizen has no experience in the trade yet"),
    "reason_history_has": ("borgeren har arbejdet som {label}", "the citizen has worked as {label}"),
    "reason_history_far": (
        "borgerens erfaring som {label} ligger langt fra",
        "the citizen's experience as {label} is far from it",
    ),
    "reason_skills_none": (
        "borgeren har endnu ikke vist nogen af de {asked} efterspurgte færdigheder",
        "the citizen has shown none of the {asked} skills asked for yet",
    ),
    "reason_skills": ("borgeren har {overlap} af {asked} efterspurgte færdigheder", "the citizen has {overlap} of {asked} skills asked for"),
    "reason_skills_example": (
        "borgeren har {overlap} af {asked} efterspurgte færdigheder, fx {examples}",
        "the citizen has {overlap} of {asked} skills asked for, e.g. {examples}",
    ),
    "reason_danish_not_needed": (
        "stiller ingen krav til dansk (borgerens dansk: {level})",
        "asks for no Danish (the citizen's Danish: {level})",
    ),
    "reason_danish_met": (
        "borgerens dansk ({level}) dækker kravet ({required})",
        "the citizen's Danish ({level}) meets the requirement ({required})",
    ),
    "reason_danish_short": (
        "kræver dansk på niveauet {required}, borgerens dansk er {level}",
        "needs Danish at the level {required}, the citizen's Danish is {level}",
    ),
    "reason_hours_within": (
        "{hours} timer om ugen, borgeren kan højst arbejde {most}",
        "{hours} hours a week, the citizen can work at most {most}",
    ),
    "reason_hours_over": (
        "{hours} timer om ugen, over borgerens maksimum på {most}",
        "{hours} hours a week, over the citizen's maximum of {most}",
    ),
    "reason_licence_missing": ("kræver kørekort, som borgeren ikke har", "requires a driving licence the citizen does not have"),
    "reason_licence_has": ("kræver kørekort, som borgeren har", "requires a driving licence, which the citizen has"),
    "reason_licence_none": ("kræver ikke kørekort", "no driving licence needed"),
    "reason_kind_fits": (
        "{kind} passer som næste skridt for en {readiness} borger",
        "a {kind} suits as the next step for a {readiness} citizen",
    ),
    "reason_kind_big": (
        "{kind} kan være et stort skridt nu for en {readiness} borger",
        "a {kind} may be a big step now for a {readiness} citizen",
    ),
    "reason_employer_social": (
        "arbejdsgiveren har en social aftale med kommunen",
        "the employer has a social agreement with the municipality",
    ),
    "reason_employer_record": (
        "{rate} af dem, der tidligere er henvist hertil, gennemførte ({known} forløb)",
        "{rate} of those referred here before succeeded ({known} referrals)",
    ),
    "reason_earlier_kind_success": (
        "borgeren har gennemført {ok} af {n} tidligere forløb af typen {kind}",
        "the citizen completed {ok} of {n} earlier referrals of the kind {kind}",
    ),
    "reason_earlier_kind_failed": (
        "{ok} af borgerens {n} tidligere forløb af typen {kind} lykkedes",
        "{ok} of the citizen's {n} earlier referrals of the kind {kind} succeeded",
    ),
    "reason_earlier_employer": (
        "borgeren har været henvist til denne arbejdsgiver før ({n} forløb)",
        "the citizen was referred to this employer before ({n} referrals)",
    ),
    # refusals of a proposal or an outcome (matcher.caseload.ProposalRefused)
    "refused_date": (
        "Et forslag skal dateres mellem {earliest} og {today} (appens dato); datoen var {on}.",
        "A proposal must be dated from {earliest} to {today} (the app's date); got {on}.",
    ),
    "refused_reason_long": ("Begrundelsen er længere end {n} tegn; gør den kortere.", "The reason is longer than {n} characters; shorten it."),
    "refused_not_linked": ("Brugeren {user} er ikke knyttet til et sagsbehandler-id.", "The user {user} is not linked to a caseworker id."),
    "refused_duplicate": (
        "Borger {citizen} har allerede en afventende henvisning til tilbud {opportunity}.",
        "Citizen {citizen} already has a pending referral to opportunity {opportunity}.",
    ),
    "refused_busy": (
        "Databasen er optaget af andre forslag; intet er gemt. Prøv igen.",
        "The database is busy with other proposals; nothing was recorded. Try again.",
    ),
    "refused_no_opportunity": ("Tilbud {opportunity} findes ikke.", "Opportunity {opportunity} does not exist."),
    "refused_not_enrolled": ("Borger {citizen} er ikke i indsatsen den {on}.", "Citizen {citizen} is not in the programme on {on}."),
    "refused_not_open": ("Tilbud {opportunity} er ikke åbent den {on}.", "Opportunity {opportunity} is not open on {on}."),
    "refused_held": (
        "Planen holder de {free} ledige plads(er) på tilbud {opportunity} til andre borgere; skriv en begrundelse for at foreslå det alligevel.",
        "The plan holds the {free} free place(s) of opportunity {opportunity} for other citizens; give a reason to propose it anyway.",
    ),
    "refused_full": ("Tilbud {opportunity} har ingen ledige pladser den {on}.", "Opportunity {opportunity} has no free places on {on}."),
    "refused_outcome_unknown": ("Resultatet {outcome} findes ikke.", "There is no outcome {outcome}."),
    "refused_no_referral": ("Henvisning {referral} findes ikke.", "Referral {referral} does not exist."),
    "refused_outcome_before": (
        "Resultatdatoen {on} ligger før henvisningen blev foreslået ({proposed_on}).",
        "The outcome date {on} is before the referral was proposed ({proposed_on}).",
    ),
    "action_denied": (
        "Du har ikke adgang til denne handling. Forsøget er logget.",
        "You may not do this. The attempt is logged.",
    ),
    # accounts (matcher.users): English as the command line says it
    "auth_password_short": ("Adgangskoden for '{user}' er kortere end {n} tegn.", "password for '{user}' is shorter than {n} characters"),
    "auth_role_unknown": ("Rollen '{role}' findes ikke; vælg en af {roles}.", "role '{role}' is not one of {roles}"),
    "auth_needs_staff": (
        "Rollen '{role}' skal knyttes til en medarbejders sagsbehandler-id; '{staff}' kendes ikke.",
        "role '{role}' needs the caseworker_id of a staff member; '{staff}' is unknown",
    ),
    "auth_staff_role": (
        "Medarbejder '{staff}' har rollen '{has}', ikke '{wanted}'.",
        "caseworker '{staff}' has role '{has}', not '{wanted}'",
    ),
    "auth_not_linked": ("Rollen '{role}' knyttes ikke til et sagsbehandler-id.", "role '{role}' is not linked to a caseworker_id"),
    "auth_no_user": ("Der er ingen bruger ved navn '{user}'.", "no user named '{user}'"),
    "auth_not_self": (
        "En administrator kan ikke ændre sin egen konto ({change}); bed en anden administrator.",
        "an admin cannot {change} their own account; ask another admin",
    ),
    "auth_username_empty": ("Brugernavnet er tomt.", "username is empty"),
    "auth_username_long": ("Brugernavnet er længere end {n} tegn.", "username is longer than {n} characters"),
    "auth_user_exists": (
        "Der findes allerede en bruger ved navn '{user}'; ret den konto i stedet.",
        "a user named '{user}' exists already; change that account instead",
    ),
    # the model registry and training (matcher.registry, matcher.training)
    "registry_no_version": (
        "{model} har ingen version {version}; versioner: {known}.",
        "promote: {model} has no version {version}; versions: {known}",
    ),
    "registry_promoted": ("Version {version} af {model} er nu den aktuelle model ({alias}).", "version {version} of {model} is now '{alias}'"),
    "registry_no_previous": (
        "{model} har ingen tidligere aktuel model at rulle tilbage til (historik: {history}); intet er ændret.",
        "rollback: {model} has no previous champion (history: {history}); nothing changed",
    ),
    "registry_moved": (
        "Den aktuelle model er nu version {replaced}, ikke {expected} som bekræftet; intet er ændret.",
        "rollback: the champion is version {replaced} now, not {expected} as confirmed; nothing changed",
    ),
    "registry_rolled_back": (
        "Rullet tilbage: den aktuelle model ({alias}) er flyttet fra version {replaced} til version {previous}.",
        "rolled back: '{alias}' moved from version {replaced} to version {previous}",
    ),
    "training_loading": ("indlæser data", "loading the data"),
    "training_features": (
        "variable for {fit} træningshenvisninger og {held} testhenvisninger",
        "features for {fit} training and {held} held-out referrals",
    ),
    "training_fitting": (
        "træner den nye model på det, der var kendt ved testperiodens start (parametre valgt efter tid)",
        "fitting the challenger on what was known at the holdout start (hyperparameters by time-ordered validation)",
    ),
    "training_gate": (
        "kvalitetskontrol: den aktuelle model trænes på samme periode, og begge testes på testhenvisningerne",
        "quality gate: the champion refitted on the same window, both on the held-out referrals",
    ),
    "training_offpolicy": (
        "skøn ud fra loggen: begge modeller vurderes på testperiodens registrerede møder",
        "off-policy estimate of both on the held-out window's logged meetings",
    ),
    "training_refit": (
        "træner den godkendte model igen på alle {n} henvisninger til {end}",
        "refitting the promoted model on all {n} referrals up to {end}",
    ),
    "training_logging": (
        "gemmer begge modeller i MLflow og registrerer den, der tages i brug",
        "logging both fits to MLflow and registering the served one",
    ),
    "training_failed": ("Gentræningen fejlede (teknisk forklaring nedenfor).", "The retraining failed (technical detail below)."),
    "training_done_promoted": (
        "Version {version} er registreret og er nu den aktuelle model (NDCG@10 på testperioden: {ndcg}).",
        "Version {version} is registered and is now the champion (held-out NDCG@10: {ndcg}).",
    ),
    "training_done_kept": (
        "Version {version} er registreret, men bestod ikke kvalitetskontrollen; den aktuelle model fortsætter (NDCG@10 på testperioden: {ndcg}).",
        "Version {version} is registered but did not pass the quality gate; the champion stays (held-out NDCG@10: {ndcg}).",
    ),
    # stated limits a suggestion breaks (matcher.features.candidates.infeasibility)
    "not_feasible_now": ("ikke muligt nu: {what}", "not feasible now: {what}"),
    "infeasible_licence": ("kræver kørekort", "requires a driving licence"),
    "infeasible_hours": ("flere timer end borgerens maksimum", "more hours than the citizen's maximum"),
    "infeasible_commute": ("over borgerens transportgrænse", "beyond the citizen's commute limit"),
    "infeasible_danish": ("kræver væsentligt bedre dansk", "needs much better Danish"),
    # units
    "minutes_short": ("{n} min.", "{n} min"),
    "local_time_note": ("Tider er dansk tid (København).", "Times are Copenhagen local time."),
    # models page: the registry's versions
    "col_version": ("Version", "Version"),
    "col_created": ("Oprettet (dansk tid)", "Created (Copenhagen time)"),
    "col_champion": ("Aktuel", "Champion"),
    "col_was_champion": ("Har været aktuel", "Was champion"),
    "col_holdout_ndcg10": ("NDCG@10 på testperioden", "Hold-out NDCG@10"),
    "col_train_start": ("Træning fra", "Training from"),
    "col_train_end": ("Træning til", "Training to"),
    "col_holdout_start": ("Testperiode fra", "Hold-out from"),
    "col_train_pairs": ("Træningspar", "Training pairs"),
    "col_fingerprint": ("Datafingeraftryk", "Data fingerprint"),
    "col_gate_passed": ("Bestod kvalitetskontrollen", "Passed the quality gate"),
    "col_promoted": ("Gjort til aktuel", "Promoted"),
    "col_gate_reason": ("Kvalitetskontrollens begrundelse", "Quality gate's reason"),
    "col_run_id": ("Kørsels-id", "Run id"),
    "col_feature": ("Variabel", "Feature"),
    "gate_reason_english": (
        "Kvalitetskontrollens begrundelser skrives af træningen på engelsk: vælg English for at se dem.",
        "The quality gate's reasons are written by the training in English.",
    ),
    "col_gain_share": ("Andel af betydningen", "Share of importance"),
    # models page: the evaluation's results table
    "col_model": ("Model", "Model"),
    "evaluation_note": (
        "Modellerne rangerer testperiodens henvisninger (efter skæringsdatoen {split}). Højere er bedre; "
        "oracle-ratio måler forventede succeser i top 10 mod det bedst mulige. Hele den tekniske rapport "
        "(på engelsk) vises, når sproget er English.",
        "The models rank the referrals of the test period (after the split date {split}). Higher is better; "
        "oracle ratio measures expected successes in the top 10 against the best possible. The full report is in "
        "reports/evaluation.md.",
    ),
    "model_lightgbm": ("LightGBM (valgt model)", "LightGBM (the model in use)"),
    "model_lightgbm_lambdarank": ("LightGBM, rangering", "LightGBM, lambdarank"),
    "model_random": ("tilfældig rækkefølge", "random order"),
    "model_popularity": ("mest populære", "most popular"),
    "model_caseworker_rule": ("sagsbehandlerens tommelfingerregel", "caseworker's rule of thumb"),
    "model_embedding": ("tekstlighed (jobønske)", "text similarity (job wish)"),
    "model_logistic": ("logistisk regression", "logistic regression"),
    "model_lightfm": ("LightFM (hybrid)", "LightFM (hybrid)"),
    "model_als": ("ALS (samarbejdsfiltrering)", "ALS (collaborative filtering)"),
    "metric_ndcg@5": ("NDCG@5", "NDCG@5"),
    "metric_ndcg@10": ("NDCG@10", "NDCG@10"),
    "metric_map@10": ("MAP@10", "MAP@10"),
    "metric_recall@10": ("genfund@10", "recall@10"),
    "metric_citizen_ndcg@10": ("NDCG@10 pr. borger", "citizen NDCG@10"),
    "metric_open_ndcg@10": ("NDCG@10 blandt alle åbne", "open NDCG@10"),
    "metric_open_recall@10": ("genfund@10 blandt alle åbne", "open recall@10"),
    "metric_oracle_ratio@5": ("oracle-ratio@5", "oracle ratio@5"),
    "metric_oracle_ratio@10": ("oracle-ratio@10", "oracle ratio@10"),
    "metric_coverage@10": ("dækning@10", "coverage@10"),
    "metric_fit_s": ("træningstid (s)", "fit time (s)"),
    # admin: users and the audit log
    "col_username": ("Brugernavn", "Username"),
    "col_role": ("Rolle", "Role"),
    "col_caseworker_id": ("Sagsbehandler-id", "Caseworker id"),
    "col_display_name": ("Navn", "Name"),
    "col_active": ("Aktiv", "Active"),
    "col_created_at": ("Oprettet (dansk tid)", "Created (Copenhagen time)"),
    "col_id": ("Nr.", "No."),
    "col_at": ("Tidspunkt (dansk tid)", "Time (Copenhagen time)"),
    "col_action": ("Handling", "Action"),
    "col_opportunity_id": ("Tilbuds-id", "Opportunity id"),
    "col_detail": ("Detaljer", "Details"),
    "action_open_citizen": ("åbnede borger", "opened citizen"),
    "action_propose": ("foreslog tilbud", "proposed an offer"),
    "action_record_outcome": ("registrerede resultat", "recorded an outcome"),
    "action_view_candidates": ("så kandidater", "viewed candidates"),
    "action_sign_in": ("loggede ind", "signed in"),
    "action_sign_in_failed": ("mislykket login", "failed sign-in"),
    "action_sign_out": ("loggede ud", "signed out"),
    "action_session_ended": ("session udløb", "session ended"),
    "action_access_denied": ("adgang nægtet", "access denied"),
    "action_refused": ("afvist", "refused"),
    "action_user_changed": ("bruger ændret", "user changed"),
    "action_retrain": ("gentræning", "retraining"),
    "action_promote": ("gjorde model aktuel", "promoted a model"),
    "action_rollback": ("rullede model tilbage", "rolled a model back"),
    "action_open_page": ("åbnede side", "opened a page"),
    "all_actions": ("alle handlinger", "all actions"),
    # an audit entry's detail: its keys, and the values the library writes there
    "detail_action": ("handling", "action"),
    "detail_why": ("årsag", "why"),
    "detail_source": ("adresse", "address"),
    "detail_change": ("ændring", "change"),
    "detail_user": ("bruger", "user"),
    "detail_role": ("rolle", "role"),
    "detail_caseworker_id": ("sagsbehandler-id", "caseworker id"),
    "detail_active": ("aktiv", "active"),
    "detail_sessions_ended": ("afsluttede sessioner", "sessions ended"),
    "detail_version": ("version", "version"),
    "detail_reason": ("begrundelse", "reason"),
    "detail_from": ("fra", "from"),
    "detail_to": ("til", "to"),
    "detail_orphan_runs_failed": ("afbrudte kørsler markeret som fejlet", "orphan runs marked failed"),
    "detail_referral_id": ("henvisning", "referral"),
    "detail_kind": ("type", "kind"),
    "detail_rank": ("placering", "rank"),
    "detail_score": ("score", "score"),
    "detail_via": ("via", "via"),
    "detail_citizens": ("borgere", "citizens"),
    "detail_page": ("side", "page"),
    "detail_typed_length": ("indtastede tegn", "characters typed"),
    "detail_locked_until": ("spærret til", "locked until"),
    "value_unknown": ("ukendt", "unknown"),
    "value_create": ("oprettet", "created"),
    "value_password": ("ny adgangskode", "new password"),
    "value_signed_out": ("logget ud", "signed out"),
    "value_deactivated": ("deaktiveret", "deactivated"),
    "value_role_changed": ("rolle ændret", "role changed"),
    "value_expired": ("udløbet", "expired"),
    "value_unknown account": ("ukendt bruger", "unknown account"),
    "value_inactive account": ("deaktiveret bruger", "inactive account"),
    "value_wrong password": ("forkert adgangskode", "wrong password"),
    "value_locked": ("spærret", "locked"),
    "value_liaison": ("virksomhedskonsulent", "liaison"),
    "choose_kinds": ("Vælg tilbudstyper", "Choose kinds of offer"),
    # feature names (models page: importance)
    "feature_skill_overlap": ("fælles færdigheder", "shared skills"),
    "feature_skill_coverage": ("andel af efterspurgte færdigheder", "share of skills asked for"),
    "feature_skill_jaccard": ("færdigheders overlap (Jaccard)", "skill overlap (Jaccard)"),
    "feature_citizen_skill_count": ("borgerens antal færdigheder", "citizen's number of skills"),
    "feature_wish_similarity": ("lighed med jobønske", "similarity to job wish"),
    "feature_wish_isco_distance": ("afstand til jobønske (ISCO)", "distance to job wish (ISCO)"),
    "feature_history_similarity": ("lighed med erfaring", "similarity to experience"),
    "feature_history_isco_distance": ("afstand til erfaring (ISCO)", "distance to experience (ISCO)"),
    "feature_has_wishes": ("har jobønske", "has a job wish"),
    "feature_has_history": ("har erfaring", "has experience"),
    "feature_wish_same_occupation": ("samme fag som jobønske", "same occupation as job wish"),
    "feature_history_same_occupation": ("samme fag som erfaring", "same occupation as experience"),
    "feature_commute_minutes": ("transporttid", "commute time"),
    "feature_commute_ratio": ("transporttid mod grænse", "commute against limit"),
    "feature_commute_over_limit": ("over transportgrænsen", "over the commute limit"),
    "feature_commute_minutes_over": ("minutter over transportgrænsen", "minutes over the commute limit"),
    "feature_danish_level": ("borgerens dansk", "citizen's Danish"),
    "feature_danish_gap": ("dansk: krav minus niveau", "Danish: requirement minus level"),
    "feature_danish_short": ("dansk under kravet", "Danish below the requirement"),
    "feature_opp_hours": ("timer om ugen", "hours a week"),
    "feature_citizen_max_hours": ("borgerens maksimale timer", "citizen's maximum hours"),
    "feature_hours_over": ("timer over maksimum", "hours over the maximum"),
    "feature_hours_ratio": ("timer mod maksimum", "hours against the maximum"),
    "feature_licence_required": ("kræver kørekort", "driving licence required"),
    "feature_licence_missing": ("mangler kørekort", "driving licence missing"),
    **{
        f"feature_kind_{kind}": (f"type: {KINDS_DA[kind]}", f"kind: {kind.replace('_', ' ')}")
        for kind in KINDS
    },
    "feature_activity_ready": ("aktivitetsparat", "activity-ready"),
    "feature_job_kind_x_activity_ready": ("job × aktivitetsparat", "job × activity-ready"),
    "feature_n_barriers": ("antal barrierer", "number of barriers"),
    "feature_barrier_physical_health": ("barriere: fysisk helbred", "barrier: physical health"),
    "feature_barrier_mental_health": ("barriere: psykisk helbred", "barrier: mental health"),
    "feature_barrier_substance_use": ("barriere: misbrug", "barrier: substance use"),
    "feature_barrier_housing": ("barriere: bolig", "barrier: housing"),
    "feature_barrier_debt": ("barriere: gæld", "barrier: debt"),
    "feature_barrier_childcare": ("barriere: børnepasning", "barrier: childcare"),
    "feature_barrier_caring_duties": ("barriere: omsorgsforpligtelser", "barrier: caring duties"),
    "feature_barrier_workplace_culture": ("barriere: arbejdspladskultur", "barrier: workplace culture"),
    "feature_barrier_criminal_record": ("barriere: straffeattest", "barrier: criminal record"),
    "feature_mental_health_x_ordinary_job": ("psykisk helbred × ordinært job", "mental health × ordinary job"),
    "feature_physical_health_x_job": ("fysisk helbred × job", "physical health × job"),
    "feature_culture_x_placement": ("arbejdspladskultur × praktik", "workplace culture × placement"),
    "feature_age": ("alder", "age"),
    "feature_months_on_benefit": ("måneder på ydelse", "months on benefit"),
    "feature_education_level": ("uddannelsesniveau", "education level"),
    "feature_education_foreign": ("udenlandsk uddannelse", "foreign education"),
    "feature_months_enrolled": ("måneder i indsatsen", "months enrolled"),
    "feature_danish_short_x_job": ("dansk under kravet × job", "Danish short × job"),
    "feature_danish_short_x_education": ("dansk under kravet × uddannelse", "Danish short × education"),
    "feature_social_agreement": ("social aftale", "social agreement"),
    "feature_employer_log_size": ("arbejdsgiverens størrelse", "employer size"),
    "feature_opp_weeks": ("tilbuddets længde i uger", "length in weeks"),
    "feature_opp_wage_per_hour": ("timeløn", "hourly wage"),
    "feature_course_teaches_known": ("kurset lærer noget kendt", "course teaches something known"),
    "feature_cit_prev_outcomes": ("borgerens tidligere forløb", "citizen's earlier referrals"),
    "feature_cit_prev_successes": ("borgerens tidligere succeser", "citizen's earlier successes"),
    "feature_cit_prev_success_rate": ("borgerens succesrate", "citizen's success rate"),
    "feature_cit_prev_refusals": ("borgerens tidligere afslag", "citizen's earlier refusals"),
    "feature_cit_prev_same_kind": ("tidligere forløb af samme type", "earlier referrals of the same kind"),
    "feature_cit_prev_same_kind_successes": ("succeser af samme type", "successes of the same kind"),
    "feature_cit_pending": ("afventende henvisninger", "pending referrals"),
    "feature_cit_prev_same_employer": ("tidligere hos samme arbejdsgiver", "earlier with the same employer"),
    "feature_emp_known_referrals": ("arbejdsgiverens kendte forløb", "employer's known referrals"),
    "feature_emp_success_rate": ("arbejdsgiverens succesrate", "employer's success rate"),
    "feature_opp_known_referrals": ("tilbuddets kendte forløb", "opportunity's known referrals"),
    "feature_opp_success_rate": ("tilbuddets succesrate", "opportunity's success rate"),
    # the municipal plan (matcher.plan_store)
    "plan_none": ("Kommunens plan for pladserne beregnes …", "The municipal plan for the places is being computed …"),
    "plan_made": (
        "Kommunens plan fra {at}: {held} ledige pladser fordelt blandt {citizens} aktive borgere.",
        "The municipal plan of {at}: {held} free places assigned among {citizens} active citizens.",
    ),
    "plan_stale": ("Pladserne har ændret sig siden; planen genberegnes.", "The places have changed since; the plan is being recomputed."),
    "plan_held_for_citizen": ("Planen holder en plads her til borgeren", "The plan holds a place here for this citizen"),
    "plan_held_for_others": (
        "Planen giver {others} plads(er) her til andre borgere; {left} ledig(e) efter planen",
        "The plan gives {others} place(s) here to other citizens; {left} left after the plan",
    ),
    "plan_held_reason": (
        "Planen holder de ledige pladser til andre borgere. Skriv en kort begrundelse for at foreslå tilbuddet alligevel.",
        "The plan holds the free places for other citizens. Give a short reason to propose it anyway.",
    ),
    "col_plan_directed": ("Planen henviser", "Directed by the plan"),
    "col_plan_listed": ("På borgeres lister", "On citizens' lists"),
    "congestion": ("Trængsel om pladserne", "Congestion for the places"),
    "congestion_gini": ("Skævhed i eksponering (Gini)", "Exposure Gini"),
    "congestion_undirected": ("Åbninger ingen henvises til", "Openings no one is directed to"),
    "congestion_first_full": ("Første forslag allerede optaget", "First suggestions already taken"),
    "congestion_note": (
        "Fra kommunens plan: hvor skævt listerne fordeler sig på åbningerne med ledige pladser (0 = ligeligt), "
        "andelen af dem planen ikke sender nogen til, og andelen af borgere hvis første forslag er optaget af andre.",
        "From the municipal plan: how unevenly the lists spread over the openings with free places (0 = evenly), "
        "the share of them the plan sends no one to, and the share of citizens whose first suggestion is taken by others.",
    ),
    # ---- the caseworker's day: results where the action was, guard rails, the map (app-day) ----
    "propose_anyway": ("Foreslå alligevel …", "Propose anyway …"),
    "confirm_propose_title": ("Tilbuddet er markeret: {why}. Vil du foreslå det alligevel?", "The offer is flagged: {why}. Propose it anyway?"),
    "override_reason": ("Kort begrundelse (gemmes med henvisningen og bruges til at forbedre forslagene)", "A short reason (stored with the referral and used to improve the suggestions)"),
    "confirm_propose": ("Bekræft forslag", "Confirm proposal"),
    "cancel": ("Fortryd", "Cancel"),
    "confirm": ("Bekræft", "Confirm"),
    "reason_required": ("Skriv en kort begrundelse for at foreslå det alligevel.", "Write a short reason to propose it anyway."),
    "held_by_plan": ("pladserne holdes til andre i planen", "the places are held for others in the plan"),
    "full_no_place": ("Fuldt: ingen ledige pladser", "Full: no free places"),
    "free_places_n": ("{n} ledig(e) plads(er)", "{n} free place(s)"),
    "proposed_here": ("✓ Foreslået: henvisning {referral} (afventer). Registrér resultatet under forløbet øverst.", "✓ Proposed: referral {referral} (pending). Record the outcome in the history above."),
    "choose_outcome": ("Vælg resultat", "Choose an outcome"),
    "outcome_missing": ("Vælg et resultat, før du gemmer.", "Choose an outcome before saving."),
    "confirm_outcome": ("Registrér »{outcome}« for »{title}« den {date}?", "Record '{outcome}' for '{title}' on {date}?"),
    "map_title": ("Kort", "Map"),
    "show_map": ("Vis kort over hjem og forslag", "Show a map of home and suggestions"),
    "map_legend": (
        "Rød: hjem · blå: forslag · grøn: pladsen planen holder til borgeren · flader: bydele (lyse) og nabokommuner (grå).",
        "Red: home · blue: suggestions · green: the place the plan holds for the citizen · areas: districts (light) and neighbouring municipalities (grey).",
    ),
    "map_home": ("Hjem", "Home"),
    "map_commute": ("{minutes} min. transport", "{minutes} min commute"),
    "map_held": ("holdt til borgeren i planen", "held for the citizen in the plan"),
    "opening_full": ("Opslaget er fuldt: ingen ledige pladser, så der kan ikke foreslås kandidater.", "The opening is full: no free places, so no candidates can be proposed."),
    "shortlist_infeasible": (
        "{n} på kortlisten er markeret »ikke muligt nu« ({ids}). Skriv en begrundelse for at foreslå dem alligevel.",
        "{n} on the shortlist are flagged 'not feasible now' ({ids}). Give a reason to propose them anyway.",
    ),
    "action_shortlist": ("ændrede kortliste", "changed a shortlist"),
    "choose_version": ("Vælg version", "Choose a version"),
    "confirm_promote": ("Gør version {version} til aktuel model i stedet for version {current}?", "Make version {version} the current model instead of version {current}?"),
    "confirm_rollback": ("Rul tilbage: version {to} bliver aktuel model i stedet for version {current}?", "Roll back: version {to} becomes the current model instead of version {current}?"),
    "no_rollback": ("Der er ingen tidligere model at rulle tilbage til.", "There is no earlier model to roll back to."),
    "retrain_running": ("Gentræning kører (startet {since}): {step}", "Retraining is running (started {since}): {step}"),
    "promoted_to": ("Version {version} er nu aktuel model.", "Version {version} is now the current model."),
    "rolled_back_to": ("Rullet tilbage: version {to} er nu aktuel model (før: {current}).", "Rolled back: version {to} is the current model now (before: {current})."),
    # the caseworker in charge: the suggestions switch, overruling, oversight, explanation
    "nav_oversight": ("Tilsyn", "Oversight"),
    "nav_explanation": ("Forklaring til borger", "Explanation for the citizen"),
    "suggestions_off": (
        "Forslag er slået fra for alle (siden {since}, af {by}). Søg selv blandt de åbne tilbud nedenfor.",
        "Suggestions are switched off for everyone (since {since}, by {by}). Search the open offers below yourself.",
    ),
    "suggestions_off_now": ("Forslag er netop slået fra.", "Suggestions were just switched off."),
    "overrule_reason": (
        "Begrundelse, hvis du vælger uden for top 3 eller uden for listen (valgfri, kort)",
        "Reason if you choose outside the top 3 or off the list (optional, short)",
    ),
    "overrule_reason_help": (
        "Gemmes med det næste forslag, du gør, og vises anonymt på tilsynssiden. Skriv ikke CPR-numre.",
        "Kept with the next proposal you make and shown without names on the oversight page. Do not write CPR numbers.",
    ),
    "search_opportunities": ("Søg selv blandt åbne tilbud", "Search the open offers yourself"),
    "search_words": ("Titel eller sted", "Title or place"),
    "action_switch_suggestions": ("slog forslag til/fra", "switched suggestions on/off"),
    "action_explain_referral": ("lavede forklaring til borger", "made an explanation for the citizen"),
    "detail_suggestions": ("forslag", "suggestions"),
    "detail_listed": ("fra forslagslisten", "from the suggestions"),
    "detail_model_version": ("modelversion", "model version"),
    "detail_shown": ("viste tilbud", "offers shown"),
    "detail_chance": ("chance", "chance"),
    "detail_reasons_da": ("grunde", "reasons (Danish)"),
    "detail_reasons_en": ("grunde (engelsk)", "reasons"),
    "detail_on": ("slået til", "on"),
    "detail_was_on": ("var slået til", "was on"),
    "detail_how": ("værktøjets rolle", "the tool's part"),
    "detail_ranked": ("rangeret", "ranked"),
    "value_on": ("til", "on"),
    "value_off": ("fra", "off"),
    "value_listed": ("fra forslagslisten", "from the suggestions"),
    "value_unlisted": ("fundet ved søgning", "found by search"),
    "value_outside": ("fra fagsystemet", "from the case system"),
    "search_hit": ("{hours} timer/uge · {free} ledige pladser", "{hours} hours/week · {free} free places"),
    "no_search_hits": ("Ingen åbne tilbud med ledige pladser matcher søgningen.", "No open offers with free places match the search."),
    "explanation_link": ("Forklaring til borgeren (kan printes)", "Explanation for the citizen (printable)"),
    "explain_referral": ("Lav en forklaring til borgeren", "Make an explanation for the citizen"),
    "switch_title": ("Forslag fra modellen", "The model's suggestions"),
    "switch_on_state": ("Forslag er slået til.", "Suggestions are on."),
    "switch_off_state": ("Forslag er slået FRA (siden {since}, af {by}{why}).", "Suggestions are OFF (since {since}, by {by}{why})."),
    "switch_reason": ("Begrundelse (gemmes i loggen)", "Reason (kept in the log)"),
    "switch_off": ("Slå forslag fra for alle", "Switch suggestions off for everyone"),
    "switch_on": ("Slå forslag til igen", "Switch suggestions on again"),
    "liaison_unranked": (
        "Forslag er slået fra: kandidaterne er ikke rangeret. Søg på erfaring, jobønsker eller bydel.",
        "Suggestions are off: the candidates are not ranked. Search by experience, wishes or district.",
    ),
    "oversight_title": ("Tilsyn: følger sagsbehandlerne forslagene?", "Oversight: do caseworkers follow the suggestions?"),
    "oversight_intro": (
        "Forslag gjort i appen, efter hvor på listen det valgte tilbud stod. Henvisninger fra fagsystemet tælles ikke med.",
        "Proposals made in the app, by where the chosen offer stood in the list. Referrals from the case system are not counted.",
    ),
    "oversight_none": ("Der er endnu ingen forslag gjort i appen.", "No proposals have been made in the app yet."),
    "oversight_by_team": ("Valg pr. team", "Choices by team"),
    "oversight_over_time": ("Valg over tid", "Choices over time"),
    "oversight_outcomes": ("Resultater: fulgt mod tilsidesat", "Outcomes: followed vs overruled"),
    "oversight_reasons": ("Begrundelser for at gå uden om top 3", "Reasons for going outside the top 3"),
    "oversight_no_reasons": ("Ingen begrundelser endnu.", "No reasons yet."),
    "period": ("Periode", "Period"),
    "period_week": ("uge", "week"),
    "period_month": ("måned", "month"),
    "choice_first": ("nr. 1", "first"),
    "choice_top3": ("nr. 2–3", "2nd–3rd"),
    "choice_lower": ("nr. 4+", "4th or lower"),
    "choice_unlisted": ("ikke på listen", "not listed"),
    "choice_off": ("forslag slået fra", "suggestions off"),
    "group_followed": ("fulgt (top 3)", "followed (top 3)"),
    "group_overruled": ("tilsidesat", "overruled"),
    "group_off": ("forslag slået fra", "suggestions off"),
    "col_team": ("Team", "Team"),
    "col_total": ("I alt", "Total"),
    "col_followed": ("Andel fulgt", "Share followed"),
    "col_group": ("Gruppe", "Group"),
    "col_pending": ("Afventer", "Pending"),
    "col_known": ("Afgjort", "Resolved"),
    "col_success_rate": ("Succesrate", "Success rate"),
    "col_interval": ("95 %-interval", "95 % interval"),
    "col_choice": ("Valg", "Choice"),
    "col_rank": ("Nr.", "Rank"),
    "col_reason": ("Begrundelse", "Reason"),
    "explanation_title": ("Forklaring til borgeren", "Explanation for the citizen"),
    "explanation_choose": ("Vælg en henvisning fra en borgers side.", "Choose a referral from a citizen's page."),
    "explanation_denied": ("Du kan ikke lave en forklaring for denne henvisning: {why}", "You cannot make an explanation for this referral: {why}"),
    "explanation_download": ("Hent som HTML (til print)", "Download as HTML (to print)"),
    "explanation_print_hint": (
        "Forklaringen er på dansk til borgeren. Hent den som HTML og print den fra browseren.",
        "The explanation is in Danish, for the citizen. Download it as HTML and print it from the browser.",
    ),
}

def t(key: str, lang: str = DEFAULT, **values) -> str:
    """The label for ``key`` in ``lang`` ('da' or 'en'), with ``{placeholders}`` filled."""
    if key not in TEXTS:
        raise KeyError(f"no translation for label {key!r}: add it to matcher/i18n.py TEXTS")
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    text = TEXTS[key][0 if lang == "da" else 1]
    return text.format(**values) if values else text


def both(key: str, **values) -> tuple[str, str]:
    """The label in Danish and in English (reasons are kept in both)."""
    return t(key, "da", **values), t(key, "en", **values)


def kind_label(kind: str, lang: str = DEFAULT) -> str:
    """An opportunity kind's name: the contract's Danish name, or English."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    return t(f"kind_{kind}", lang)


def danish_level_label(level, lang: str = DEFAULT) -> str:
    """The contract's Danish scale 0-4 in words (ingen, begynder, middel, god, flydende)."""
    if _missing(level):
        return MISSING
    return t(f"danish_{int(level)}", lang)


def group_label(group: str, lang: str = DEFAULT) -> str:
    """A group of the audit (``matcher.fairness``) in ``lang``: named groups translated, districts
    and age bands as they are."""
    key = f"group_{group}"
    return t(key, lang) if key in TEXTS else str(group)


def feature_label(name: str, lang: str = DEFAULT) -> str:
    """A model feature's name for a reader (models page)."""
    return t(f"feature_{name}", lang)


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value, lang: str = DEFAULT, decimals: int = 0) -> str:
    """A number with the language's separators: 2.031 and 0,45 in Danish, 2,031 and 0.45 in English."""
    if _missing(value) or (isinstance(value, float) and math.isinf(value)):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(share, lang: str = DEFAULT, decimals: int = 0, sign: bool = False) -> str:
    """A share as a percentage: "45 %" in Danish, "45%" in English (``sign``: "+3 %")."""
    if _missing(share):
        return MISSING
    value = 100 * float(share)
    text = number(abs(value) if sign else value, lang, decimals)
    if sign:
        text = ("-" if value < 0 else "+") + text
    return f"{text} %" if lang == "da" else f"{text}%"


def date_text(value, lang: str = DEFAULT) -> str:
    """A date: 30.12.2024 in Danish, 2024-12-30 in English; "–" when missing."""
    if _missing(value) or value == "":
        return MISSING
    day = pd.Timestamp(value)
    return day.strftime("%d.%m.%Y") if lang == "da" else day.strftime("%Y-%m-%d")


def local_time(value) -> pd.Timestamp | None:
    """A moment in Copenhagen local time; a naive value is taken as UTC (as the database stores it)."""
    if _missing(value) or value == "":
        return None
    moment = pd.Timestamp(value)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert(LOCAL_TIME)


def time_text(value, lang: str = DEFAULT) -> str:
    """A moment in Copenhagen local time: 30.12.2024 kl. 14.05 in Danish, 2024-12-30 14:05 in English."""
    moment = local_time(value)
    if moment is None:
        return MISSING
    return moment.strftime("%d.%m.%Y kl. %H.%M") if lang == "da" else moment.strftime("%Y-%m-%d %H:%M")


def yes_no(value, lang: str = DEFAULT) -> str:
    """A flag as ja/nej (yes/no); "–" when unknown."""
    if _missing(value):
        return MISSING
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "1", "yes")
    return t("yes" if value else "no", lang)


def columns(frame: pd.DataFrame, lang: str = DEFAULT, prefix: str = "col_") -> pd.DataFrame:
    """The frame with its columns named from the table (``prefix + column``)."""
    return frame.rename(columns={c: t(prefix + str(c), lang) for c in frame.columns})


class Said(str):
    """A text in English (for the command line, logs and MLflow tags) that can be said again in any
    language: it carries its translation ``key`` and ``values`` (``said``, ``text_of``)."""

    key: str
    values: dict

    def __new__(cls, key: str, **values) -> "Said":
        text = super().__new__(cls, t(key, "en", **_formatted(values, "en")))
        text.key, text.values = key, values
        return text

    def __reduce__(self):
        return _said, (self.key, self.values)


def _said(key: str, values: dict) -> Said:
    return Said(key, **values)


def said(key: str, **values) -> Said:
    """The English text of ``key`` that knows how to say itself in Danish (``text_of``)."""
    return Said(key, **values)


def _formatted(values: dict, lang: str) -> dict:
    """Values as a reader reads them: dates in the language's format, whole numbers with its
    thousands separator."""
    out = {}
    for name, value in values.items():
        if isinstance(value, (date, datetime, pd.Timestamp)):
            out[name] = date_text(value, lang)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[name] = number(value, lang)
        elif isinstance(value, float):
            text = repr(value)
            out[name] = number(value, lang, len(text.split(".")[1]) if "." in text and "e" not in text else 0)
        else:
            out[name] = value
    return out


def text_of(thing, lang: str = DEFAULT) -> str:
    """A library's message for a reader in ``lang``: a ``Said`` text, or an error that carries a
    translation ``key`` (and ``values``) or whose message is a ``Said``; anything else as it is."""
    if getattr(thing, "key", None) is None and isinstance(thing, BaseException) and thing.args:
        thing = thing.args[0] if getattr(thing.args[0], "key", None) is not None else thing
    key = getattr(thing, "key", None)
    if key is None:
        return str(thing)
    return t(key, lang, **_formatted(getattr(thing, "values", None) or {}, lang))


def error_text(problem: Exception, lang: str = DEFAULT) -> str:
    """A refusal for a reader (``text_of``): said in ``lang`` when the library gave it a key."""
    return text_of(problem, lang)


def detail_text(detail, lang: str = DEFAULT) -> str:
    """An audit entry's detail (JSON) for a reader: named keys, known values translated, empty
    values left out ("–" when nothing is left)."""
    import json

    if _missing(detail) or detail == "":
        return MISSING
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return detail
    if not isinstance(detail, dict):
        return str(detail)

    def value(key: str, v) -> str:
        if isinstance(v, bool):
            return yes_no(v, lang)
        if isinstance(v, list):
            return ", ".join(str(x) for x in v)
        text = str(v)
        for prefix in ({"role": "role_", "action": "action_", "kind": "kind_", "page": "nav_"}.get(key, ""), "value_"):
            if prefix and f"{prefix}{text}" in TEXTS:
                return t(f"{prefix}{text}", lang)
        return text

    parts = [
        f"{t('detail_' + k, lang) if 'detail_' + k in TEXTS else k}: {value(k, v)}"
        for k, v in detail.items()
        if not _missing(v) and v != "" and v != []
    ]
    return "; ".join(parts) or MISSING
