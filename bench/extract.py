"""Benchmark: extract one night of N simulated mentions across all platforms.

The simulator runs in its own process (as a real API would be elsewhere), the extractor in
this one, so the two cores are both used. Prints items/s, pages/s, per-platform figures and
peak memory of both processes. Usage: python bench/extract.py --volume 100000
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carepulse.config import load_config  # noqa: E402
from carepulse.demo import DEMO_CREDENTIALS  # noqa: E402
from extract.items import manifest_items  # noqa: E402
from extract.runner import extract_night  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(volume: int, seed: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "carepulse.cli", "simulate", "--port", str(port), "--volume",
         str(volume), "--seed", str(seed)], cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("simulator did not start within 60 s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volume", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    proc, url = start_simulator(args.volume, args.seed)
    try:
        os.environ["CAREPULSE_SIMULATOR_URL"] = url
        for name, value in DEMO_CREDENTIALS.items():
            env = getattr(load_config(ROOT / "config/monitoring.yml").config.platforms, name)
            os.environ.setdefault(env.credential_env, value)
        loaded = load_config(ROOT / "config/monitoring.yml")
        night = date.today() - timedelta(days=1)
        # warm the simulator's generation of the night so we time extraction, not generation
        t0 = time.perf_counter()
        httpx.get(f"{url}/x/2/tweets/search/recent", params={"query": "warmup", "max_results": 10},
                  headers={"Authorization": "Bearer warm"}, timeout=120)
        warm = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw"
            t0, own0, sim0 = time.perf_counter(), os.times(), cpu_seconds(proc.pid)
            summary = extract_night(loaded, night, raw)
            elapsed = time.perf_counter() - t0
            own1, sim_cpu = os.times(), cpu_seconds(proc.pid) - sim0
            own_cpu = own1.user + own1.system - own0.user - own0.system
            m = summary.manifest
            distinct = len(set(manifest_items(raw, m)))
        sim_rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)

    totals = m["totals"]
    requests = sum(int(v.get("requests", 0)) for v in m["requests"].values())
    print(f"night {night}, {args.volume:,} simulated mentions, run {m['status']}")
    print(f"simulator warm-up (generate the night): {warm:.1f} s")
    print(f"extraction wall time: {elapsed:.1f} s, {requests:,} requests")
    print(f"items (records in pages): {totals['records']:,} -> {totals['records'] / elapsed:,.0f} items/s")
    print(f"distinct items: {distinct:,} -> {distinct / elapsed:,.0f} items/s")
    print(f"pages: {totals['pages']:,} -> {totals['pages'] / elapsed:,.1f} pages/s, "
          f"{totals['bytes'] / 1e6:.1f} MB gzipped")
    for platform in m["platforms"]:
        shards = [s for s in m["shards"].values() if s["platform"] == platform]
        print(f"  {platform:>9}: {sum(s['records'] for s in shards):>8,} items "
              f"{sum(s['pages'] for s in shards):>6,} pages")
    print(f"CPU during extraction: extractor {own_cpu:.1f} s, simulator {sim_cpu:.1f} s "
          f"(of {2 * elapsed:.0f} core-seconds on 2 cores)")
    print(f"peak RSS: extractor {peak_rss_mb():.0f} MB, simulator {sim_rss:.0f} MB")


if __name__ == "__main__":
    main()
