"""Danish postcodes: approximate centroids (WGS84) and Copenhagen's districts.

Copenhagen and its neighbours are listed one by one; any other Danish postcode falls back to a
regional centroid by its first two digits, which is coarse but keeps commute estimates sane for
an export that names a postcode far from the city.
"""
from __future__ import annotations

# district -> (lat, lon, main postcodes)
DISTRICTS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "Indre By": (55.679, 12.572, ("1050", "1100", "1150", "1200", "1250", "1300", "1350", "1400", "1450")),
    "Østerbro": (55.708, 12.577, ("2100", "2150")),
    "Nørrebro": (55.697, 12.542, ("2200",)),
    "Vesterbro/Kongens Enghave": (55.664, 12.545, ("1550", "1600", "1650", "1700", "1750", "1799", "2450")),
    "Valby": (55.662, 12.504, ("2500",)),
    "Vanløse": (55.687, 12.487, ("2720",)),
    "Brønshøj-Husum": (55.705, 12.495, ("2700",)),
    "Bispebjerg": (55.715, 12.535, ("2400",)),
    "Amager Øst": (55.660, 12.610, ("2300",)),
    "Amager Vest": (55.645, 12.575, ("2300",)),
}
TINGBJERG = (55.709, 12.482)

# Neighbouring municipalities and the airport, where many of the group's employers are.
NEIGHBOURS: dict[str, tuple[str, float, float]] = {
    "2000": ("Frederiksberg", 55.679, 12.533),
    "2650": ("Hvidovre", 55.641, 12.474),
    "2610": ("Rødovre", 55.681, 12.454),
    "2600": ("Glostrup", 55.666, 12.401),
    "2730": ("Herlev", 55.724, 12.440),
    "2750": ("Ballerup", 55.731, 12.363),
    "2770": ("Kastrup (lufthavnen)", 55.618, 12.648),
    "2860": ("Søborg", 55.733, 12.512),
    "2900": ("Hellerup", 55.731, 12.570),
    "2620": ("Albertslund", 55.657, 12.353),
    "2605": ("Brøndby", 55.650, 12.420),
    "2635": ("Ishøj", 55.615, 12.352),
    "2665": ("Vallensbæk Strand", 55.623, 12.384),
    "2670": ("Greve", 55.583, 12.300),
    "2791": ("Dragør", 55.594, 12.672),
    "2800": ("Kongens Lyngby", 55.771, 12.504),
    "2820": ("Gentofte", 55.750, 12.548),
    "2880": ("Bagsværd", 55.761, 12.455),
    "2740": ("Skovlunde", 55.715, 12.403),
}

_CENTROIDS: dict[str, tuple[float, float]] = {}
for _name, (_lat, _lon, _codes) in DISTRICTS.items():
    for _code in _codes:
        _CENTROIDS.setdefault(_code, (_lat, _lon))
for _code, (_name, _lat, _lon) in NEIGHBOURS.items():
    _CENTROIDS[_code] = (_lat, _lon)
# 2300 is shared by Amager Øst and Vest: its centroid lies between them.
_CENTROIDS["2300"] = (55.652, 12.593)

# Regional fallbacks by the first two digits.
_REGIONS: dict[str, tuple[float, float]] = {
    "10": (55.679, 12.572), "11": (55.679, 12.572), "12": (55.683, 12.585), "13": (55.683, 12.578),
    "14": (55.672, 12.590), "15": (55.670, 12.556), "16": (55.670, 12.550), "17": (55.668, 12.545),
    "18": (55.678, 12.530), "19": (55.676, 12.525), "20": (55.679, 12.533), "21": (55.708, 12.577),
    "22": (55.697, 12.542), "23": (55.652, 12.593), "24": (55.715, 12.535), "25": (55.662, 12.504),
    "26": (55.650, 12.400), "27": (55.705, 12.470), "28": (55.760, 12.500), "29": (55.760, 12.560),
    "30": (55.950, 12.450), "31": (56.030, 12.500), "32": (56.000, 12.150), "33": (55.950, 12.100),
    "34": (55.850, 12.300), "35": (55.800, 12.380), "36": (55.840, 12.060), "37": (55.100, 14.900),
    "40": (55.640, 12.080), "41": (55.450, 11.800), "42": (55.400, 11.350), "43": (55.700, 11.700),
    "44": (55.720, 11.200), "45": (55.900, 11.650), "46": (55.460, 12.180), "47": (55.230, 11.760),
    "48": (54.770, 11.870), "49": (54.800, 11.400), "50": (55.400, 10.390), "51": (55.400, 10.390),
    "52": (55.400, 10.390), "53": (55.300, 10.600), "54": (55.300, 10.300), "55": (55.500, 9.750),
    "56": (55.200, 10.000), "57": (55.060, 10.600), "58": (55.100, 10.300), "59": (54.900, 10.500),
    "60": (55.490, 9.470), "61": (55.250, 9.480), "62": (54.910, 9.790), "63": (55.100, 9.100),
    "64": (54.950, 9.600), "65": (55.400, 9.100), "66": (55.470, 8.500), "67": (55.470, 8.450),
    "68": (55.700, 8.500), "69": (56.100, 8.500), "70": (55.710, 9.540), "71": (55.710, 9.540),
    "72": (55.900, 9.300), "73": (56.050, 9.500), "74": (56.140, 8.980), "75": (56.360, 8.620),
    "76": (56.600, 8.300), "77": (56.950, 8.700), "78": (56.450, 9.400), "79": (56.800, 9.000),
    "80": (56.160, 10.200), "81": (56.160, 10.200), "82": (56.160, 10.200), "83": (55.950, 10.050),
    "84": (56.300, 10.700), "85": (56.450, 10.300), "86": (56.170, 9.550), "87": (55.860, 9.850),
    "88": (56.450, 9.800), "89": (56.460, 10.040), "90": (57.050, 9.920), "91": (57.050, 9.920),
    "92": (57.050, 9.920), "93": (57.200, 10.200), "94": (56.900, 9.900), "95": (56.700, 9.700),
    "96": (56.800, 9.400), "97": (57.400, 9.900), "98": (57.450, 10.300), "99": (57.500, 10.400),
}
COPENHAGEN = (55.676, 12.568)


def is_danish_postcode(value: str) -> bool:
    return isinstance(value, str) and len(value) == 4 and value.isdigit() and "0800" <= value <= "9999"


def centroid(postcode: str) -> tuple[float, float]:
    """Approximate centre of a postcode; regional fallback for unlisted ones."""
    postcode = str(postcode)
    if postcode in _CENTROIDS:
        return _CENTROIDS[postcode]
    return _REGIONS.get(postcode[:2], COPENHAGEN)


def district_of(postcode: str) -> str:
    """The Copenhagen district of a postcode, the neighbour's name, or 'Andet' (elsewhere)."""
    postcode = str(postcode)
    if postcode == "2300":
        return "Amager"
    for name, (_lat, _lon, codes) in DISTRICTS.items():
        if postcode in codes:
            return name
    if "1000" <= postcode <= "1499":
        return "Indre By"
    if "1500" <= postcode <= "1799":
        return "Vesterbro/Kongens Enghave"
    if postcode in NEIGHBOURS:
        return NEIGHBOURS[postcode][0]
    return "Andet"
