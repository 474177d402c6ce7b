"""The citizen page's map, offline: a shipped GeoJSON base layer (data/map/districts.geojson,
schematic: see scripts/build_map.py) with the districts and neighbouring municipalities labelled,
the citizen's home, the suggestions with their rank and a tooltip (title, kind, commute), and the
place the municipal plan holds for the citizen. pydeck with no base map style: nothing is fetched
from a tile server.

The base layers are built once per process and language; a page builds only the points.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pydeck as pdk

from matcher import i18n
from matcher.settings import DATA_DIR

GEOJSON = DATA_DIR / "map" / "districts.geojson"
HOME = [214, 39, 40]
PLACE = [31, 119, 180]
HELD = [44, 160, 44]
AREA_FILL = {"district": [222, 235, 247, 200], "municipality": [225, 225, 225, 200]}


@lru_cache(maxsize=1)
def areas(path: Path = GEOJSON) -> dict:
    """The base map's GeoJSON, each feature with its fill colour."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"]["fill"] = AREA_FILL.get(feature["properties"]["kind"], AREA_FILL["municipality"])
        feature["properties"]["tooltip"] = feature["properties"]["name"]
    return data


@lru_cache(maxsize=4)
def base_layers(lang: str = i18n.DEFAULT) -> tuple[pdk.Layer, pdk.Layer]:
    """The areas and their names (built once per language; the names are the same in both)."""
    data = areas()
    labels = pd.DataFrame(
        [
            {"name": f["properties"]["name"], "lat": f["properties"]["label_lat"], "lon": f["properties"]["label_lon"]}
            for f in data["features"]
        ]
    )
    polygons = pdk.Layer(
        "GeoJsonLayer", data, id="areas", stroked=True, filled=True, get_fill_color="properties.fill",
        get_line_color=[120, 120, 120], line_width_min_pixels=1, pickable=False,
    )
    names = pdk.Layer(
        "TextLayer", labels, id="area-names", get_position=["lon", "lat"], get_text="name", get_size=12,
        get_color=[90, 90, 90], get_alignment_baseline="'center'", character_set="'auto'",
    )
    return polygons, names


def points(home_lat: float, home_lon: float, suggestions: pd.DataFrame, held: str | None, lang: str) -> pd.DataFrame:
    """One row per point: home first, then the suggestions (``rank, opportunity_id, title, kind,
    commute_minutes, lat, lon``) with a colour, a radius, a label and a tooltip."""
    rows = [{
        "lat": home_lat, "lon": home_lon, "color": HOME, "radius": 260, "label": i18n.t("map_home", lang),
        "tooltip": i18n.t("map_home", lang),
    }]
    for row in suggestions.itertuples():
        is_held = held is not None and row.opportunity_id == held
        tip = f"{row.rank}. {row.title} · {i18n.kind_label(row.kind, lang)} · " + i18n.t(
            "map_commute", lang, minutes=i18n.number(row.commute_minutes, lang)
        )
        if is_held:
            tip += " · " + i18n.t("map_held", lang)
        rows.append({
            "lat": float(row.lat), "lon": float(row.lon), "color": HELD if is_held else PLACE,
            "radius": 200 if is_held else 150, "label": str(row.rank), "tooltip": tip,
        })
    return pd.DataFrame(rows)


def deck(home_lat: float, home_lon: float, suggestions: pd.DataFrame, held: str | None = None, lang: str = i18n.DEFAULT) -> pdk.Deck:
    """The whole map: base layers, the points, their labels, a tooltip; centred on home."""
    shown = points(home_lat, home_lon, suggestions, held, lang)
    dots = pdk.Layer(
        "ScatterplotLayer", shown, id="points", get_position=["lon", "lat"], get_fill_color="color",
        get_radius="radius", radius_min_pixels=5, stroked=True, get_line_color=[255, 255, 255],
        line_width_min_pixels=1, pickable=True,
    )
    labels = pdk.Layer(
        "TextLayer", shown, id="point-labels", get_position=["lon", "lat"], get_text="label", get_size=13,
        get_color=[20, 20, 20], get_pixel_offset=[0, -16], get_alignment_baseline="'bottom'", character_set="'auto'",
    )
    view = pdk.ViewState(latitude=float(shown["lat"].mean()), longitude=float(shown["lon"].mean()), zoom=10.3)
    return pdk.Deck(
        layers=[*base_layers(lang), dots, labels], initial_view_state=view, map_style=None,
        tooltip={"text": "{tooltip}"}, map_provider=None,
    )
