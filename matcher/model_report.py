"""What the data scientist's page shows about a trained ranker beyond the registry's metrics."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd


def feature_importance(ranker, top: int = 20) -> pd.Series | None:
    """Each feature's share of the ranker's importance, largest first (None when it has none).

    LightGBM: total split gain of the success model; logistic regression: absolute standardised
    coefficient.
    """
    importance = getattr(ranker, "feature_importance", None)
    if importance is None:
        return None
    values = importance().astype(float)
    total = values.sum()
    if total <= 0:
        return None
    return (values / total).sort_values(ascending=False).head(top).rename("gain_share")


def evaluation_results(report: Path) -> tuple[str | None, pd.DataFrame]:
    """The split date and the results table of ``matcher evaluate``'s report (``evaluation.md``):
    one row a model, one column a metric (floats); an empty table when the report has none."""
    split, rows, header = None, [], None
    for line in report.read_text(encoding="utf-8").splitlines():
        found = re.search(r"split date T: \*\*(\d{4}-\d{2}-\d{2})\*\*", line)
        if found:
            split = found.group(1)
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            rows.append(cells)
    if header is None or header[0] != "model":
        return split, pd.DataFrame()
    table = pd.DataFrame(rows, columns=header)
    for column in header[1:]:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return split, table
