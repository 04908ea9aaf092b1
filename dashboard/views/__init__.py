"""The dashboard's pages: one module per page, registered once here.

The folder is `views/`, not `pages/`: Streamlit treats a `pages/` folder beside the entry
script as a legacy multipage app and, until some session has called `st.navigation`, serves
/<page> by running that file alone, without the entry script's sidebar.

`PAGES` is the single list the app's navigation, the tests, the browser check and the
screenshot script walk; url paths match the exposures in
dbt_project/models/marts/_marts__exposures.yml (a test holds them together). Each module has a
`render(ctx)` function and runs it when Streamlit executes the file as a page script.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    module: str  # file stem in dashboard/views/
    title: str
    url_path: str  # '' for the default page, served at '/'
    icon: str
    follows_languages: bool = False  # its figures come from fct_mentions, which has a language

    @property
    def path(self) -> Path:
        return HERE / f"{self.module}.py"

    @property
    def script(self) -> str:
        """The page file relative to dashboard/app.py (what st.Page and AppTest take)."""
        return f"views/{self.module}.py"

    @property
    def is_default(self) -> bool:
        return self.url_path == ""


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", "", ":material/dashboard:", follows_languages=True),
    PageSpec("share_of_voice", "Share of voice", "share_of_voice", ":material/campaign:",
             follows_languages=True),
    PageSpec("news", "News", "news", ":material/newspaper:"),
    PageSpec("sentiment", "Sentiment", "sentiment", ":material/mood:", follows_languages=True),
    PageSpec("engagement", "Engagement", "engagement", ":material/favorite:"),
    PageSpec("campaigns", "Campaigns", "campaigns", ":material/rocket_launch:"),
    PageSpec("community", "Community", "community", ":material/forum:"),
    PageSpec("misinformation", "Misinformation watch", "misinformation", ":material/report:"),
    PageSpec("reviews", "Reviews & reputation", "reviews", ":material/reviews:"),
    PageSpec("aspects", "What patients talk about", "aspects", ":material/record_voice_over:"),
)


def spec_for(page_file: str) -> PageSpec:
    """The registered page whose file this is."""
    stem = Path(page_file).stem
    return next(spec for spec in PAGES if spec.module == stem)
