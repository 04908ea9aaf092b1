"""PHI-safe reply screening: does an organisation's public reply to a review disclose anything
about the patient?

HHS's Office for Civil Rights has fined providers whose replies to online reviews confirmed
that the reviewer was a patient or named their condition, treatment or insurance. A reply is
screened, as written, against the review it answers; each flag carries a reason the privacy
officer can act on. Flags never repeat the reviewer's name: the reason says that the reply
names the reviewer, not how.

Kinds of flags (`Flag.kind`):
- reviewer_name: a token of the reviewer's display name (3+ letters, not a common word);
- patient_relationship: words that confirm the reviewer was seen ("your visit", "your chart");
- clinical: a diagnosis, procedure, test or medication, or "your diagnosis/treatment/results";
- billing: an insurer, a plan, a copay, a balance or an amount of money;
- visit_date: a calendar date or a weekday tied to the visit ("on March 3", "last Tuesday").

Plain Python with no state, so the warehouse can call it as a DuckDB function and tests can
call it directly; the terms are lists in this module, so a reviewer can read what is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RELATIONSHIP = (
    r"your (?:recent )?(?:visit|appointment|stay|admission|procedure|surgery|treatment|care|exam|"
    r"results?|test results?|lab results?|chart|records?|prescription|discharge|follow-up)",
    r"(?:when|while) you were (?:here|admitted|seen|treated|with us|in our (?:care|er|emergency))",
    r"(?:our|the) records (?:show|indicate)",
    r"you were (?:seen|admitted|treated|discharged|our patient)",
    r"as our patient",
    r"during your time (?:with us|in)",
)

CLINICAL_TERMS = (
    # diagnoses and conditions
    "cancer", "tumor", "tumour", "diabetes", "diabetic", "hiv", "hepatitis", "stroke",
    "heart attack", "pneumonia", "covid", "sepsis", "fracture", "broken arm", "broken leg",
    "depression", "anxiety", "bipolar", "schizophrenia", "addiction", "overdose", "pregnancy",
    "pregnant", "miscarriage", "abortion", "std", "chlamydia", "dementia", "alzheimer",
    "asthma", "copd", "infection", "concussion", "seizure", "epilepsy", "kidney failure",
    "dialysis", "eating disorder",
    # procedures and tests
    "surgery", "chemotherapy", "chemo", "radiation therapy", "biopsy", "colonoscopy",
    "endoscopy", "mammogram", "mri", "ct scan", "x-ray", "xray", "ultrasound", "c-section",
    "appendectomy", "hysterectomy", "vasectomy", "knee replacement", "hip replacement",
    "transplant", "blood test", "lab work", "stitches", "intubation",
    # medications
    "insulin", "metformin", "oxycodone", "opioid", "opioids", "morphine", "fentanyl",
    "antibiotics", "antibiotic", "prednisone", "xanax", "adderall", "suboxone", "methadone",
    "antidepressant", "antidepressants", "prescription", "medication", "dosage",
)
CLINICAL_PHRASES = (
    r"your (?:diagnosis|condition|treatment plan|medications?|dosage|symptoms|injury|illness|"
    r"prognosis|test|scan|biopsy|surgery|procedure)",
)

INSURERS = (
    "medicaid", "medicare", "aetna", "cigna", "unitedhealthcare", "united healthcare", "humana",
    "blue cross", "blue shield", "bcbs", "kaiser", "anthem", "tricare", "molina", "centene",
    "ambetter", "oscar health",
)
BILLING = (
    r"\bco-?pay(?:ment)?s?\b", r"\bdeductibles?\b", r"\bco-?insurance\b", r"\binsurance claims?\b",
    r"\byour claim\b", r"\b(?:a|your|the) bill\b", r"\byour (?:balance|statement|invoice|account)\b",
    r"\bout[- ]of[- ]network\b", r"\bprior authori[sz]ation\b", r"\bpre-?authori[sz]ation\b",
    r"\b(?:sent|referred|went) to collections\b", r"\$\s?\d[\d,]*(?:\.\d{2})?",
    r"\b\d[\d,]*(?:\.\d{2})? dollars\b", r"\byour (?:insurance|insurer|plan|policy|coverage)\b",
)

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
VISIT_DATES = (
    _MONTHS + r"\.? \d{1,2}(?:st|nd|rd|th)?\b",
    r"\b\d{1,2}(?:st|nd|rd|th)? (?:of )?" + _MONTHS + r"\b",
    r"\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?:/\d{2,4})?\b",  # m/d, not "24/7"
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"(?:last|this past|on) " + _WEEKDAYS,
    r"(?:yesterday|last night|this morning)",
)

# words too common to count as a name token (a reviewer called "Great Care" is not named by
# "great care"); the organisation's own vocabulary joins them
COMMON_WORDS = frozenset({
    "the", "and", "for", "you", "your", "our", "are", "was", "were", "with", "this", "that",
    "thank", "thanks", "sorry", "hear", "happy", "glad", "care", "team", "staff", "hospital",
    "health", "clinic", "center", "centre", "medical", "patient", "patients", "great", "good",
    "bad", "very", "much", "more", "please", "contact", "call", "reach", "out", "feedback",
    "review", "experience", "service", "anonymous", "user", "guest", "customer", "google", "local",
    "guide", "mom", "dad"
})


@dataclass(frozen=True, order=True)
class Flag:
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


def _word_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(terms, key=len, reverse=True)
    alternation = "|".join(re.escape(t).replace(r"\ ", r"[\s-]+") for t in longest_first)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE)


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in phrases) + r")\b", re.IGNORECASE)


_RELATIONSHIP = _phrase_pattern(RELATIONSHIP)
_CLINICAL_TERMS = _word_pattern(CLINICAL_TERMS)
_CLINICAL_PHRASES = _phrase_pattern(CLINICAL_PHRASES)
_INSURERS = _word_pattern(INSURERS)
_BILLING = re.compile(r"(?:" + "|".join(f"(?:{p})" for p in BILLING) + r")", re.IGNORECASE)
_VISIT_DATES = re.compile(r"(?:" + "|".join(f"(?:{p})" for p in VISIT_DATES) + r")", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"[^\W\d_]{3,}")
# (pattern, flag kind, what the reason says before the quoted match)
_CHECKS = (
    (_RELATIONSHIP, "patient_relationship", "confirms care"),
    (_CLINICAL_TERMS, "clinical", "names a condition, procedure or medication"),
    (_CLINICAL_PHRASES, "clinical", "refers to the patient's care"),
    (_INSURERS, "billing", "names an insurer"),
    (_BILLING, "billing", "billing specifics"),
    (_VISIT_DATES, "visit_date", "dates the visit"),
)


def name_tokens(reviewer_name: str | None, also_common: frozenset[str] = frozenset()) -> set[str]:
    """The tokens of a display name that would identify the reviewer in a reply."""
    tokens = {t.lower() for t in _NAME_TOKEN.findall(reviewer_name or "")}
    return tokens - COMMON_WORDS - {w.lower() for w in also_common}


def screen_reply(reply: str | None, reviewer_name: str | None = None,
                 organisation_words: frozenset[str] = frozenset()) -> list[Flag]:
    """Every disclosure risk in `reply`, sorted; [] for a safe (or empty) reply.

    organisation_words: words of the organisation's own names (a reviewer who shares a word
    with the hospital's name is not "named" by the hospital signing its reply)."""
    if not reply:
        return []
    flags: set[Flag] = set()
    words = {w.lower() for w in _NAME_TOKEN.findall(reply)}
    if name_tokens(reviewer_name, organisation_words) & words:
        flags.add(Flag("reviewer_name", "the reply names the reviewer"))
    for pattern, kind, what in _CHECKS:
        flags.update(Flag(kind, f"{what}: '{m.group(0).lower()}'") for m in pattern.finditer(reply))
    return sorted(flags)


def reply_flags(reply: str | None, reviewer_name: str | None = None) -> list[str]:
    """screen_reply as strings ("kind: reason"), the shape a DuckDB list column holds."""
    return [str(flag) for flag in screen_reply(reply, reviewer_name)]


def without_reviewer_name(text: str | None, reviewer_name: str | None) -> str | None:
    """`text` with every token of the reviewer's display name replaced by [NAME]: a review or
    reply that names its reviewer would otherwise carry the name into the warehouse, which the
    generic redaction cannot know."""
    tokens = name_tokens(reviewer_name)
    if not text or not tokens:
        return text
    alternation = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{alternation})(?!\w)", "[NAME]", text, flags=re.IGNORECASE)
