"""Regions as people write them: ISO codes, country names, AWS, Azure and Google Cloud regions."""

from __future__ import annotations

import csv
import json
from importlib import resources

import pytest

from analyzers.accounting import WORLD_AVERAGE_G_PER_KWH, carbon_intensity_g_per_kwh, rates_for
from analyzers.suggestions import default_rates
from config.organisation import ClusterConfig, Organisation
from config.regions import country_of, grid_intensity, name_key

DATA = resources.files("config").joinpath("data")


def _country_table() -> dict[str, float]:
    rows = json.loads(DATA.joinpath("carbon_intensity_by_country.json").read_text())
    return {code: float(row["carbon_intensity"]) for code, row in rows.items()}


GERMANY = _country_table()["DEU"]


@pytest.mark.parametrize("written", ["DE", "DEU", "deu", "Germany", "germany", " GERMANY ",
                                     "Deutschland", "eu-central-1", "germanywestcentral",
                                     "Germany West Central"])
def test_germany_as_people_write_it_is_germanys_grid(written: str):
    found = grid_intensity(written)
    assert found.g_per_kwh == GERMANY == pytest.approx(381, abs=1)
    assert found.known and found.default_note is None
    assert found.source.startswith("carbon_intensity_by_country.json row DEU (Germany")


def test_a_region_with_its_own_row_keeps_it_and_names_the_row():
    frankfurt = grid_intensity("europe-west3")
    assert frankfurt.g_per_kwh == 345.0  # Google's own figure for the region, not Germany's
    assert frankfurt.source.startswith("carbon_intensity_gcp_regions.csv row europe-west3")
    assert carbon_intensity_g_per_kwh("us-central1") == 430.0
    # the table spells Doha "me-cenrtal1"; the region's own row still answers for me-central1
    assert grid_intensity("me-central1").source.startswith(
        "carbon_intensity_gcp_regions.csv row me-cenrtal1")


def test_aws_and_azure_regions_take_their_countrys_figure():
    table = _country_table()
    assert grid_intensity("westeurope").g_per_kwh == table["NLD"]  # Azure West Europe: Amsterdam
    assert "Netherlands" in (grid_intensity("West Europe").place or "")
    assert carbon_intensity_g_per_kwh("us-east-1") == table["USA"]
    assert carbon_intensity_g_per_kwh("eastus") == table["USA"]
    assert carbon_intensity_g_per_kwh("eu-north-1") == table["SWE"]
    # AWS us-east-1 (Virginia) and Google us-east1 (South Carolina) are different regions
    assert grid_intensity("us-east1").source.startswith("carbon_intensity_gcp_regions.csv")


@pytest.mark.parametrize(("written", "alpha3"), [
    ("United States", "USA"), ("united states of america", "USA"), ("US", "USA"),
    ("UK", "GBR"), ("United Kingdom", "GBR"), ("Korea", "KOR"), ("Côte d'Ivoire", "CIV"),
    ("cote divoire", "CIV"), ("The Netherlands", "NLD"), ("Czech Republic", "CZE"),
    ("Turkiye", "TUR"), ("Bosnia & Herzegovina", "BIH"),
])
def test_country_names_and_codes(written: str, alpha3: str):
    country = country_of(written)
    assert country is not None and country.alpha3 == alpha3


def test_every_shipped_name_means_one_country_and_every_mapped_region_has_a_country():
    seen: dict[str, str] = {}
    with DATA.joinpath("countries.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names = [row["alpha2"], row["alpha3"], row["name"], *row["other_names"].split(";")]
            for name in filter(None, names):
                assert seen.setdefault(name_key(name), row["alpha3"]) == row["alpha3"], name
    assert len({code for code in seen.values()}) == 249  # every ISO 3166-1 country
    assert set(_country_table()) <= set(seen.values())
    with DATA.joinpath("cloud_regions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert grid_intensity(row["region"]).known, row["region"]


def test_an_unknown_region_is_the_world_average_and_says_so():
    unknown = grid_intensity("Atlantis")
    assert unknown.g_per_kwh == WORLD_AVERAGE_G_PER_KWH == 475.0
    assert not unknown.known
    assert unknown.default_note == "region 'Atlantis' unknown: world average 475 g/kWh"
    # a real country the table has no row for is named as such
    assert "Liechtenstein" in (grid_intensity("LI").default_note or "")


def test_rates_name_each_input_that_came_from_a_default(organisation: Organisation):
    frankfurt = organisation.cluster("frankfurt-k8s")
    assert rates_for(organisation, frankfurt, "NVIDIA H100 80GB HBM3").defaults == ()
    p100 = rates_for(organisation, frankfurt, "Tesla P100-PCIE-16GB")
    assert p100.gpu_usd_per_hour == organisation.default_gpu_price_usd_per_hour == 2.0
    assert p100.defaults == ("no price for GPU type Tesla P100-PCIE-16GB: the default 2.00 $/h",)
    atlantis = ClusterConfig(name="atlantis", region="Atlantis")
    rates = rates_for(organisation, atlantis, "H100")
    assert rates.carbon_g_per_kwh == 475.0 and rates.pue == 1.2
    assert rates.defaults == ("no pue: the default 1.2",
                              "no energy_price_usd_per_kwh: the default 0.15 $/kWh",
                              "region 'Atlantis' unknown: world average 475 g/kWh")
    assert "no cluster: world average 475 g/kWh" in default_rates(organisation, "H100").defaults
