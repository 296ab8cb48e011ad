"""Energy, cost and CO2e of a hand-computed case."""

from __future__ import annotations

import pytest

from analyzers.accounting import Rates, account, carbon_intensity_g_per_kwh, rates_for


def test_cost_and_carbon_of_a_hand_computed_job():
    # 4 GPUs for 10 hours at 500 W each: 40 GPU-hours, 20 kWh
    rates = Rates(gpu_usd_per_hour=4.0, energy_usd_per_kwh=0.20, pue=1.25, carbon_g_per_kwh=400)
    cost = account(gpu_s=4 * 10 * 3600, energy_j=20 * 3.6e6, rates=rates)
    assert cost.gpu_hours == pytest.approx(40)
    assert cost.energy_kwh == pytest.approx(20)
    assert cost.gpu_cost_usd == pytest.approx(160.0)  # 40 h x $4
    assert cost.energy_cost_usd == pytest.approx(5.0)  # 20 kWh x 1.25 x $0.20
    assert cost.cost_usd == pytest.approx(165.0)
    assert cost.co2e_kg == pytest.approx(10.0)  # 20 kWh x 1.25 x 400 g


def test_carbon_intensity_by_country_and_cloud_region():
    assert carbon_intensity_g_per_kwh("FRA") < 100  # nuclear grid
    assert carbon_intensity_g_per_kwh("POL") > 600  # coal grid
    assert carbon_intensity_g_per_kwh("us-central1") == 430.0  # Google Cloud, Iowa
    assert carbon_intensity_g_per_kwh("nowhere-1") == 475.0  # world average


def test_rates_come_from_the_organisation_file(organisation):
    cluster = organisation.cluster("frankfurt-k8s")
    rates = rates_for(organisation, cluster, "NVIDIA H100 80GB HBM3")
    assert rates.gpu_usd_per_hour == 4.0
    assert rates.pue == 1.25
    assert rates.carbon_g_per_kwh == carbon_intensity_g_per_kwh("DEU")
    assert organisation.gpu_price_usd_per_hour("A100-SXM4-40GB") == 2.0
    assert organisation.gpu_price_usd_per_hour("NVIDIA A100-SXM4-80GB") == 2.5
