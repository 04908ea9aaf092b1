"""CMS Provider Data Catalog: the DKAN datastore query of HCAHPS results (dataset dgck-syfz).

Served (unauthenticated, read-only, under /cms):
`GET /provider-data/api/1/datastore/query/dgck-syfz/0?limit=&offset=&conditions[i][...]=`.
DKAN's bracketed parameters are parsed here: `conditions[i][property]`, `[operator]` (`=`
by default, `<>`, `in`, `not in`, `like`) and `[value]` or `[value][j]`; conditions are
ANDed. `limit` is at most 500 (above it DKAN answers 400), `offset` pages. The body holds
`results` (long format: one row per hospital and measure, every value a string), `count`
(all matching rows), `schema` and the parsed `query`.

Values are deterministic per (seed, CCN): any 6-digit CCN is a hospital with plausible,
internally consistent answers (answer shares sum to 100, star ratings follow the top-box
share, the summary star their mean). Some hospitals have too few surveys for star ratings
("Not Available", footnote 15) and some have no results this period (everything "Not
Available", footnote 1). The reporting period is the four quarters ending two quarters
before the simulator clock's quarter, as CMS publishes with a lag.

Bodies are written as Symfony's JsonResponse writes them (slashes, quotes, apostrophes and
ampersands escaped), so "07\\/01\\/2025" reaches the raw zone as the API sends it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from extract.simulator.faults import FaultRule
from extract.simulator.platforms import Endpoint, Platform, Request, Response
from extract.simulator.world import stable_seed

DATASET = "dgck-syfz"
DISTRIBUTION = "a2c9a3b1d0f6e3c8b7e6d5c4b3a29180"  # stands in for the refresh's distribution id
LIMIT_MAX = 500
OPERATORS = ("=", "<>", "in", "not in", "like")
QUERY_KEYS = ("limit", "offset", "conditions", "count", "results", "schema")
_QUERY = re.compile(r"/provider-data/api/1/datastore/query/([^/]+)/(\d+)")
_CONDITION = re.compile(r"conditions\[(\d+)\]\[(property|value|operator)\](?:\[(\d+)\])?")
_CCN = re.compile(r"\d{6}")  # hospitals; other CCNs (letters) are not in the dataset

COLUMNS = (
    "facility_id", "facility_name", "address", "citytown", "state", "zip_code", "countyparish",
    "telephone_number", "hcahps_measure_id", "hcahps_question", "hcahps_answer_description",
    "patient_survey_star_rating", "patient_survey_star_rating_footnote", "hcahps_answer_percent",
    "hcahps_answer_percent_footnote", "hcahps_linear_mean_value", "number_of_completed_surveys",
    "number_of_completed_surveys_footnote", "survey_response_rate_percent",
    "survey_response_rate_percent_footnote", "start_date", "end_date",
)
NA, NAV = "Not Applicable", "Not Available"


@dataclass(frozen=True)
class Measure:
    """One survey topic: its answer rows (best first), national means, linear and star rows."""

    topic: str
    answers: tuple[tuple[str, str, str], ...]  # (measure id, question, answer description)
    top: float  # national share of the best answer, %
    bottom: float  # national share of the worst answer, %
    linear: str | None = None
    star: str | None = None


def _always(prefix: str, topic: str, who: str, what: str, top: float, bottom: float, *,
            rated: bool = True, stem: str | None = None) -> Measure:
    """An "Always / Usually / Sometimes or never" topic; `{}` in `what` places the answer."""
    stem = stem or prefix
    what = what if "{}" in what else "{} " + what
    answers = tuple(
        (f"{prefix}_{code}", f"Patients who reported that {who} {what.format(chr(34) + word + chr(34))}",
         f"{who[0].upper()}{who[1:]} {what.format(chr(34) + word.lower() + chr(34))}")
        for code, word in (("A_P", "Always"), ("U_P", "Usually"), ("SN_P", "Sometimes or never")))
    return Measure(topic, answers, top, bottom, f"{stem}_LINEAR_SCORE" if rated else None,
                   f"{stem}_STAR_RATING" if rated else None)


def _graded(topic: str, stem: str, answers: list[tuple[str, str, str]], top: float,
            bottom: float) -> Measure:
    return Measure(topic, tuple(answers), top, bottom, f"{stem}_LINEAR_SCORE", f"{stem}_STAR_RATING")


_SCALE = "on a scale from 0 (lowest) to 10 (highest)"
_HOME = "what to do during their recovery at home"
_LEFT = "they understood their care when they left the hospital"
_NURSE, _DOCTOR = "Nurse communication", "Doctor communication"
_RESPECT, _LISTEN = "treated them with courtesy and respect", "listened carefully to them"
_EXPLAIN = "explained things in a way they could understand"

MEASURES = (
    _always("H_COMP_1", _NURSE, "their nurses", "communicated well", 80, 4),
    _always("H_NURSE_RESPECT", _NURSE, "their nurses", _RESPECT, 86, 3, rated=False),
    _always("H_NURSE_LISTEN", _NURSE, "their nurses", _LISTEN, 78, 4, rated=False),
    _always("H_NURSE_EXPLAIN", _NURSE, "their nurses", _EXPLAIN, 76, 5, rated=False),
    _always("H_COMP_2", _DOCTOR, "their doctors", "communicated well", 79, 5),
    _always("H_DOCTOR_RESPECT", _DOCTOR, "their doctors", _RESPECT, 85, 4, rated=False),
    _always("H_DOCTOR_LISTEN", _DOCTOR, "their doctors", _LISTEN, 78, 5, rated=False),
    _always("H_DOCTOR_EXPLAIN", _DOCTOR, "their doctors", _EXPLAIN, 75, 6, rated=False),
    _always("H_COMP_3", "Responsiveness of hospital staff", "they",
            "received help as soon as they wanted", 65, 9),
    _always("H_COMP_5", "Communication about medicines", "the staff",
            "explained about medicines before giving it to them", 62, 18),
    _graded("Discharge information", "H_COMP_6", [
        ("H_COMP_6_Y_P", f"Patients who reported that YES, they were given information about {_HOME}",
         'Yes, staff "did" give patients this information'),
        ("H_COMP_6_N_P", f"Patients who reported that NO, they were not given information about {_HOME}",
         'No, staff "did not" give patients this information'),
    ], 86, 14),
    _graded("Care transition", "H_COMP_7", [
        ("H_COMP_7_SA", f'Patients who "Strongly Agree" {_LEFT}', '"Strongly Agree"'),
        ("H_COMP_7_A", f'Patients who "Agree" {_LEFT}', '"Agree"'),
        ("H_COMP_7_D_SD", f'Patients who "Disagree" or "Strongly Disagree" {_LEFT}',
         '"Disagree" or "Strongly Disagree"'),
    ], 52, 5),
    _always("H_CLEAN_HSP", "Cleanliness of hospital environment", "their room and bathroom",
            "were {} clean", 72, 9, stem="H_CLEAN"),
    _always("H_QUIET_HSP", "Quietness of hospital environment", "the area around their room",
            "was {} quiet at night", 62, 10, stem="H_QUIET"),
    _graded("Overall hospital rating", "H_HSP_RATING", [
        ("H_HSP_RATING_9_10", f"Patients who gave their hospital a rating of 9 or 10 {_SCALE}",
         'Patients who gave a rating of "9" or "10" (high)'),
        ("H_HSP_RATING_7_8", f"Patients who gave their hospital a rating of 7 or 8 {_SCALE}",
         'Patients who gave a rating of "7" or "8" (medium)'),
        ("H_HSP_RATING_0_6", f"Patients who gave their hospital a rating of 6 or lower {_SCALE}",
         'Patients who gave a rating of "6" or lower (low)'),
    ], 72, 8),
    _graded("Willingness to recommend the hospital", "H_RECMND", [
        ("H_RECMND_DY", "Patients who reported YES, they would definitely recommend the hospital",
         '"YES", patients would definitely recommend the hospital'),
        ("H_RECMND_PY", "Patients who reported YES, they would probably recommend the hospital",
         '"YES", patients would probably recommend the hospital'),
        ("H_RECMND_DN", "Patients who reported NO, they would probably not or definitely not "
                        "recommend the hospital", '"NO", patients would not recommend the hospital'),
    ], 70, 5),
)
SUMMARY_STAR = "H_STAR_RATING"

_NAMES = ("ST. MARY'S", "MERCY", "GOOD SAMARITAN", "MEMORIAL", "RIVERSIDE", "SACRED HEART",
          "UNIVERSITY", "COMMUNITY", "PROVIDENCE", "BAPTIST", "LAKESIDE", "VALLEY")
_KINDS = ("HOSPITAL", "MEDICAL CENTER", "REGIONAL MEDICAL CENTER", "HOSPITAL & CLINICS",
          "HEALTH SYSTEM")
_CITIES = ("SPRINGFIELD", "FAIRVIEW", "GREENVILLE", "FRANKLIN", "CLINTON", "MADISON", "SALEM",
           "GEORGETOWN", "ARLINGTON", "ASHLAND", "OXFORD", "JACKSON")
_STREETS = ("MAIN STREET", "HOSPITAL DRIVE", "MEDICAL PARKWAY", "OAK AVENUE", "CENTER STREET")
# the state a CCN's first two digits stand for (a subset of CMS's state codes)
_STATES = {"01": "AL", "03": "AZ", "05": "CA", "06": "CO", "07": "CT", "10": "FL", "11": "GA",
           "14": "IL", "15": "IN", "22": "MA", "23": "MI", "24": "MN", "26": "MO", "31": "NJ",
           "33": "NY", "34": "NC", "36": "OH", "39": "PA", "44": "TN", "45": "TX", "49": "VA",
           "50": "WA", "52": "WI"}


class QueryError(ValueError):
    """A query DKAN would refuse with 400."""


class Cms(Platform):
    name = "cms"

    def __init__(self, ctx, seed: int | None = None):
        super().__init__(ctx)
        self.seed = ctx.world.seed if seed is None else seed
        self._sites = _config_sites(ctx.world.config)

    # -- routing and errors ----------------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        if req.method == "GET" and _QUERY.fullmatch(req.path):
            return Endpoint("cms.datastore.query", self.query, authed=False)
        return None

    def unauthorized(self, req: Request) -> Response:  # nothing here needs a credential
        return dkan_error(401, "Unauthorized", req.now_ms)

    def expired(self, req: Request) -> Response:
        return self.unauthorized(req)

    def not_found(self, req: Request) -> Response:
        return dkan_error(404, f"No route found for \"{req.method} {req.path}\"", req.now_ms)

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return dkan_error(429, "Too Many Requests", req.now_ms,
                          [("Retry-After", f"{rule.retry_after:g}")])

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        return dkan_error(rule.status, "The website encountered an unexpected error.", req.now_ms)

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return dkan_error(429, "Too Many Requests", req.now_ms, [("Retry-After", str(rule.reset_s))])

    # -- the query -------------------------------------------------------------------------

    def query(self, req: Request) -> Response:
        dataset, index = _QUERY.fullmatch(req.path).groups()
        if dataset != DATASET or index != "0":
            return dkan_error(404, f"No resource found for dataset {dataset} index {index}.", req.now_ms)
        try:
            parsed = parse_query(req.query)
        except QueryError as exc:
            return dkan_error(400, str(exc), req.now_ms)
        rows = [r for r in self._rows(parsed["conditions"], req.now_ms)
                if all(_matches(r, c) for c in parsed["conditions"])]
        page = rows[parsed["offset"]:parsed["offset"] + parsed["limit"]]
        body: dict[str, Any] = {}
        if parsed["results"]:
            body["results"] = page
        if parsed["count"]:
            body["count"] = len(rows)
        if parsed["schema"]:
            body["schema"] = {DISTRIBUTION: {"fields": _SCHEMA}}
        body["query"] = {**parsed, "resources": [{"id": DISTRIBUTION, "alias": "t"}],
                         "conditions": [{**c, "resource": "t"} for c in parsed["conditions"]]}
        return Response(200, symfony_json(body), "application/json", items=len(page))

    def _rows(self, conditions: list[dict], now_ms: int) -> list[dict[str, str]]:
        """Rows of the hospitals the conditions can match, by CCN then measure.

        Only hospitals named by an `=`/`in` condition on facility_id exist to the simulator
        (any 6-digit CCN is one); a query without one matches nothing, not the whole nation.
        """
        ccns = sorted({v for c in conditions if c["property"] == "facility_id"
                       and c["operator"] in ("=", "in") for v in _values(c) if _CCN.fullmatch(v)})
        period = reporting_period(datetime.fromtimestamp(now_ms / 1000, UTC).date())
        return [row for ccn in ccns for row in self.hospital(ccn, period)]

    def hospital(self, ccn: str, period: tuple[date, date]) -> list[dict[str, str]]:
        """Every row of one hospital for a reporting period."""
        rng = random.Random(stable_seed(self.seed, "cms", ccn))
        facility = self._facility(ccn, rng)
        profile = rng.choices(("full", "few", "none"), weights=(85, 10, 5))[0]
        surveys = {"full": rng.randint(100, 2600), "few": rng.randint(50, 99), "none": None}[profile]
        rate = rng.randint(11, 34)
        quality = rng.gauss(0, 1)
        base = {**facility, "start_date": period[0].strftime("%m/%d/%Y"),
                "end_date": period[1].strftime("%m/%d/%Y"), **_survey_columns(surveys, rate)}
        rows, stars = [], []
        for measure in MEASURES:
            made, star = _measure_rows(measure, rng, quality, profile)
            rows.extend(made)
            if star is not None:
                stars.append(star)
        # the mean of the topic stars, halves rounded up (round() alone would round 3.5 to 4 but 2.5 to 2)
        summary = int(sum(stars) / len(stars) + 0.5) if stars and profile == "full" else None
        rows.append(_star_row(SUMMARY_STAR, "Summary star rating", "Summary star rating", summary, profile))
        return [_ordered({**base, **row}) for row in rows]

    def _facility(self, ccn: str, rng: random.Random) -> dict[str, str]:
        facility = {
            "facility_id": ccn,
            "facility_name": f"{rng.choice(_NAMES)} {rng.choice(_KINDS)}",
            "address": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            "citytown": rng.choice(_CITIES),
            "state": rng.choice(sorted(_STATES.values())),
            "zip_code": f"{rng.randint(10000, 99999)}",
            "countyparish": rng.choice(_CITIES),
            "telephone_number": f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}",
        }
        # drawn in full either way, so that a hospital's scores do not depend on the config
        name, city = self._sites.get(ccn, (None, None))
        facility["state"] = _STATES.get(ccn[:2], facility["state"])
        facility["facility_name"] = name or facility["facility_name"]
        facility["citytown"] = city or facility["citytown"]
        return facility


# -- rows ---------------------------------------------------------------------------------------

def _blank() -> dict[str, str]:
    return {"patient_survey_star_rating": NA, "patient_survey_star_rating_footnote": "",
            "hcahps_answer_percent": NA, "hcahps_answer_percent_footnote": "",
            "hcahps_linear_mean_value": NA}


def _survey_columns(surveys: int | None, rate: int) -> dict[str, str]:
    if surveys is None:
        return {"number_of_completed_surveys": NAV, "number_of_completed_surveys_footnote": "1",
                "survey_response_rate_percent": NAV, "survey_response_rate_percent_footnote": "1"}
    return {"number_of_completed_surveys": str(surveys),
            "number_of_completed_surveys_footnote": "6" if surveys < 100 else "",
            "survey_response_rate_percent": str(rate), "survey_response_rate_percent_footnote": ""}


def _shares(measure: Measure, rng: random.Random, quality: float) -> list[int]:
    """Answer shares, best first, summing to 100: better hospitals give more top answers."""
    top = min(98, max(20, round(measure.top + 5 * quality + rng.gauss(0, 2.5))))
    bottom = min(100 - top, max(0, round(measure.bottom - 1.5 * quality + rng.gauss(0, 1))))
    if len(measure.answers) == 2:
        return [top, 100 - top]
    return [top, 100 - top - bottom, bottom]


def _measure_rows(measure: Measure, rng: random.Random, quality: float,
                  profile: str) -> tuple[list[dict[str, str]], int | None]:
    """One topic's rows (answers, linear score, star) and its star rating, if rated."""
    shares = _shares(measure, rng, quality)
    rows = []
    for (measure_id, question, answer), share in zip(measure.answers, shares, strict=True):
        value, note = (NAV, "1") if profile == "none" else (str(share), "6" if profile == "few" else "")
        rows.append(_row(measure_id, question, answer, hcahps_answer_percent=value,
                         hcahps_answer_percent_footnote=note))
    if measure.linear is None:
        return rows, None
    weights = (100, 60, 10) if len(shares) == 3 else (100, 0)
    linear = round(sum(w * s for w, s in zip(weights, shares, strict=True)) / 100)
    rows.append(_row(measure.linear, f"{measure.topic} - linear mean score",
                     f"{measure.topic} - linear mean score",
                     hcahps_linear_mean_value=NAV if profile == "none" else str(linear)))
    star = min(5, max(1, 3 + round((shares[0] - measure.top) / 4)))
    label = f"{measure.topic} - star rating"
    rows.append(_star_row(measure.star, label, label, star if profile == "full" else None, profile))
    return rows, star


