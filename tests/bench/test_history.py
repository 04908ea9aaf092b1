"""bench/history.py lands nights the raw gate accepts, that verify like extracted nights, and
whose pages hold the same items, endpoint by endpoint, as the real extractor over HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from bench import history
from carepulse import audit, paths
from carepulse.config import load_config
from carepulse.demo import DEMO_CREDENTIALS
from carepulse.sources import SOURCES
from expectations import validate_raw
from extract.http import RetryPolicy
from extract.items import manifest_items
from extract.manifest import ExtractionRun
from extract.runner import extract_night
from extract.simulator.server import SimulatorServer
from tests.conftest import CONFIG

SEED, VOLUME = 11, 300
NIGHTS = [date(2026, 11, 18), date(2026, 11, 19)]


def _manifest(raw, night) -> dict:
    (run,) = [r for r in ExtractionRun.all_runs(raw, night) if r.finished]
    return run.manifest()


def test_generated_nights_pass_the_raw_gate_and_verify(tmp_path, loaded_config):
    cache = tmp_path / "cache"
    first = history.history(tmp_path / "a", NIGHTS, VOLUME, SEED, cache=cache, workers=2, say=print)
    assert [r["night"] for r in first] == [n.isoformat() for n in NIGHTS]
    home = tmp_path / "b"
    assert history.history(home, NIGHTS, VOLUME, SEED, cache=cache, workers=2, say=print) == []  # cached
    raw = paths.raw_dir(home)
    landed = []
    for night in NIGHTS:
        manifest = _manifest(raw, night)
        assert manifest["status"] == "complete"
        assert manifest["totals"]["records"] > VOLUME  # mentions plus profiles, comments, owned posts
        report = validate_raw(home, night, tmp_path / "audit" / f"raw-{night}", loaded_config)
        assert report.success, report.failures
        landed += manifest["files"]
    # every endpoint the connectors call lands pages, as in an extracted night
    # every endpoint of every registered source lands (extract/items.py may know more)
    assert {f["endpoint"] for f in landed} == {e for s in SOURCES.values() for e in s.endpoints}
    page = raw / landed[0]["path"]
    assert page.stat().st_nlink == 3  # the cache, home a and home b: one file, generated once
    verified = audit.verify(home)
    assert verified.ok, verified.problems
    assert verified.checked["raw files"] == len(landed)
    assert verified.checked["manifests"] == len(NIGHTS)


def test_generated_night_holds_what_the_extractor_lands_over_http(tmp_path, monkeypatch):
    night = NIGHTS[0]
    history.history(tmp_path / "generated", [night], VOLUME, SEED, workers=1, say=print)
    clock = datetime.combine(night + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)
    with SimulatorServer(load_config(CONFIG).config, seed=SEED, mentions_per_night=VOLUME,
                         clock=clock) as sim:
        monkeypatch.setenv("CAREPULSE_SIMULATOR_URL", sim.url)
        loaded = load_config(CONFIG)
        for name, pcfg in loaded.config.platforms.enabled().items():
            monkeypatch.setenv(pcfg.credential_env, DEMO_CREDENTIALS[name])
        policy = lambda: RetryPolicy.from_config(loaded.config.extraction, clock=clock.timestamp)  # noqa: E731
        extract_night(loaded, night, tmp_path / "extracted", policy_factory=policy, walk_reviews=False)

    def per_endpoint(raw) -> dict[str, Counter]:
        manifest = _manifest(raw, night)
        out: dict[str, Counter] = {}
        for key in manifest_items(raw, manifest):
            out.setdefault(key.split(":")[0], Counter())[key] += 1
        shards = {k: (s["status"], s["pages"], s["records"]) for k, s in manifest["shards"].items()}
        endpoints = Counter(f["endpoint"] for f in manifest["files"])
        return {"items": out, "shards": shards, "endpoints": endpoints}

    generated = per_endpoint(paths.raw_dir(tmp_path / "generated"))
    extracted = per_endpoint(tmp_path / "extracted")
    assert generated["endpoints"] == extracted["endpoints"]
    assert generated["shards"] == extracted["shards"]
    assert generated["items"] == extracted["items"]
    assert sum(generated["endpoints"].values()) > 50  # a whole night, not an empty one
