"""The translation table: complete in both languages, and every label the app asks for exists."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from matcher.contract import BARRIERS, EDUCATIONS, KINDS, KINDS_DA, OUTCOMES, READINESS
from matcher.i18n import LANGUAGES, TEXTS, kind_label, t

APP = Path(__file__).resolve().parent.parent / "app"


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_label_in_both_languages_with_the_same_placeholders():
    for key, (da, en) in TEXTS.items():
        assert da.strip() and en.strip(), key
        assert fields(da) == fields(en), key


def test_danish_is_the_default_and_english_switches():
    assert t("sign_in") == "Log ind"
    assert t("sign_in", "en") == "Sign in"
    assert t("as_of", "da", date="2024-01-01") == "Data pr. 2024-01-01"


def test_contract_values_all_have_labels():
    wanted = (
        [f"readiness_{v}" for v in READINESS]
        + [f"education_{v}" for v in EDUCATIONS]
        + [f"barrier_{v}" for v in BARRIERS]
        + [f"outcome_{v}" for v in OUTCOMES]
        + [f"danish_{v}" for v in range(5)]
    )
    assert [k for k in wanted if k not in TEXTS] == []


def test_kind_names_are_the_contracts_danish_names():
    assert [kind_label(k) for k in KINDS] == [KINDS_DA[k] for k in KINDS]
    assert kind_label("small_job", "en") == "small job"
    with pytest.raises(KeyError, match="unknown kind"):
        kind_label("internship")


def test_unknown_key_or_language_is_an_error():
    with pytest.raises(KeyError, match="add it to matcher/i18n.py"):
        t("no_such_label")
    with pytest.raises(KeyError, match="unknown language"):
        t("sign_in", "de")
    assert set(LANGUAGES) == {"da", "en"}


def test_every_literal_label_the_app_uses_exists():
    source = "\n".join(p.read_text(encoding="utf-8") for p in APP.rglob("*.py"))
    used = set(re.findall(r"\bt\(\s*[\"']([a-z0-9_]+)[\"']\s*[,)]", source))
    assert len(used) > 50
    assert sorted(used - set(TEXTS)) == []
    # Labels built from a prefix ("col_" + column) need at least one key with that prefix.
    prefixes = set(re.findall(r"\bt\(\s*f?[\"']([a-z0-9_]+_)[\"{']", source))
    assert prefixes and all(any(k.startswith(p) for k in TEXTS) for p in prefixes)


def test_the_app_has_no_hard_coded_user_text():
    """Pages pass labels through ui.t: no string literal goes straight into a Streamlit widget."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in APP.rglob("*.py"))
    direct = re.findall(r"st\.(?:title|header|subheader|button|text_input|info|warning|error|success)\(\s*[\"']", source)
    assert direct == []


def test_every_feature_limit_and_kind_has_a_name():
    from matcher.features.build import FEATURES
    from matcher.features.candidates import INFEASIBILITY
    from matcher.i18n import feature_label

    assert [f for f in FEATURES if f"feature_{f}" not in TEXTS] == []
    assert feature_label("commute_minutes") == "transporttid"
    assert [n for n in INFEASIBILITY if f"infeasible_{n}" not in TEXTS] == []
    assert [k for k in KINDS if f"kind_{k}" not in TEXTS] == []


def test_danish_formats():
    from datetime import date, datetime

    from matcher.i18n import date_text, danish_level_label, number, percent, time_text

    assert number(2031) == "2.031" and number(2031, "en") == "2,031"
    assert number(1234.5, decimals=1) == "1.234,5" and number(None) == "–"
    assert percent(0.45) == "45 %" and percent(0.45, "en") == "45%"
    assert percent(-0.031, sign=True) == "-3 %" and percent(0.2, sign=True) == "+20 %"
    assert date_text(date(2024, 12, 30)) == "30.12.2024" and date_text("2024-12-30", "en") == "2024-12-30"
    assert date_text(None) == "–"
    # Naive moments are UTC (as stored) and are shown in Copenhagen time, summer and winter.
    assert time_text(datetime(2024, 6, 1, 12, 0)) == "01.06.2024 kl. 14.00"
    assert time_text(datetime(2024, 12, 30, 23, 30)) == "31.12.2024 kl. 00.30"
    assert [danish_level_label(v) for v in range(5)] == ["ingen", "begynder", "middel", "god", "flydende"]


def test_every_audit_action_has_a_name():
    from matcher import audit

    actions = {v for k, v in vars(audit).items() if k.isupper() and isinstance(v, str) and k != "ANONYMOUS"}
    assert "open_citizen" in actions
    assert sorted(a for a in actions if f"action_{a}" not in TEXTS) == []


def test_a_refusal_is_said_in_danish_with_danish_dates():
    from datetime import date

    from matcher.caseload import ProposalRefused
    from matcher.i18n import error_text

    refused = ProposalRefused("opportunity 'O1' has no free capacity on 2024-12-30", "refused_full",
                              opportunity="O1", on=date(2024, 12, 30))
    assert error_text(refused) == "Tilbud O1 har ingen ledige pladser den 30.12.2024."
    assert error_text(refused, "en") == "Opportunity O1 has no free places on 2024-12-30."
    assert str(refused) == "opportunity 'O1' has no free capacity on 2024-12-30"
    assert error_text(ValueError("plain")) == "plain"


def test_every_refusal_key_the_library_raises_exists():
    source = (Path(__file__).resolve().parent.parent / "matcher" / "caseload.py").read_text(encoding="utf-8")
    keys = set(re.findall(r"\"(refused_[a-z_]+)\"", source))
    assert len(keys) >= 10 and sorted(keys - set(TEXTS)) == []


def test_library_messages_say_themselves_in_danish():
    import pickle

    from matcher.auth import AuthError
    from matcher.i18n import said, text_of

    message = said("registry_rolled_back", alias="champion", replaced="3", previous="2")
    assert message == "rolled back: 'champion' moved from version 3 to version 2"
    assert text_of(message) == "Rullet tilbage: den aktuelle model (champion) er flyttet fra version 3 til version 2."
    again = pickle.loads(pickle.dumps(message))
    assert again == message and text_of(again) == text_of(message)
    refused = AuthError(said("auth_password_short", user="ny", n=12))
    assert str(refused) == "password for 'ny' is shorter than 12 characters"
    assert text_of(refused) == "Adgangskoden for 'ny' er kortere end 12 tegn."
    step = said("training_features", fit=84448, held=21791)
    assert step == "features for 84,448 training and 21,791 held-out referrals"
    assert text_of(step) == "variable for 84.448 træningshenvisninger og 21.791 testhenvisninger"
    assert text_of(said("training_done_kept", version="4", ndcg=0.8466)).endswith("(NDCG@10 på testperioden: 0,8466).")
