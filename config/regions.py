"""Grid carbon intensity of a region as people write it: country codes and names, cloud regions.

A leaf module (it imports nothing else of the project), so the organisation file can name a
region it cannot match when it is loaded. Every figure says which table and row it came from.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

WORLD_AVERAGE_G_PER_KWH = 475.0  # codecarbon's world average, used for unknown regions
COUNTRY_TABLE = "carbon_intensity_by_country.json"
GCP_TABLE = "carbon_intensity_gcp_regions.csv"
PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}
# codecarbon's Google Cloud table spells Doha's region "me-cenrtal1"; it is me-central1.
_GCP_SPELLING = {"me-cenrtal1": "me-central1"}


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 country: its codes and English name."""

    alpha2: str
    alpha3: str
    name: str


@dataclass(frozen=True, slots=True)
class GridIntensity:
    """A region's grid carbon intensity in gCO2e/kWh, what it was taken as, and its source."""

    region: str
    g_per_kwh: float
    place: str | None  # what the region matched ("Germany", "AWS eu-central-1, ..."); None
    source: str  # the table and row the figure comes from, or "world average"

    @property
    def known(self) -> bool:
        """Whether the figure is the region's own, not the world average."""
        return not self.source.startswith("world average")

    @property
    def default_note(self) -> str | None:
        """In words, why the world average stands in for this region; None when it does not."""
        if self.known:
            return None
        if self.place is None:
            return (f"region {self.region!r} unknown: world average "
                    f"{WORLD_AVERAGE_G_PER_KWH:g} g/kWh")
        return (f"region {self.region!r} ({self.place}) has no row in {COUNTRY_TABLE}: "
                f"world average {WORLD_AVERAGE_G_PER_KWH:g} g/kWh")


def name_key(text: str) -> str:
    """A name as matched: accents, case, punctuation and a leading "the" ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace(".", "").replace("'", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return text.removeprefix("the ")


def _data(name: str) -> Traversable:
    return resources.files("config").joinpath(f"data/{name}")


def _csv_rows(name: str) -> list[dict[str, str]]:
    with _data(name).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@cache
def _country_rows() -> dict[str, tuple[float, str]]:
    """alpha-3 -> (gCO2e/kWh, the row's description) from codecarbon's country table."""
    data = json.loads(_data(COUNTRY_TABLE).read_text(encoding="utf-8"))
    rows = {}
    for code, row in data.items():
        if isinstance(row, dict) and row.get("carbon_intensity") is not None:
            year = f", {row['year']}" if row.get("year") else ""
            rows[code.upper()] = (float(row["carbon_intensity"]),
                                  f"{COUNTRY_TABLE} row {code.upper()} "
                                  f"({row.get('country_name', code)}{year})")
    return rows


@cache
def _countries() -> tuple[dict[str, Country], dict[str, Country]]:
    """(alpha-3 -> country, name key -> country): codes, names and other names."""
    by_alpha3: dict[str, Country] = {}
    by_key: dict[str, Country] = {}
    for row in _csv_rows("countries.csv"):
        country = Country(row["alpha2"], row["alpha3"], row["name"])
        by_alpha3[country.alpha3] = country
        names = [country.alpha2, country.alpha3, country.name]
        names += [n for n in row["other_names"].split(";") if n.strip()]
        for name in names:
            by_key.setdefault(name_key(name), country)
    return by_alpha3, by_key


@cache
def _gcp_rows() -> dict[str, tuple[float, str]]:
    """Google Cloud region -> (gCO2e/kWh, the row's description), the region's own figure."""
    rows = {}
    for row in _csv_rows(GCP_TABLE):
        region = _GCP_SPELLING.get(row["region"].lower(), row["region"].lower())
        where = ", ".join(p for p in (row.get("city"), row.get("country_name")) if p)
        rows[region] = (float(row["impact"]), f"{GCP_TABLE} row {row['region']} ({where})")
    return rows


@cache
def _cloud_regions() -> dict[str, tuple[str, str]]:
    """AWS, Azure and other cloud region ids -> (alpha-3 country, "Provider id, location")."""
    regions = {}
    for row in _csv_rows("cloud_regions.csv"):
        label = f"{PROVIDERS[row['provider']]} {row['region']}, {row['location']}"
        regions[row["region"].lower()] = (row["country"], label)
        if row["provider"] == "azure":  # "West Europe" is westeurope
            regions[row["name"].lower().replace(" ", "")] = (row["country"], label)
    return regions


def country_of(text: str) -> Country | None:
    """The country a code (DE, DEU) or name (Germany, germany, United States) stands for."""
    return _countries()[1].get(name_key(text))


def _of_country(region: str, country: Country, place: str) -> GridIntensity:
    row = _country_rows().get(country.alpha3)
    if row is None:
        return GridIntensity(region, WORLD_AVERAGE_G_PER_KWH, place, "world average")
    return GridIntensity(region, row[0], place, row[1])


def grid_intensity(region: str) -> GridIntensity:
    """gCO2e/kWh of a cloud region (its own row, else its country's) or a country; else world."""
    written = region.strip()
    lowered = written.lower()
    own = _gcp_rows().get(lowered)
    if own is not None:
        return GridIntensity(region, own[0], f"Google Cloud {lowered}", own[1])
    cloud = _cloud_regions().get(lowered) or _cloud_regions().get(lowered.replace(" ", ""))
    if cloud is not None:
        alpha3, label = cloud
        return _of_country(region, _countries()[0][alpha3], label)
    country = country_of(written) if written else None
    if country is not None:
        return _of_country(region, country, country.name)
    return GridIntensity(region, WORLD_AVERAGE_G_PER_KWH, None, "world average")
