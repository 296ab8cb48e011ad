"""Energy, cost and CO2e: pure arithmetic over measured GPU time and energy."""

from __future__ import annotations

from config.organisation import ClusterConfig, Organisation
from config.regions import WORLD_AVERAGE_G_PER_KWH, GridIntensity, grid_intensity
from domain.types import J_PER_KWH, ZERO, Cost, Rates

__all__ = ["J_PER_KWH", "WORLD_AVERAGE_G_PER_KWH", "ZERO", "Cost", "GridIntensity", "Rates",
           "account", "carbon_intensity_g_per_kwh", "grid_intensity", "rates_for"]


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


def carbon_intensity_g_per_kwh(region: str) -> float:
    """Grid intensity (gCO2e/kWh) of a country or cloud region; world average if unknown."""
    return grid_intensity(region).g_per_kwh


def rates_for(organisation: Organisation, cluster: ClusterConfig, gpu_type: str) -> Rates:
    """The rates of a GPU type on a cluster, from the organisation file; defaults named."""
    gpu_default = organisation.gpu_price_default(gpu_type)
    return Rates(
        gpu_usd_per_hour=organisation.gpu_price_usd_per_hour(gpu_type),
        energy_usd_per_kwh=cluster.energy_price_usd_per_kwh,
        pue=cluster.pue,
        carbon_g_per_kwh=carbon_intensity_g_per_kwh(cluster.region),
        defaults=tuple(([gpu_default] if gpu_default else []) + cluster.defaults()),
    )
