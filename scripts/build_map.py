"""Build the app's offline base map, data/map/districts.geojson (run once; the file is shipped).

What it is: a *schematic* map. Each of Copenhagen's districts and each neighbouring municipality
in ``matcher.postcodes`` becomes the Voronoi cell of its centroid (scipy), cut to an outline of
the land around Copenhagen drawn by hand from memory at about 1 km accuracy (the Øresund coast,
Amager with the airport and Dragør, Kalveboderne and the Køge Bugt coast; the inner harbour is
not cut out). Borders are therefore approximations halfway between centroids, not the official
ones (DAGI), which cannot be fetched offline; the coast is right to about a kilometre.

    .venv/bin/python scripts/build_map.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.spatial import Voronoi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matcher.postcodes import DISTRICTS, NEIGHBOURS  # noqa: E402

OUT = ROOT / "data" / "map" / "districts.geojson"
WEST, EAST, SOUTH, NORTH = 12.28, 12.75, 55.54, 55.80
# The land, (lon, lat) clockwise from the north-west corner of the frame.
LAND = [
    (WEST, NORTH), (12.600, NORTH), (12.592, 55.760), (12.585, 55.735), (12.595, 55.715),
    (12.606, 55.700), (12.616, 55.690), (12.640, 55.670), (12.650, 55.650), (12.660, 55.630),
    (12.676, 55.605), (12.690, 55.585), (12.650, 55.565), (12.600, 55.590), (12.560, 55.610),
    (12.545, 55.630), (12.530, 55.640), (12.500, 55.635), (12.470, 55.620), (12.440, 55.615),
    (12.400, 55.612), (12.360, 55.603), (12.320, 55.585), (12.290, 55.560), (WEST, 55.560),
]


def places() -> list[tuple[str, str, float, float]]:
    """(name, kind, lat, lon) of every district and neighbouring municipality."""
    out = [(name, "district", lat, lon) for name, (lat, lon, _) in DISTRICTS.items()]
    out += [(name, "municipality", lat, lon) for name, lat, lon in NEIGHBOURS.values()]
    return out


def clip(subject: list[tuple[float, float]], window: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: the part of ``subject`` (any simple polygon) inside the convex ``window``."""
    def inside(p, a, b):
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

    def cross(p, q, a, b):
        x1, y1, x2, y2, x3, y3, x4, y4 = *p, *q, *a, *b
        d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
        t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d
        return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))

    # Counter-clockwise window, so "inside" is to the left of each edge.
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(window, window[1:] + window[:1]))
    if area < 0:
        window = window[::-1]
    out = subject
    for a, b in zip(window, window[1:] + window[:1]):
        if not out:
            break
        given, out = out, []
        for p, q in zip(given, given[1:] + given[:1]):
            if inside(q, a, b):
                if not inside(p, a, b):
                    out.append(cross(p, q, a, b))
                out.append(q)
            elif inside(p, a, b):
                out.append(cross(p, q, a, b))
    return out


def build() -> dict:
    found = places()
    # Longitude degrees are shorter than latitude degrees here: scale so cells are fair in km.
    k = np.cos(np.radians(55.68))
    points = np.array([(lon * k, lat) for _, _, lat, lon in found])
    frame = np.array([(x * k, y) for x in (WEST - 1, EAST + 1) for y in (SOUTH - 1, NORTH + 1)])
    diagram = Voronoi(np.vstack([points, frame]))
    features = []
    for i, (name, kind, lat, lon) in enumerate(found):
        region = diagram.regions[diagram.point_region[i]]
        cell = [(float(diagram.vertices[v][0] / k), float(diagram.vertices[v][1])) for v in region]
        shape = clip(LAND, cell)
        ring = [[round(x, 5), round(y, 5)] for x, y in shape]
        ring.append(ring[0])
        features.append({
            "type": "Feature",
            "properties": {"name": name, "kind": kind, "label_lat": lat, "label_lon": lon},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        })
    return {
        "type": "FeatureCollection",
        "properties": {"note": "schematic: Voronoi cells of district and municipality centroids cut to a hand-drawn coast (scripts/build_map.py)"},
        "features": features,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
