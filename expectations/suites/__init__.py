"""The suites, one module per dataset, named <layer>__<table>.

Each module holds NAME, the dataset's COLUMNS, how its frame rows are read (raw modules:
`items`, `rows`, `staging_keys`; marts modules: `SQL` and an optional `prepare`) and
`expectations(config)`, the suite as code. Importing a module imports GX, so callers import
this package only when they are about to validate.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from carepulse.sources import raw_suites
from expectations.gx_setup import quiet_environment

if TYPE_CHECKING:
    import great_expectations as gx

    from carepulse.config import LoadedConfig

quiet_environment()  # before any suite module imports great_expectations

# one per entity a registered source stages (carepulse/sources.py)
RAW_ENTITIES = raw_suites()
RAW = (*RAW_ENTITIES, "raw__pages", "raw__platforms")
MARTS = (
    "marts__fct_mentions",
    "marts__fct_share_of_voice_daily",
    "marts__fct_campaign_performance_daily",
    "marts__fct_post_engagement_daily",
    "marts__fct_influencer_mentions_daily",
    "marts__fct_trending_hashtags_daily",
    "marts__fct_best_time_to_post",
    "marts__fct_patient_questions",
    "marts__fct_misinformation_watch",
    "marts__fct_sentiment_alerts_daily",
    "marts__fct_data_health_nightly",
    "marts__fct_reviews",
    "marts__fct_review_replies",
    "marts__fct_location_rating_daily",
    "marts__fct_news_articles",
    "marts__fct_mention_aspects",
    "marts__fct_aspect_sentiment_daily",
    "marts__reconciliation",
)


def module(name: str) -> ModuleType:
    if name not in RAW and name not in MARTS:
        raise KeyError(f"no suite named {name!r}")
    return importlib.import_module(f"expectations.suites.{name}")


def build_suite(name: str, config: LoadedConfig) -> gx.ExpectationSuite:
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=module(name).expectations(config))
