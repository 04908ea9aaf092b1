"""Broken config files get one clear message each: file, key path and problem."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from carepulse import sources
from carepulse.cli import app
from carepulse.config import ConfigError, load_config, parse_config
from tests.conftest import CONFIG

GOOD = CONFIG.read_text()


def edited(mutate) -> str:
    data = yaml.safe_load(GOOD)
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "cfg.yml")
    assert "cfg.yml" in str(err.value)
    return err.value.problems


def test_project_config_is_valid(loaded_config):
    cfg = loaded_config.config
    assert len(cfg.panel.competitors) >= 3
    assert cfg.organisation.handles.x
    assert len(loaded_config.sha256) == 64
    assert set(cfg.platforms.enabled()) == set(sources.NAMES)
    assert [loc.id for loc in cfg.review_locations()] == ["lakemont_main", "lakemont_east", "lakemont_urgent"]


def test_missing_key_names_the_path():
    text = edited(lambda d: d["organisation"].pop("name"))
    assert problems_of(text) == ["organisation.name: required key is missing"]


def test_wrong_type_names_the_path():
    text = edited(lambda d: d["privacy"].update(public_follower_threshold="lots"))
    [problem] = problems_of(text)
    assert problem.startswith("privacy.public_follower_threshold: ")
    assert "integer" in problem


def test_unknown_platform():
    text = edited(lambda d: d["platforms"].update(myspace={"endpoint": "http://x", "credential_env": "A"}))
    [problem] = problems_of(text)
    assert problem.startswith("platforms.myspace: unknown platform")
    assert "youtube" in problem


def test_overlapping_campaigns_sharing_a_hashtag():
    def mutate(d):
        d["campaigns"][1]["hashtags"] = ["FightFluLakemont"]

    [problem] = problems_of(edited(mutate))
    assert "fight_flu_2026" in problem and "heart_month_2026" in problem
    assert "overlap" in problem and "#fightflulakemont" in problem


def test_campaign_end_before_start():
    text = edited(lambda d: d["campaigns"][0].update(end="2026-01-01"))
    [problem] = problems_of(text)
    assert problem.startswith("campaigns.0: ") and "before start" in problem


def test_bad_yaml_gives_line_and_column():
    [problem] = problems_of(GOOD.replace("panel:\n", "panel:\n  - [unclosed\n", 1))
    assert "YAML syntax error" in problem and "line" in problem


def test_secret_in_place_of_env_var_name_is_rejected():
    text = edited(lambda d: d["platforms"]["x"].update(credential_env="AAAA-real-token-value"))
    [problem] = problems_of(text)
    assert problem.startswith("platforms.x.credential_env: ")


def test_all_problems_reported_at_once():
    def mutate(d):
        d["organisation"].pop("name")
        d["extraction"]["max_retries"] = -1
        d["platforms"]["bogus"] = {}

    assert len(problems_of(edited(mutate))) == 3


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yml")


def test_cli_config_check_prints_every_problem(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(edited(lambda d: (d["organisation"].pop("name"), d["panel"].pop("version"))))
    result = CliRunner().invoke(app, ["config", "check", "--config", str(bad)])
    assert result.exit_code == 2
    assert "organisation.name" in result.output and "panel.version" in result.output
    ok = CliRunner().invoke(app, ["config", "check", "--config", str(CONFIG)])
    assert ok.exit_code == 0, ok.output


def test_endpoint_env_expansion(monkeypatch):
    monkeypatch.setenv("CAREPULSE_SIMULATOR_URL", "http://127.0.0.1:9999")
    cfg = parse_config(GOOD).config
    assert cfg.platforms.x.endpoint == "http://127.0.0.1:9999/x"


def test_unknown_time_zone_names_the_key():
    text = edited(lambda d: d["analysis"].update(timezone="Mars/Olympus_Mons"))
    [problem] = problems_of(text)
    assert problem.startswith("analysis.timezone: ")
    assert "Mars/Olympus_Mons" in problem


def test_influencer_tiers_must_ascend():
    text = edited(lambda d: d["analysis"].update(macro_influencer_followers=5000))
    [problem] = problems_of(text)
    assert problem.startswith("analysis: ") and "micro < macro < mega" in problem


def test_a_secret_pasted_as_the_variable_name_is_refused_without_echoing_it():
    token = "ZK7QW9PX2M4VB8NTR6JYH3FD5SGL"
    [problem] = problems_of(edited(lambda d: d["platforms"]["x"].update(credential_env=token)))
    assert problem.startswith("platforms.x.credential_env: ") and "looks like a secret" in problem
    assert token not in problem and token[4:] not in problem


@pytest.mark.parametrize("name", ["CAREPULSE_X_BEARER_TOKEN", "AWS_SECRET_ACCESS_KEY", "GH_TOKEN_2",
                                  "YOUTUBE_DATA_API_V3_KEY"])
def test_ordinary_variable_names_pass(name):
    parse_config(edited(lambda d: d["platforms"]["x"].update(credential_env=name)))


def test_cross_field_problems_are_reported_beside_field_errors():
    def mutate(d):
        d["privacy"]["public_follower_threshold"] = "lots"   # a field error
        d["campaigns"][1]["hashtags"] = ["FightFluLakemont"]  # and an overlap of two campaigns

    problems = problems_of(edited(mutate))
    assert any(p.startswith("privacy.public_follower_threshold") for p in problems)
    assert any("overlap" in p and "fight_flu_2026" in p for p in problems), problems


def test_location_problems_are_named():
    [bad_ccn] = problems_of(edited(lambda d: d["organisation"]["locations"][2].update(ccn="14-01")))
    assert bad_ccn.startswith("organisation.locations.2.ccn:")

    def mutate(d):
        d["panel"]["competitors"][0]["locations"][0]["gbp_location"] = "accounts/9/locations/9"
        d["organisation"]["locations"][1]["id"] = "lakemont_main"

    found = problems_of(edited(mutate))
    assert "location id 'lakemont_main' is used more than once" in found
    assert any("panel.competitors.0.locations.0 (northgate_main): gbp_location is for the organisation's"
               in p for p in found), found


def test_reviews_enabled_without_a_location_to_read():
    def mutate(d):
        for loc in d["organisation"]["locations"]:
            loc.pop("gbp_location")

    assert problems_of(edited(mutate)) == [
        "platforms.gbp is enabled but no organisation.locations entry has a gbp_location"]


def test_benchmark_hospitals_are_every_brands_ccns(loaded_config):
    assert loaded_config.config.benchmark_ccns() == ["140101", "140102", "140201", "140301"]


def test_news_feed_and_graph_version_problems_are_named():
    def mutate(d):
        d["news"]["feeds"][1]["id"] = "lakemont_gazette"
        d["news"]["feeds"][2]["url"] = "ftp://feeds.example/newsroom.xml"
        d["platforms"]["facebook"]["api_version"] = "26"
        d["analysis"]["news_spike_baseline_days"] = 60

    found = problems_of(edited(mutate))
    assert any(p.startswith("news.feeds.2.url:") and "not an http(s) URL" in p for p in found), found
    assert any(p.startswith("platforms.facebook.api_version:") for p in found), found
    assert any("news_spike_baseline_days cannot exceed alert_baseline_days" in p for p in found), found
    [duplicate] = problems_of(edited(lambda d: d["news"]["feeds"][1].update(id="lakemont_gazette")))
    assert duplicate == "news.feeds: feed id 'lakemont_gazette' is used more than once"


def test_each_reach_plans_its_own_shards(loaded_config):
    from datetime import date

    from extract.base import Night
    from extract.plan import plan_shards

    cfg, night = loaded_config.config, Night(date(2026, 11, 20))
    owned = plan_shards(cfg, night, ["facebook", "instagram"])
    # only our own accounts: Meta serves page owners, not the public
    assert [(s.id, s.handles, s.owned) for s in owned] == [
        ("facebook.accounts.lakemont", ("104857600000001",), True),
        ("instagram.accounts.lakemont", ("17841400000000001",), True)]
    assert owned[0].since == night.lookback_start(cfg.extraction.engagement_lookback_days)
    news = plan_shards(cfg, night, ["news"])
    assert [s.id for s in news] == [*(f"news.feed.{f.id}" for f in cfg.news.feeds),
                                    *(f"news.mentions.{b.id}" for b in cfg.brands)]
    assert news[0].handles == (cfg.news.feeds[0].url,) and news[0].terms == ("Lakemont Gazette",)
    no_gdelt = cfg.model_copy(update={"news": cfg.news.model_copy(update={"gdelt": False})})
    assert {s.kind for s in plan_shards(no_gdelt, night, ["news"])} == {"feed"}
