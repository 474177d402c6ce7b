"""Warm render time of the citizen page, suggestions included (target < 1 s).

    .venv/bin/python benchmarks/bench_app.py [--db URL] [--citizens 20]

Uses the configured database and champion model (the default world after `scripts/demo.sh`).
Times what the page does on each render once the recommender is loaded (Streamlit caches it):
profile and history queries, the caseload check, recommend() and the suggestions table, for a
sample of citizens; then one AppTest render of the page, second run, for the whole script.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description="citizen page render time")
    parser.add_argument("--db", help="SQLAlchemy URL (default: MATCHER_DB_URL or the settings)")
    parser.add_argument("--citizens", type=int, default=20)
    args = parser.parse_args()
    if args.db:
        os.environ["MATCHER_DB_URL"] = args.db
    from streamlit.testing.v1 import AppTest

    from dataclasses import replace

    from matcher.auth import operator
    from matcher.sessions import start_session
    from matcher.users import create_user, demo_accounts, set_active
    from matcher.caseload import app_date, caseload, history, open_citizen, suggestions_table
    from matcher.db import make_engine
    from matcher.service import Matcher
    from matcher.settings import get_settings

    get_settings.cache_clear()
    engine = make_engine()
    on = app_date(engine)
    staff = demo_accounts(engine)[0][2]
    password, name = "benchmark password 1", f"bench-app-{os.getpid()}"  # a new account each run
    account = create_user(engine, operator(), name, password, "caseworker", staff)
    user = replace(account, session=start_session(engine, account, "benchmark"))
    t0 = time.perf_counter()
    matcher = Matcher.load(engine)
    print(f"cold: Matcher.load {time.perf_counter() - t0:.2f} s")
    ids = caseload(engine, staff, on)["citizen_id"].tolist()[: args.citizens]
    times = []
    for citizen in ids:
        start = time.perf_counter()
        open_citizen(engine, user, citizen, on)
        past = history(engine, citizen)
        found = matcher.recommend(citizen, k=get_settings().default_k, as_of=on)
        suggestions_table(found, "da", set(past.loc[past["outcome"] == "pending", "opportunity_id"]))
        caseload(engine, staff, on)
        times.append(time.perf_counter() - start)
    print(f"warm page logic over {len(times)} citizens: median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s")

    at = AppTest.from_file(str(ROOT / "app" / "Home.py"), default_timeout=300).run()
    at.text_input(key="username").input(name)
    at.text_input(key="password").input(password)
    at.button[0].click().run()
    at.session_state["citizen_id"] = ids[0]
    at.switch_page("pages/citizen.py").run()  # first render: loads the model
    renders = []
    for _ in range(3):
        start = time.perf_counter()
        at.run()
        renders.append(time.perf_counter() - start)
    set_active(engine, operator(), name, False)
    shown = sum(1 for b in at.button if b.key and b.key.startswith("propose_"))
    print(f"the rendered page shows {shown} suggestions for {ids[0]}")
    print(f"warm AppTest render of the citizen page: median {statistics.median(renders):.3f} s "
          f"(target < 1 s){'' if not at.exception else ' (page raised: ' + str(at.exception) + ')'}")


if __name__ == "__main__":
    main()