def _row(measure_id: str, question: str, answer: str, **values: str) -> dict[str, str]:
    return {"hcahps_measure_id": measure_id, "hcahps_question": question,
            "hcahps_answer_description": answer, **_blank(), **values}


def _star_row(measure_id: str, question: str, answer: str, star: int | None,
              profile: str) -> dict[str, str]:
    # footnote 15: too few completed surveys for a star rating; 1: no results at all
    note = "" if star is not None else ("1" if profile == "none" else "15")
    return _row(measure_id, question, answer, patient_survey_star_rating=str(star) if star else NAV,
                patient_survey_star_rating_footnote=note)


def _ordered(row: dict[str, str]) -> dict[str, str]:
    return {name: row[name] for name in COLUMNS}  # CMS's column order


def reporting_period(today: date) -> tuple[date, date]:
    """The four quarters ending two quarters before `today`'s quarter."""
    quarter = (today.year * 4 + (today.month - 1) // 3) - 2  # the last quarter covered
    end_year, end_q = divmod(quarter, 4)
    start_year, start_q = divmod(quarter - 3, 4)
    end_month = end_q * 3 + 3
    end_day = 31 if end_month in (3, 12) else 30
    return date(start_year, start_q * 3 + 1, 1), date(end_year, end_month, end_day)


def _config_sites(config: Any) -> dict[str, tuple[str, str | None]]:
    """CCN -> (name, city) of the configured locations, as CMS spells them (upper case), so
    that the demo's own hospitals carry their own names."""
    sites = {}
    for brand in getattr(config, "brands", []):
        for loc in getattr(brand, "locations", []):
            if getattr(loc, "ccn", None):
                sites[loc.ccn] = (loc.name.upper(), (loc.city or "").upper() or None)
    return sites


# -- DKAN query parameters ------------------------------------------------------------------------

def parse_query(query: dict[str, list[str]]) -> dict[str, Any]:
    """The query DKAN would run for these bracketed parameters; QueryError when it refuses."""
    unknown = sorted({k.split("[", 1)[0] for k in query} - set(QUERY_KEYS))
    if unknown:
        raise QueryError(f"Unsupported query parameter(s): {', '.join(unknown)}")
    limit = _int(query, "limit", LIMIT_MAX)
    if limit > LIMIT_MAX:
        raise QueryError(f"JSON Schema validation failed: limit must be less than or equal to {LIMIT_MAX}")
    return {"conditions": _conditions(query), "limit": limit, "offset": _int(query, "offset", 0),
            "count": _flag(query, "count"), "results": _flag(query, "results"),
            "schema": _flag(query, "schema"), "keys": True, "format": "json"}


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    raw = (query.get(name) or [str(default)])[0]
    if not raw.isdigit():
        raise QueryError(f"JSON Schema validation failed: {name} must be a non-negative integer")
    return int(raw)


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["true"])[0].lower() not in ("false", "0")


