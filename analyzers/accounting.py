"""Energy, cost and CO2e: pure arithmetic over measured GPU time and energy."""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources

from config.organisation import ClusterConfig, Organisation
from domain.types import J_PER_KWH, ZERO, Cost, Rates

__all__ = ["J_PER_KWH", "ZERO", "Cost", "Rates", "account", "rates_for",
           "carbon_intensity_g_per_kwh"]

WORLD_AVERAGE_G_PER_KWH = 475.0  # codecarbon's world average, used for unknown regions


def account(*, gpu_s: float, energy_j: float, rates: Rates) -> Cost:
    """Cost = GPU-hours x GPU price + kWh x energy price x PUE; CO2e = kWh x PUE x intensity."""
    kwh = energy_j / J_PER_KWH
    gpu_hours = gpu_s / 3600.0
    return Cost(
        gpu_hours=gpu_hours,
        energy_j=energy_j,
        gpu_cost_usd=gpu_hours * rates.gpu_usd_per_hour,
        energy_cost_usd=kwh * rates.pue * rates.energy_usd_per_kwh,
        co2e_kg=kwh * rates.pue * rates.carbon_g_per_kwh / 1000.0,
    )


@cache
def _country_intensity() -> dict[str, float]:
    text = resources.files("analyzers").joinpath("data/carbon_intensity_by_country.json")
    data = json.loads(text.read_text())
    return {code.upper(): float(row["carbon_intensity"]) for code, row in data.items()
            if isinstance(row, dict) and row.get("carbon_intensity") is not None}


@cache
def _region_intensity() -> dict[str, float]:
    path = resources.files("analyzers").joinpath("data/carbon_intensity_gcp_regions.csv")
    with path.open(encoding="utf-8-sig") as handle:
        return {row["region"].lower(): float(row["impact"]) for row in csv.DictReader(handle)}


def carbon_intensity_g_per_kwh(region: str) -> float:
    """Grid intensity of a country (ISO alpha-3) or cloud region; world average if unknown."""
    code = region.strip()
    if code.upper() in _country_intensity():
        return _country_intensity()[code.upper()]
    return _region_intensity().get(code.lower(), WORLD_AVERAGE_G_PER_KWH)


def rates_for(organisation: Organisation, cluster: ClusterConfig, gpu_type: str) -> Rates:
    """The rates of a GPU type on a cluster, from the organisation file."""
    return Rates(
        gpu_usd_per_hour=organisation.gpu_price_usd_per_hour(gpu_type),
        energy_usd_per_kwh=cluster.energy_price_usd_per_kwh,
        pue=cluster.pue,
        carbon_g_per_kwh=carbon_intensity_g_per_kwh(cluster.region),
    )
