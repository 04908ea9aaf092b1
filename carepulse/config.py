"""Typed view of `config/monitoring.yml`, parsed once and validated before any work.

Every problem is reported as `<file>: <key.path>: <message>` and all problems are
reported together, so an analyst fixes the file in one pass.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from carepulse.sources import ACCOUNTS
from carepulse.sources import NAMES as PLATFORMS  # the source registry

Platform = Literal[PLATFORMS]  # type: ignore[valid-type]
DEFAULT_CONFIG = "config/monitoring.yml"

# Languages people write to and about a US health system in; any ISO 639-1 code lingua knows may
# be configured (fewer languages: faster and surer detection).
DEFAULT_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "pl", "ru", "zh", "ja", "ko", "vi",
                     "tl", "ar", "hi")

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _not_a_secret(name: str) -> str:
    """A variable *name* that looks like a random token is probably the secret itself, pasted
    where its name belongs: refused, and never echoed whole (only its first 4 characters)."""
    for part in name.split("_"):
        digits = sum(ch.isdigit() for ch in part)
        if (len(part) >= 12 and digits >= 2) or (len(part) >= 8 and digits >= 4) or len(part) >= 24:
            raise ValueError(f"{name[:4]}... looks like a secret value, not the name of an environment "
                             "variable: put the secret in an environment variable and name that variable "
                             "here (e.g. CAREPULSE_X_BEARER_TOKEN)")
    return name


EnvVarName = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=128),
                       AfterValidator(_not_a_secret)]
_ENV_REF = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """Invalid configuration; `problems` holds one line per problem."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  {self.path}: {p}" for p in problems)
        super().__init__(f"invalid config ({len(problems)} problem(s)):\n{lines}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Handles(_Model):
    """An account name per platform (as the platform spells it)."""

    def for_platform(self, platform: str) -> str | None:
        return getattr(self, platform, None)


# one optional field per registered social source (review sources read locations instead)
Handles = create_model("Handles", __base__=_Handles, **{p: (str | None, None) for p in ACCOUNTS})


class Location(_Model):
    """A site of a brand (a hospital, a clinic): where reviews and public benchmarks attach."""

    id: Slug
    name: str = Field(min_length=1)
    city: str | None = None
    gbp_location: str | None = Field(
        default=None, pattern=r"^accounts/[^/\s]+/locations/[^/\s]+$",
        description="Google Business Profile resource name, accounts/<id>/locations/<id>")
    ccn: str | None = Field(default=None, pattern=r"^[0-9A-Z]{6}$",
                            description="CMS certification number (HCAHPS benchmarks)")


class Brand(_Model):
    id: Slug
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    handles: Handles = Field(default_factory=Handles)
    hashtags: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)

    @field_validator("hashtags")
    @classmethod
    def _hashtags_without_hash(cls, tags: list[str]) -> list[str]:
        bad = [t for t in tags if not re.fullmatch(r"\w+", t)]
        if bad:
            raise ValueError(f"hashtags are written without '#' and spaces, got {bad}")
        return tags

    @property
    def terms(self) -> list[str]:
        """Free-text search terms: name and aliases, deduplicated in order."""
        return list(dict.fromkeys([self.name, *self.aliases]))


class Topic(_Model):
    id: Slug
    name: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_terms(self) -> Topic:
        if not self.keywords and not self.hashtags:
            raise ValueError("a topic needs at least one keyword or hashtag")
        return self


