"""Benchmark: sentiment scoring of N synthetic healthcare posts, three ways in one run.

  1. stock loop:   one SentimentIntensityAnalyzer, polarity_scores per text, this process
                   (one score per text: the baseline a naive model would run);
  2. score_texts:  process pool (--workers, default 2), stock AND adjusted score per text,
                   pool start-up included;
  3. score_texts:  in this process (workers=1), stock and adjusted.
score_texts runs VADER through `WindowedVader` (same output, without VADER's quadratic
re-lowercasing); the run checks its stock column against loop 1 for every text.

Texts are composed from healthcare sentence fragments with random names, numbers and emojis,
all distinct (the warehouse scores each distinct text once), at social-post
lengths (most under 280 characters, a tail of Reddit-length posts), plus the trap set.
Usage: python bench/sentiment.py --texts 100000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from transform.sentiment import (  # noqa: E402
    LEXICON_VERSION,
    VADER_VERSION,
    HealthcareAnalyzer,
    default_workers,
    load_traps,
    score_texts,
)

BRANDS = ("Lakemont Health", "@lakemonthealth", "Riverside Medical", "St. Brigid's", "Northgate Clinic",
          "#LakemontER", "Cedar Valley Hospital")
STAFF = ("Dr. Osei", "Nurse Kelly", "Dr. Alvarez", "the triage nurse", "my surgeon", "the front desk",
         "the billing office", "the night nurses", "our pediatrician", "the ER doctor")
RELATIVES = ("my mom", "Dad", "my son", "my wife", "grandma", "my partner", "our baby", "my sister")
CONDITIONS = ("flu", "COVID", "strep", "a broken wrist", "pneumonia", "appendicitis", "a migraine",
              "chest pain", "a kidney stone", "RSV", "a sinus infection", "shingles")
TAILS = ("", "", "", "smh", "#healthcare", "update to follow", "(posting for my aunt)", "day {n} of this",
         "anyone else?", "thoughts?", "lol", "never again", "10/10", "#nurses", "rant over", "ugh",
         "edit: typo", "just saying", "@{n}news", "PSA", "long story short", "so yeah")
EMOJI = ("🙏", "😡", "❤️", "😷", "🤒", "😭", "👏", "💉", "🏥", "😤", "🥲", "💯")
FRAGMENTS = (
    "Waited {n} hours in the ER at {b} with {c}.",
    "{s} was amazing with {r} today.",
    "{r} tested positive for {c} this morning.",
    "Biopsy came back negative for {r}, so relieved.",
    "Got a bill for ${amt} from {b} for a visit insurance said was covered.",
    "On hold with {b} scheduling for {n}0 minutes.",
    "{r} was discharged from {b} after {n} days.",
    "Honestly the care at {b} has gone downhill since the merger.",
    "Flu shot clinic at {b} is open {n}-5 on Saturday.",
    "Is the urgent care on {n}th Street open on Sundays?",
    "{s} explained everything and actually listened.",
    "{s} was rude and dismissive about {r}'s {c}.",
    "{r} is in remission, {n} years now!",
    "They misdiagnosed {r}'s {c} as anxiety.",
    "Parking at {b} costs ${n} an hour, which is ridiculous.",
    "The new wing at {b} looks great.",
    "No wait at all at {b} this time, in and out in {n}0 minutes.",
    "Booster side effects were mild, just a sore arm for {n} hours.",
    "Anyone know if {b} takes Medicaid for pediatric visits?",
    "Heart attack at {n}2 and {s} saved my life.",
    "My patient portal login keeps failing.",
    "Thank you {s} for going above and beyond.",
    "Still waiting on test results from {b}, day {n}.",
    "Surprise bill from {b} again.",
    "{b} is hiring nurses for the night shift.",
    "The waiting room was packed and nobody told us anything for {n} hours.",
    "Stage {n} and still fighting, thanks to the oncology team at {b}.",
    "Telehealth visit with {s} took {n} minutes, so easy.",
    "Overcharged for a {n} minute visit with {s}.",
    "Appointment with {s} confirmed for {n}pm Tuesday.",
)


def synthetic_posts(n: int, seed: int = 11) -> list[str]:
    """n distinct posts: 65% 1-2 sentences, 27% 3-5, 8% Reddit-length 8-16; a fifth end with an emoji."""
    rng = random.Random(seed)

    def sentence() -> str:
        return rng.choice(FRAGMENTS).format(
            b=rng.choice(BRANDS), s=rng.choice(STAFF), r=rng.choice(RELATIVES), c=rng.choice(CONDITIONS),
            n=rng.randint(2, 9), amt=f"{rng.randint(120, 9800):,}")

    posts: dict[str, None] = {}  # distinct, in generation order: the warehouse scores each text once
    while len(posts) < n:
        u = rng.random()
        count = rng.randint(1, 2) if u < 0.65 else rng.randint(3, 5) if u < 0.92 else rng.randint(8, 16)
        parts = [sentence() for _ in range(count)]
        parts.append(rng.choice(TAILS).format(n=rng.randint(2, 999)))
        if rng.random() < 0.2:
            parts.append(rng.choice(EMOJI))
        posts[" ".join(p for p in parts if p)] = None
    return list(posts)


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process and its reaped children, result)."""
    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    start, start_cpu = time.perf_counter(), cpu()
    result = fn()
    return time.perf_counter() - start, cpu() - start_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the three runs, interleaved; the best wall time of each is kept")
    args = parser.parse_args()

    traps = [t.text for t in load_traps()]
    texts = list(dict.fromkeys(traps + synthetic_posts(args.texts, args.seed)))[: args.texts]
    lengths = sorted(len(t) for t in texts)
    print(f"{len(texts)} distinct texts, chars median {lengths[len(lengths) // 2]}, "
          f"p90 {lengths[int(len(lengths) * 0.9)]}, max {lengths[-1]}; cpus usable {default_workers()}")
    print(f"lexicon {LEXICON_VERSION}, vaderSentiment {VADER_VERSION}; "
          f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine skews the pool)")

    analyzer = SentimentIntensityAnalyzer()
    runs: dict[str, tuple[str, int, Callable[[], Any]]] = {
        "stock": ("stock VADER loop, 1 process (1 score/text)", 1,
                  lambda: [analyzer.polarity_scores(t)["compound"] for t in texts]),
        "pool": (f"score_texts pool, {args.workers} workers (2 scores/text)", 2,
                 lambda: score_texts(texts, workers=args.workers)),
        "local": ("score_texts in-process (2 scores/text)", 2, lambda: score_texts(texts, workers=1)),
    }
    best: dict[str, tuple[float, float]] = {}
    results: dict[str, Any] = {}
    for _ in range(max(args.repeat, 1)):
        for key, (_, _, run) in runs.items():
            wall, cpu_s, results[key] = timed(run)
            if key not in best or wall < best[key][0]:
                best[key] = (wall, cpu_s)

    assert results["pool"] == results["local"], "pool and in-process results differ"
    assert [s for s, _ in results["local"]] == results["stock"], "stock column differs from VADER's own"

    n = len(texts)
    for key, (name, per_text, _) in runs.items():
        wall, cpu_s = best[key]
        print(f"{name:50} {wall:6.2f} s wall {cpu_s:6.2f} s cpu  {n / wall:7.0f} texts/s  "
              f"{per_text * n / wall:7.0f} scores/s")
    t_stock, t_pool, t_local = best["stock"][0], best["pool"][0], best["local"][0]
    print(f"pool / stock loop: {t_stock / t_pool:.2f}x texts/s, {2 * t_stock / t_pool:.2f}x scores/s "
          f"(goal >= 1.8x on 2 cores)")
    print(f"pool / in-process score_texts: {t_local / t_pool:.2f}x")
    print(f"texts needing a separate adjusted pass: {_adjusted_pass_share(texts):.1%} "
          "(the rest cannot be changed by the overlay and reuse the stock score)")


def _adjusted_pass_share(texts: list[str]) -> float:
    analyzer = HealthcareAnalyzer()
    sample = texts[:20_000]
    return sum(1 for t in sample if analyzer.needs_adjusted_pass(t)) / max(len(sample), 1)


if __name__ == "__main__":
    main()