def _conditions(query: dict[str, list[str]]) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for key, values in query.items():
        if not key.startswith("conditions"):
            continue
        m = _CONDITION.fullmatch(key)
        if m is None:
            raise QueryError(f"Invalid condition parameter: {key}")
        cond = found.setdefault(int(m.group(1)), {"operator": "="})
        if m.group(2) != "value":
            cond[m.group(2)] = values[-1]
        elif m.group(3) is None:
            cond["value"] = values[-1]
        else:
            cond.setdefault("value", {})
            if not isinstance(cond["value"], dict):
                raise QueryError(f"Condition {m.group(1)}: value given both as one and as a list")
            cond["value"][int(m.group(3))] = values[-1]
    return [_condition(i, found[i]) for i in sorted(found)]


def _condition(i: int, cond: dict[str, Any]) -> dict[str, Any]:
    if cond.get("property") not in COLUMNS:
        raise QueryError(f"Condition {i}: invalid property {cond.get('property')!r}")
    operator = cond["operator"].lower()
    if operator not in OPERATORS:
        raise QueryError(f"Condition {i}: invalid operator {cond['operator']!r}")
    if "value" not in cond:
        raise QueryError(f"Condition {i}: no value")
    value = cond["value"]
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    listed = operator in ("in", "not in")
    if listed != isinstance(value, list):
        raise QueryError(f"Condition {i}: operator {operator!r} takes {'a list' if listed else 'one value'}")
    return {"property": cond["property"], "value": value, "operator": operator}