class Campaign(_Model):
    id: Slug
    name: str = Field(min_length=1)
    brand: Slug
    hashtags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    start: date
    end: date
    budget: float = Field(ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    owned_accounts: list[Platform] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not self.hashtags and not self.keywords:
            raise ValueError("a campaign needs at least one hashtag or keyword")
        return self

    @property
    def tracking_terms(self) -> set[str]:
        return {t.lower() for t in self.keywords} | {f"#{t.lower()}" for t in self.hashtags}


def _endpoint_url(value: str | None) -> str | None:
    """An endpoint with its ${VAR:-default} references expanded; refused unless http(s)."""
    if value is None:
        return None
    expanded = _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if not re.match(r"^https?://[^/\s]+", expanded):
        raise ValueError(f"not an http(s) URL: {expanded!r}")
    return expanded.rstrip("/")


class PlatformConfig(_Model):
    enabled: bool = True
    endpoint: str = Field(min_length=1)
    auth_endpoint: str | None = None
    credential_env: EnvVarName
    page_size: int = Field(default=100, ge=1, le=100)
    max_pages_per_shard: int = Field(default=1000, ge=1)
    request_budget: int = Field(default=5000, ge=1, description="requests (or quota units) per night")
    search_cost: int = Field(default=100, ge=1, description="YouTube quota units per search.list")
    min_request_interval_s: float = Field(default=0.0, ge=0)
    concurrency: int = Field(default=2, ge=1, le=8, description="shards of this platform in flight at once")
    api_version: str | None = Field(default=None, pattern=r"^v[0-9]+\.[0-9]+$",
                                    description="Graph API version (Meta: v26.0), pinned")

    @field_validator("endpoint", "auth_endpoint")
    @classmethod
    def _expand_env(cls, value: str | None) -> str | None:
        return _endpoint_url(value)


class _Platforms(_Model):
    def enabled(self) -> dict[str, PlatformConfig]:
        return {p: c for p in PLATFORMS if (c := getattr(self, p)) is not None and c.enabled}


# one optional `platforms.<name>` block per registered source
Platforms = create_model("Platforms", __base__=_Platforms,
                         **{p: (PlatformConfig | None, None) for p in PLATFORMS})


class Extraction(_Model):
    engagement_lookback_days: int = Field(default=7, ge=0, le=60)
    request_timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=300.0, ge=0)
    max_wait_s: float = Field(
        default=900.0, ge=0, description="longest rate-limit wait honoured before the shard is left partial"
    )


class Privacy(_Model):
    public_follower_threshold: int = Field(default=5000, ge=0)
    raw_text_retention_days: int = Field(default=90, ge=1)
    pseudonym_key_env: EnvVarName = "CAREPULSE_PSEUDONYM_KEY"
    tracked_public_accounts: list[str] = Field(default_factory=list)


class Analysis(_Model):
    """Knobs of the analysis marts; stored with what they produce (alerts carry their own)."""

    timezone: str = Field(default="UTC", description="IANA zone for hour-of-week and best time to post")
    alert_baseline_days: int = Field(default=28, ge=3, le=365)
    alert_k_sigma: float = Field(default=2.5, gt=0, le=10)
    alert_min_mentions: int = Field(default=10, ge=1)
    alert_min_baseline_days: int = Field(default=7, ge=2, description="fewer baseline days: no alert")
    # news coverage of a brand: a day against the previous news_spike_baseline_days
    news_spike_baseline_days: int = Field(default=14, ge=3, le=365)
    news_spike_min_articles: int = Field(default=3, ge=1, description="fewer articles that day: no spike")
    trending_baseline_days: int = Field(default=7, ge=1, le=90)
    trending_min_posts: int = Field(default=5, ge=1)
    best_time_min_posts: int = Field(default=5, ge=1)
    micro_influencer_followers: int = Field(default=10_000, ge=1)
    macro_influencer_followers: int = Field(default=100_000, ge=1)
    mega_influencer_followers: int = Field(default=1_000_000, ge=1)
    # languages the detector chooses among (ISO 639-1); VADER scores English texts only
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES), min_length=1)
    language_min_distance: float = Field(
        default=0.1, ge=0, lt=1, description="the detector's margin between its first and second "
        "language below which it does not decide (the platform's language, if any, is used)")
    # patient-experience aspects: a day against the previous aspect_baseline_days
    aspect_baseline_days: int = Field(default=28, ge=3, le=365)
    aspect_spike_min_negative: int = Field(default=5, ge=1, description="fewer negative mentions: no spike")
    aspect_spike_ratio: float = Field(default=3.0, gt=1, description="negative mentions against the "
                                      "baseline's daily mean")

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        from lingua import Language

        known = {language.iso_code_639_1.name.lower() for language in Language.all()}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown ISO 639-1 language code(s) {unknown} (e.g. 'en', 'es', 'zh')")
        if "en" not in value:
            raise ValueError("'en' must be among the languages: sentiment is scored for English texts")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed more than once")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'America/Chicago')") from None
        return value

    @model_validator(mode="after")
    def _tiers_ascend(self) -> Analysis:
        if self.alert_min_baseline_days > self.alert_baseline_days:
            raise ValueError("alert_min_baseline_days cannot exceed alert_baseline_days")
        if self.aspect_baseline_days > self.alert_baseline_days:
            raise ValueError("aspect_baseline_days cannot exceed alert_baseline_days (the aspect mart "
                             "reads that many days before each day)")
        if self.news_spike_baseline_days > self.alert_baseline_days:
            raise ValueError("news_spike_baseline_days cannot exceed alert_baseline_days (the alerts "
                             "mart reads that many days before each day)")
        if not (self.micro_influencer_followers < self.macro_influencer_followers
                < self.mega_influencer_followers):
            raise ValueError("influencer follower thresholds must ascend: micro < macro < mega")
        return self


