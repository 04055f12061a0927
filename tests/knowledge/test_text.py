"""The shared normalisation: folding for matching, and the per-message language signal."""

import unicodedata

import pytest

from knowledge.text import detect_language, fold, nfc, strip_diacritics


def test_fold_makes_accented_unaccented_and_abbreviated_forms_equal():
    assert fold("Đăng ký tạm trú") == fold("dang ky tam tru") == fold("đk tạm trú") == "dang ky tam tru"
    assert fold("mất CCCD") == "mat can cuoc cong dan"


def test_strip_diacritics_keeps_the_length_of_nfc_text():
    text = "Hộ chiếu phổ thông"
    assert strip_diacritics(text) == "Ho chieu pho thong"
    assert len(strip_diacritics(text)) == len(text)


def test_nfd_input_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "khai sinh cho bé")
    assert nfc(decomposed) == "khai sinh cho bé" and len(nfc(decomposed)) < len(decomposed)


@pytest.mark.parametrize(
    "text, language",
    [
        ("con tôi mới sinh", "vi"),
        ("mat cccd lam lai the nao", "vi"),
        ("dk tam tru het bao lau", "vi"),
        ("my passport expired", "en"),
        ("tell me a joke", "en"),
        ("I lost my driver's license", "en"),
        ("ok", None),
        ("000.00.12.H57-250714-0031", None),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language
