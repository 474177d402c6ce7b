"""Admin: users (create, disable, reset password) and the audit log."""
from __future__ import annotations

import streamlit as st

import ui
from matcher import audit
from matcher.access import AccessDenied
from matcher.auth import ROLES, AuthError
from matcher.users import create_user, list_users, set_active, set_password

user = ui.guard("admin")
engine = ui.engine()
st.title(ui.t("admin_title"))

st.subheader(ui.t("users"))
users = list_users(engine)
st.dataframe(users, hide_index=True, key="users_table")

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
            st.error(str(problem))

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
                st.error(str(problem))
        active = bool(users.set_index("username").at[who, "active"])
        if st.button(ui.t("disable") if active else ui.t("enable"), key="toggle_active"):
            try:
                set_active(engine, user, who, not active)
                st.rerun()
            except (AuthError, AccessDenied) as problem:
                st.error(str(problem))

st.subheader(ui.t("audit_log"))
f1, f2, f3 = st.columns(3)
by_user = f1.text_input(ui.t("username"), key="audit_user")
by_citizen = f2.text_input(ui.t("citizen"), key="audit_citizen")
by_action = f3.text_input(ui.t("action"), key="audit_action")
st.dataframe(
    audit.read(engine, username=by_user or None, citizen_id=by_citizen or None, action=by_action or None),
    hide_index=True, key="audit_table",
)