class CopyPaste(_Model):
    """Near-identical texts from several accounts in a short window: one voice, not many."""

    enabled: bool = True
    similarity: float = Field(default=0.7, gt=0, le=1, description="estimated Jaccard similarity of "
                              "the texts' words and word pairs above which two texts are near-identical")
    window_minutes: int = Field(default=60, ge=1, le=1440)
    min_accounts: int = Field(default=5, ge=2, description="distinct accounts in the window")
    min_words: int = Field(default=6, ge=1, description="shorter texts (\"thank you!\") are never copies")


class Bots(_Model):
    """Automated-account signals from what the platforms return; `min_signals` of them exclude."""

    enabled: bool = True
    new_account_days: int = Field(default=30, ge=1, description="account younger than this at posting")
    max_posts_per_day: float = Field(default=72.0, gt=0, description="lifetime posts per day of age")
    min_following: int = Field(default=1000, ge=1, description="mass-follow shape: following at least "
                               "this many ...")
    max_follower_ratio: float = Field(default=0.05, gt=0,
                                      description="... with followers/following below this")
    duplicate_share: float = Field(default=0.5, gt=0, le=1, description="share of the account's posts "
                                   "within the copy-paste window that are in copy-paste bursts")
    min_signals: int = Field(default=2, ge=1, le=4)


class Screening(_Model):
    copy_paste: CopyPaste = Field(default_factory=CopyPaste)
    bots: Bots = Field(default_factory=Bots)


AlertKind = Literal["sentiment", "news_spike", "aspect_spike", "data_health"]
ALERT_KINDS: tuple[str, ...] = ("sentiment", "news_spike", "aspect_spike", "data_health")


class EmailChannel(_Model):
    """SMTP delivery: one message per alert to `recipients`, and one digest per night to
    `digest_recipients` (either list may be empty, not both). The password is a secret, so the
    config names its variable (and the login's variable beside it)."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: EnvVarName | None = None
    password_env: EnvVarName | None = None
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    digest_recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    kinds: list[AlertKind] = Field(default_factory=lambda: list(ALERT_KINDS))

    @model_validator(mode="after")
    def _someone_to_tell(self) -> EmailChannel:
        problems = []
        if not self.recipients and not self.digest_recipients:
            problems.append("no recipients and no digest_recipients: the channel would send nothing")
        if (self.username_env is None) != (self.password_env is None):
            problems.append("username_env and password_env go together (SMTP login needs both)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class WebhookChannel(_Model):
    """A Slack-compatible incoming webhook; its URL is a secret, so the config names its variable."""

    id: Slug
    url_env: EnvVarName
    kinds: list[AlertKind] = Field(default_factory=lambda: list(ALERT_KINDS))


class Alerts(_Model):
    """Delivery of the published night's alerts; off until a channel is configured."""

    enabled: bool = False
    email: EmailChannel | None = None
    webhooks: list[WebhookChannel] = Field(default_factory=list)
    max_attempts: int = Field(default=5, ge=1, le=50, description="per alert and channel, across nights")
    max_age_days: int = Field(default=3, ge=0, le=90, description="alerts of days older than this before "
                              "the published night are not sent (turning delivery on does not send history)")
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _channel_when_enabled(self) -> Alerts:
        if self.enabled and self.email is None and not self.webhooks:
            raise ValueError("enabled but no channel: configure alerts.email or alerts.webhooks")
        ids = [w.id for w in self.webhooks]
        if len(set(ids)) != len(ids):
            raise ValueError("a webhook id is used more than once")
        return self


