"""Text normalisation shared by the NLU component, the knowledge store and the actions.

Vietnamese citizens type with or without diacritics and with everyday abbreviations.
`fold` turns all of those into one comparable form; it never replaces the original
text, which Rasa needs intact for entity offsets.
"""

from __future__ import annotations

import re
import unicodedata

# Everyday chat abbreviations, keyed by their accent-free lowercase form.
ABBREVIATIONS: dict[str, str] = {
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "khg": "khong",
    "hong": "khong",
    "hok": "khong",
    "dc": "duoc",
    "đc": "duoc",
    "dk": "dang ky",
    "đk": "dang ky",
    "dky": "dang ky",
    "j": "gi",
    "bn": "bao nhieu",
    "bnh": "bao nhieu",
    "ntn": "nhu the nao",
    "sao": "sao",
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "cmt": "chung minh nhan dan",
    "gplx": "giay phep lai xe",
    "bhyt": "bao hiem y te",
    "bhxh": "bao hiem xa hoi",
    "tctn": "tro cap that nghiep",
    "hc": "ho chieu",
    "lltp": "ly lich tu phap",
    "gks": "giay khai sinh",
    "tthc": "thu tuc hanh chinh",
    "dvc": "dich vu cong",
    "ubnd": "uy ban nhan dan",
    "ca": "cong an",
    "tp": "thanh pho",
    "vs": "voi",
    "ng": "nguoi",
    "đt": "dien thoai",
    "dt": "dien thoai",
    "sdt": "so dien thoai",
    "r": "roi",
    "ms": "moi",
    "mk": "minh",
    "e": "em",
    "a": "anh",
    "c": "chi",
    "tks": "cam on",
    "thanks": "thanks",
    "ok": "ok",
    "oke": "ok",
    "okie": "ok",
    "uh": "u",
    "uhm": "u",
}

_WORD = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    """Unicode NFC: NFD Vietnamese has a different length and breaks offsets."""
    return unicodedata.normalize("NFC", text or "")


def strip_diacritics(text: str) -> str:
    """'Đăng ký khai sinh' -> 'Dang ky khai sinh'. Length-preserving for NFC input."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def fold_word(word: str) -> str:
    """Normalised form of one token: lowercase, no diacritics, abbreviation expanded."""
    lowered = nfc(word).lower()
    plain = strip_diacritics(lowered)
    return ABBREVIATIONS.get(lowered, ABBREVIATIONS.get(plain, plain))


def fold(text: str) -> str:
    """Normalised form of a whole phrase, for matching names, aliases and places."""
    return " ".join(fold_word(w) for w in _WORD.findall(nfc(text)))


_VI_MARKS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)
_VI_PLAIN_WORDS = frozenset(
    "toi minh em anh chi ban lam the nao khong ko dc duoc can giay gi bao lau nhieu o dau cho hoi xin "
    "dang ky khai sinh tu ket hon ho chieu can cuoc bang lai xe tam tru thuong tru cua con vo chong bo me "
    "muon phai nop phi le thu tuc ho so mat doi cap lai roi chua di ve voi nay kia va hay thi la".split()
)
_EN_WORDS = frozenset(
    "i my me the a an is are do does how what where when which can could to for of in on and with "
    "please help need want lost renew register get apply passport licence license driving birth death "
    "marriage fee cost documents long take online you hello hi thanks thank yes no tell about this that "
    "it your have has there will would should weather joke price today tomorrow who why bye goodbye".split()
)


def detect_language(text: str) -> str | None:
    """'vi', 'en', or None when the message gives no signal (numbers, codes, 'ok')."""
    text = nfc(text)
    if _VI_MARKS.search(text):
        return "vi"
    # Words both languages use ("me", "a", "no") and one-letter abbreviations say nothing.
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if not (w in _EN_WORDS and (w in _VI_PLAIN_WORDS or w in ABBREVIATIONS))]
    vi = sum(w in _VI_PLAIN_WORDS or (len(w) > 1 and ABBREVIATIONS.get(w, w) != w) for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if vi == en:
        return None
    return "vi" if vi > en else "en"


def english_words(text: str) -> int:
    """How many words of the text are English and not also plain Vietnamese ("on" in "cam on" is)."""
    return sum(w in _EN_WORDS and w not in _VI_PLAIN_WORDS for w in (w.lower() for w in _WORD.findall(nfc(text))))
