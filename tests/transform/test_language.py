"""Language detection (transform/language.py) and what it does to sentiment scoring.

A multilingual sample of the kind people post about a hospital: lingua must find each
language offline; texts lingua cannot decide take the platform's field; texts without
letters are `zxx`; and `score_table` gives a VADER label to English and letter-less texts only,
never to another language.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from carepulse.config import DEFAULT_LANGUAGES
from transform.language import NO_LANGUAGE, UNDETERMINED, detect, detector_version, is_scored
from transform.sentiment import score_table

SAMPLE = [
    ("en", "The nurses at Lakemont were wonderful with my dad during his stay."),
    ("en", "ER wait was six hours again, nobody told us anything"),
    ("en", "Great care!"),
    ("es", "La enfermera fue muy amable conmigo y me explicó todo."),
    ("es", "Esperamos cinco horas en urgencias y nadie nos atendió."),
    ("fr", "Merci à toute l'équipe des urgences de Lakemont, vous êtes formidables."),
    ("fr", "Le parking de l'hôpital est beaucoup trop cher."),
    ("de", "Die Wartezeit in der Notaufnahme war viel zu lang."),
    ("de", "Das Personal war sehr freundlich und hilfsbereit."),
    ("pt", "Obrigado pela vacina, a equipe foi incrível e muito atenciosa."),
    ("pt", "Fiquei horas esperando e ninguém me explicou nada sobre a conta."),
    ("it", "Il medico è stato molto gentile e ha risposto a tutte le mie domande."),
    ("nl", "De verpleegkundigen waren erg vriendelijk en behulpzaam."),
    ("pl", "Lekarz był bardzo miły i wszystko mi wyjaśnił."),
    ("ru", "Врачи в больнице были очень внимательны."),
    ("zh", "医院的护士非常友善，等待时间也很短。"),
    ("ja", "病院のスタッフはとても親切でした。"),
    ("ko", "병원 직원들이 정말 친절했어요."),
    ("vi", "Bác sĩ rất tận tình và chu đáo với bệnh nhân."),
    ("ar", "كانت الممرضات لطيفات جدا في المستشفى."),
    ("hi", "अस्पताल के कर्मचारी बहुत अच्छे थे।"),
]


def _detect(texts, hints=None):
    return detect(texts, hints or [None] * len(texts), DEFAULT_LANGUAGES, 0.1)


def test_multilingual_sample_detected():
    found = _detect([text for _, text in SAMPLE])
    wrong = [(want, got, text) for (want, text), (got, _) in zip(SAMPLE, found, strict=True) if got != want]
    assert not wrong, wrong
    assert {source for _, source in found} == {"detected"}


def test_letterless_texts_have_no_language_and_are_scored():
    found = _detect(["😀😀", "!!!", "ok", "👍 10/10"])
    assert [lang for lang, _ in found] == [NO_LANGUAGE] * 4
    assert is_scored(NO_LANGUAGE) and is_scored("en") and not is_scored("es") and not is_scored(UNDETERMINED)


def test_platform_field_decides_only_when_lingua_abstains():
    # "lol wut" has no language lingua can tell among sixteen; the hint decides
    texts = ["lol wut", "lol wut", "The doctor was kind and patient"]
    found = _detect(texts, ["pt-BR", "xx", "es"])
    assert found[0] == ("pt", "platform")
    assert found[1] == (UNDETERMINED, "none")  # not a configured language: no hint at all
    assert found[2] == ("en", "detected")  # a confident detection beats the platform's field


def test_version_names_the_settings():
    assert detector_version(["en", "es"], 0.1) == detector_version(["es", "en"], 0.1)
    assert detector_version(["en", "es"], 0.1) != detector_version(["en", "es", "fr"], 0.1)
    assert detector_version(["en", "es"], 0.1) != detector_version(["en", "es"], 0.2)


def test_lengths_must_match():
    with pytest.raises(ValueError, match="2 texts but 1 hints"):
        detect(["a", "b"], [None], DEFAULT_LANGUAGES, 0.1)


def test_non_english_texts_never_get_a_vader_label():
    texts = [text for _, text in SAMPLE] + ["😀😀"]
    found = _detect(texts)
    rows = pa.table({
        "text_hash": [f"h{i}" for i in range(len(texts))],
        "text_redacted": texts,
        "language": [lang for lang, _ in found],
        "language_source": [source for _, source in found],
        "language_version": ["v"] * len(texts),
    })
    out = score_table(rows, workers=1).to_pylist()
    for row, (want, _) in zip(out, [*SAMPLE, (NO_LANGUAGE, "")], strict=True):
        if want in ("en", NO_LANGUAGE):
            assert row["adjusted_label"] in {"positive", "neutral", "negative"}, row
            assert row["adjusted_compound"] is not None and row["not_scored_reason"] is None
        else:
            assert row["stock_label"] == row["adjusted_label"] == "not_scored", row
            assert row["stock_compound"] is None and row["adjusted_compound"] is None
            assert row["not_scored_reason"] == "language"
    # the English ones score as before: "wonderful" is positive, the emoji too
    assert out[0]["adjusted_label"] == "positive" and out[-1]["adjusted_label"] == "positive"