class DashboardAccess(_Model):
    """Login to the dashboard through Streamlit's OpenID Connect support (st.login).

    Off for the local demo (the dashboard listens on loopback only). In production the
    provider's client secret and cookie secret come from Streamlit's secrets file, written from
    the environment (docs/operations.md)."""

    login: bool = False
    allowed_users: list[str] = Field(default_factory=list, description="e-mail addresses (case-insensitive)")
    allowed_groups: list[str] = Field(default_factory=list)
    groups_claim: str = Field(default="groups", min_length=1, description="the ID-token claim listing groups")

    @model_validator(mode="after")
    def _someone_allowed(self) -> DashboardAccess:
        if self.login and not (self.allowed_users or self.allowed_groups):
            raise ValueError("login is on but nobody is allowed: list allowed_users or allowed_groups")
        return self


class Dashboard(_Model):
    access: DashboardAccess = Field(default_factory=DashboardAccess)


class Hcahps(_Model):
    """CMS's HCAHPS survey results (Provider Data Catalog dataset dgck-syfz), refreshed quarterly."""

    enabled: bool = True
    endpoint: str = Field(min_length=1, description="the Provider Data Catalog API root")
    dataset: str = Field(default="dgck-syfz", pattern=r"^[a-z0-9]{4}-[a-z0-9]{4}$")

    @field_validator("endpoint")
    @classmethod
    def _expand_env(cls, value: str) -> str:
        return _endpoint_url(value)


class Feed(_Model):
    """An RSS 2.0 or Atom feed read every night (a local paper, a health desk, our newsroom)."""

    id: Slug
    url: str = Field(min_length=1)
    name: str | None = Field(default=None, description="the outlet, when the feed does not say")

    @field_validator("url")
    @classmethod
    def _expand_env(cls, value: str) -> str:
        return _endpoint_url(value)


class News(_Model):
    feeds: list[Feed] = Field(default_factory=list)
    # GDELT DOC 2.0 article search, one query per brand (platforms.news.endpoint is its root)
    gdelt: bool = True


class Benchmarks(_Model):
    hcahps: Hcahps | None = None


class Panel(_Model):
    """The locked competitor panel: share of voice is computed within it."""

    version: str = Field(min_length=1)
    competitors: list[Brand] = Field(min_length=1)


class Organisation(Brand):
    """Our organisation; its handles are the owned accounts."""


class SparkSettings(_Model):
    """The Spark engine's local session (tests, the demo, one machine). On a cluster the dbt
    profile's `spark` output names the Thrift Server or Databricks warehouse instead
    (docs/spark.md)."""

    master: str = Field(default="local[2]", min_length=1,
                        description="Spark master URL of the in-process session")
    driver_memory: str = Field(default="4g", pattern=r"^[0-9]+[kmgt]$")
    shuffle_partitions: int = Field(default=8, ge=1, le=10_000)
    conf: dict[str, str] = Field(default_factory=dict, description="further Spark settings, e.g. a shared "
                                 "metastore (spark.hadoop.hive.metastore.uris) on a cluster")


