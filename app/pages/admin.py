"""Admin: users (create, disable, reset password) and the audit log."""
from __future__ import annotations

import streamlit as st

import ui
from matcher import audit
from matcher.access import AccessDenied
from matcher.auth import ROLES, AuthError
from matcher.i18n import TEXTS, detail_text, yes_no
from matcher.switch import MAX_REASON_LENGTH as MAX_SWITCH_REASON, set_suggestions, state as suggestions_state
from matcher.users import create_user, list_users, set_active, set_password

user = ui.guard("admin")
engine = ui.engine()
st.title(ui.t("admin_title"))

st.subheader(ui.t("switch_title"))
switch = suggestions_state(engine)
if switch.on:
    st.success(ui.t("switch_on_state"))
else:
    st.error(ui.t("switch_off_state", since=ui.moment(switch.changed_at), by=switch.changed_by,
                  why=f": {switch.reason}" if switch.reason else ""))
why = st.text_input(ui.t("switch_reason"), key="switch_reason", max_chars=MAX_SWITCH_REASON)
if st.button(ui.t("switch_off") if switch.on else ui.t("switch_on"), key="switch_suggestions", type="primary"):
    try:
        set_suggestions(engine, user, not switch.on, why)
        st.rerun()
    except (AccessDenied, ValueError) as problem:
        st.error(str(problem))

st.subheader(ui.t("users"))
users = list_users(engine)
st.dataframe(ui.columns(users.assign(
    role=users["role"].map(lambda r: ui.t("role_" + r)),
    display_name=users["display_name"].fillna("–"),
    caseworker_id=users["caseworker_id"].fillna("–"),
    active=users["active"].map(lambda v: yes_no(v, ui.lang())),
    created_at=users["created_at"].map(ui.moment),
)), hide_index=True, key="users_table")

with st.form("new_user", clear_on_submit=True):
    st.markdown(f"**{ui.t('new_user')}**")
    a, b, c, d = st.columns(4)
    username = a.text_input(ui.t("username"), key="new_username")
    password = b.text_input(ui.t("password"), type="password", key="new_password")
    role = c.selectbox(ui.t("role"), ROLES, format_func=lambda r: ui.t("role_" + r), key="new_role")
    staff = d.text_input(ui.t("caseworker_id"), key="new_caseworker_id")
    if st.form_submit_button(ui.t("create_user")):
        try:
            create_user(engine, user, username, password or None, role, staff.strip() or None)
            st.success(ui.t("user_saved", user=username))
            st.rerun()
        except (AuthError, AccessDenied) as problem:
            st.error(ui.error(problem))

if len(users):
    a, b, c = st.columns(3)
    who = a.selectbox(ui.t("user"), users["username"].tolist(), key="manage_user")
    new_password = b.text_input(ui.t("new_password"), type="password", key="reset_password")
    with c:
        if st.button(ui.t("reset_password"), key="reset"):
            try:
                set_password(engine, user, who, new_password)
                st.success(ui.t("user_saved", user=who))
            except (AuthError, AccessDenied) as problem:
                st.error(ui.error(problem))
        active = bool(users.set_index("username").at[who, "active"])
        if st.button(ui.t("disable") if active else ui.t("enable"), key="toggle_active"):
            try:
                set_active(engine, user, who, not active)
                st.rerun()
            except (AuthError, AccessDenied) as problem:
                st.error(ui.error(problem))

st.subheader(ui.t("audit_log"))
f1, f2, f3 = st.columns(3)
by_user = f1.text_input(ui.t("username"), key="audit_user")
by_citizen = f2.text_input(ui.t("citizen"), key="audit_citizen")
actions = [key.removeprefix("action_") for key in TEXTS if key.startswith("action_")]
by_action = f3.selectbox(ui.t("action"), actions, index=None, key="audit_action", placeholder=ui.t("all_actions"),
                         format_func=lambda a: ui.t("action_" + a))
entries = audit.read(engine, username=by_user or None, citizen_id=by_citizen or None, action=by_action or None)
st.dataframe(ui.columns(entries.assign(
    at=entries["at"].map(ui.moment),
    role=entries["role"].map(lambda r: ui.t("role_" + r) if r and "role_" + r in TEXTS else (r or "–")),
    action=entries["action"].map(lambda a: ui.t("action_" + a) if "action_" + a in TEXTS else a),
    citizen_id=entries["citizen_id"].fillna("–"), opportunity_id=entries["opportunity_id"].fillna("–"),
    detail=entries["detail"].map(lambda d: detail_text(d, ui.lang())),
)), hide_index=True, key="audit_table")