def _values(cond: dict[str, Any]) -> list[str]:
    return cond["value"] if isinstance(cond["value"], list) else [cond["value"]]


def _matches(row: dict[str, str], cond: dict[str, Any]) -> bool:
    value, op = row[cond["property"]], cond["operator"]
    if op == "like":  # SQL LIKE, case-insensitive as MySQL's default collation compares
        pattern = re.escape(cond["value"].lower()).replace("%", ".*").replace("_", ".")
        return re.fullmatch(pattern, value.lower()) is not None
    inside = value in _values(cond)
    return not inside if op in ("<>", "not in") else inside


# -- bodies ---------------------------------------------------------------------------------------

def symfony_json(obj: Any) -> bytes:
    """JSON as Symfony's JsonResponse encodes it: ASCII only, `/` as `\\/`, and `"`, `'`,
    `&`, `<`, `>` inside strings as \\u escapes."""
    text = json.dumps(obj, separators=(",", ":"))
    text = re.sub(r'\\"', r"\\u0022", text.replace("\\\\", "\0")).replace("\0", "\\\\")
    for char, escaped in (("/", "\\/"), ("'", "\\u0027"), ("&", "\\u0026"), ("<", "\\u003C"),
                          (">", "\\u003E")):
        text = text.replace(char, escaped)
    return text.encode("ascii")


def dkan_error(status: int, message: str, now_ms: int,
               headers: list[tuple[str, str]] | None = None) -> Response:
    stamp = datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="seconds")
    body = symfony_json({"message": message, "status": status, "timestamp": stamp})
    return Response(status, body, "application/json", list(headers or []))


_SCHEMA = {name: {"type": "text", "mysql_type": "text",
                  "description": name.replace("_", " ").capitalize()} for name in COLUMNS}
