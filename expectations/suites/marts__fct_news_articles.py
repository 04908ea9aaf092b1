"""marts__fct_news_articles: one row per news article x panel brand it mentions.

No NULL keys; brand known; the outlet and its domain's credibility named; the match one of
the known signals; GDELT's tone inside its bins' range (-100..100) and VADER's compound in
[-1, 1]; an article link that is canonical (https, no tracking parameters); and the published
headline passes the residue detector again.
"""

from __future__ import annotations

import pandas as pd

from carepulse.config import LoadedConfig
from expectations.suites import common as c

NAME = "marts__fct_news_articles"
WINDOW_COLUMN = "mention_date"
SQL = """
select mention_key, post_key, brand_id, mention_date, outlet, source_domain, source_credibility,
       matched_on, gdelt_tone, adjusted_compound, undated,
       article_url is null or (article_url like 'https://%' and article_url not like '%utm_%')
           as link_canonical,
       coalesce(headline, '') as text_redacted
from marts.fct_news_articles
"""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return c.without_phi(frame)


def expectations(config: LoadedConfig) -> list:
    return [
        *c.not_null("mention_key", "post_key", "brand_id", "mention_date", "outlet", "source_credibility",
                    "undated"),
        c.in_set("brand_id", c.brand_ids(config)),
        c.in_set("source_credibility", {"authoritative", "fact_checker", "low_credibility", "unknown"}),
        c.in_set("matched_on", {"handle", "hashtag", "alias", "query"}),
        c.between("gdelt_tone", -100, 100),
        c.between("adjusted_compound", -1, 1),
        *c.all_true("link_canonical"),
        c.in_set("text_has_phi_residue", {False}),
    ]