class Warehouse(_Model):
    """Which engine builds the warehouse. DuckDB (one file, one machine) is the default; Spark
    runs the same dbt models where one machine is not enough."""

    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    raw_root: str | None = Field(
        default=None, description="where the engine reads the raw zone (a path or an object-store URI "
                                  "the engine can read); default $CAREPULSE_HOME/raw")


class MonitoringConfig(_Model):
    version: Literal[1]
    organisation: Organisation
    panel: Panel
    topics: list[Topic] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)
    platforms: Platforms
    extraction: Extraction = Field(default_factory=Extraction)
    privacy: Privacy = Field(default_factory=Privacy)
    analysis: Analysis = Field(default_factory=Analysis)
    benchmarks: Benchmarks = Field(default_factory=Benchmarks)
    news: News = Field(default_factory=News)
    screening: Screening = Field(default_factory=Screening)
    alerts: Alerts = Field(default_factory=Alerts)
    dashboard: Dashboard = Field(default_factory=Dashboard)
    warehouse: Warehouse = Field(default_factory=Warehouse)

    @property
    def brands(self) -> list[Brand]:
        return [self.organisation, *self.panel.competitors]

    def review_locations(self) -> list[Location]:
        """The organisation's sites whose Google reviews are read (owner access is needed)."""
        return [loc for loc in self.organisation.locations if loc.gbp_location]

    def benchmark_ccns(self) -> list[str]:
        """Every brand's CMS certification numbers, in config order, once each."""
        return list(dict.fromkeys(loc.ccn for b in self.brands for loc in b.locations if loc.ccn))

    @model_validator(mode="after")
    def _cross_checks(self) -> MonitoringConfig:
        problems = list(self._cross_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _cross_problems(self):
        for check in (self._brand_problems, self._topic_problems, self._platform_problems,
                      self._location_problems, self._campaign_problems, self._campaign_overlaps):
            yield from check()

    def _brand_problems(self):
        ids = [b.id for b in self.brands]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            yield f"brand id {dup!r} is used more than once"

    def _topic_problems(self):
        topic_ids = [t.id for t in self.topics]
        for dup in sorted({i for i in topic_ids if topic_ids.count(i) > 1}):
            yield f"topic id {dup!r} is used more than once"

    def _platform_problems(self):
        if not self.platforms.enabled():
            yield "no platform is enabled"

    def _location_problems(self):
        ids = [loc.id for b in self.brands for loc in b.locations]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            yield f"location id {dup!r} is used more than once"
        for i, brand in enumerate(self.panel.competitors):
            for j, loc in enumerate(brand.locations):
                if loc.gbp_location:
                    yield (f"panel.competitors.{i}.locations.{j} ({loc.id}): gbp_location is for the "
                           "organisation's own sites (the API serves reviews to the owner only)")
        feed_ids = [f.id for f in self.news.feeds]
        for dup in sorted({i for i in feed_ids if feed_ids.count(i) > 1}):
            yield f"news.feeds: feed id {dup!r} is used more than once"
        gbp = getattr(self.platforms, "gbp", None)
        if gbp is not None and gbp.enabled and not self.review_locations():
            yield "platforms.gbp is enabled but no organisation.locations entry has a gbp_location"

    def _campaign_problems(self):
        campaigns = self.campaigns
        brand_ids = {b.id for b in self.brands}
        seen: set[str] = set()
        for i, c in enumerate(campaigns):
            where = f"campaigns.{i} ({c.id})"
            if c.id in seen:
                yield f"{where}: campaign id is used more than once"
            seen.add(c.id)
            if c.brand not in brand_ids:
                yield f"{where}: brand {c.brand!r} is not the organisation or a panel competitor"
            for p in c.owned_accounts:
                if c.brand != self.organisation.id:
                    yield f"{where}: owned_accounts only apply to the organisation's own campaigns"
                    break
                if self.organisation.handles.for_platform(p) is None:
                    yield f"{where}: owned account on {p} but organisation.handles.{p} is not set"

    def _campaign_overlaps(self):
        campaigns = self.campaigns
        for i, a in enumerate(campaigns):
            for j in range(i + 1, len(campaigns)):
                b = campaigns[j]
                shared = a.tracking_terms & b.tracking_terms
                if shared and a.start <= b.end and b.start <= a.end:
                    yield (
                        f"campaigns.{i} ({a.id}) and campaigns.{j} ({b.id}): dates overlap "
                        f"({a.start}..{a.end} vs {b.start}..{b.end}) while sharing tracking terms "
                        f"{sorted(shared)}, so mentions could not be attributed to one campaign"
                    )


class LoadedConfig(BaseModel):
    """A parsed config plus where it came from and the hash that versions it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: str
    sha256: str
    config: MonitoringConfig

    @cached_property
    def short_hash(self) -> str:
        return self.sha256[:12]


def _format_loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("function-after[_cross_checks(), MonitoringConfig]",)]
    return ".".join(parts) or "(top level)"


def _pydantic_problems(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors(include_url=False):
        loc = _format_loc(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown key (not part of the config schema)"
        elif e["type"] == "literal_error" and loc.startswith("campaigns"):
            msg = f"{msg} (got {e.get('input')!r})"
        if loc == "(top level)":  # the cross-field checks: each problem names its own keys
            problems.extend(msg.split("; "))
        else:
            problems.append(f"{loc}: {msg}")
    return problems


def _cross_problems_beside(raw: dict) -> list[str]:
    """The cross-field checks pydantic skips once a field is wrong: each runs on the sections
    that did validate, so one pass over the file still reports every problem."""
    parts = {}
    for name, field in MonitoringConfig.model_fields.items():
        try:
            if name in raw:
                parts[name] = TypeAdapter(field.annotation).validate_python(raw[name])
            elif not field.is_required():
                parts[name] = field.get_default(call_default_factory=True)
        except ValidationError:
            continue  # reported by the field checks already
    partial = MonitoringConfig.model_construct(**parts)
    problems = []
    for check in (partial._brand_problems, partial._topic_problems, partial._platform_problems,
                  partial._location_problems, partial._campaign_problems, partial._campaign_overlaps):
        try:
            problems += list(check())
        except AttributeError:  # a section it needs is broken
            continue
    return problems


def _unknown_platform_problems(raw: dict) -> list[str]:
    platforms = raw.get("platforms")
    if not isinstance(platforms, dict):
        return []
    return [
        f"platforms.{name}: unknown platform (supported: {', '.join(PLATFORMS)})"
        for name in platforms
        if name not in PLATFORMS
    ]


def parse_config(text: str, path: str | Path = "<string>") -> LoadedConfig:
    """Parse YAML text; raise ConfigError naming every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"{where}YAML syntax error: {problem}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, ["(top level): expected a mapping of keys, got " + type(raw).__name__])
    unknown = _unknown_platform_problems(raw)
    if unknown:
        raw = {**raw, "platforms": {k: v for k, v in raw["platforms"].items() if k in PLATFORMS}}
    try:
        cfg = MonitoringConfig.model_validate(raw)
    except ValidationError as err:
        problems = unknown + _pydantic_problems(err)
        problems += [p for p in _cross_problems_beside(raw) if p not in problems]
        raise ConfigError(path, problems) from None
    if unknown:
        raise ConfigError(path, unknown)
    sha = hashlib.sha256(text.encode()).hexdigest()
    return LoadedConfig(path=str(path), sha256=sha, config=cfg)


def config_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("CAREPULSE_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> LoadedConfig:
    """Load the config file (argument, else $CAREPULSE_CONFIG, else the default)."""
    p = config_path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(p, ["file not found"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(p, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    return parse_config(text, p)


def missing_credentials(loaded: LoadedConfig, env: dict[str, str] | None = None) -> dict[str, str]:
    """Enabled platforms whose credential variable is unset or blank here: platform -> variable."""
    env = os.environ if env is None else env
    return {name: pcfg.credential_env for name, pcfg in loaded.config.platforms.enabled().items()
            if not env.get(pcfg.credential_env, "").strip()}

