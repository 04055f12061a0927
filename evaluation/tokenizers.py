"""Whitespace tokens vs spaCy blank("vi") + pyvi word segmentation: `python -m evaluation.tokenizers`.

The featurizers only help if "đăng ký tạm trú" and "dang ky tam tru" give the same features.
For every Vietnamese message of the held-out set, written accented, this tokenizes the message
and its diacritic-free copy with both tokenizers and measures how often the two copies give the
same folded tokens (the lemmas the featurizers see), and how many multi-syllable words pyvi finds.
"""

from __future__ import annotations

import csv
import sys

from evaluation.run import HELDOUT
from knowledge.text import fold, nfc, strip_diacritics


def whitespace_tokens(text: str) -> list[str]:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.tokenizer import VietnameseTokenizer

    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    return [token.lemma for token in tokenizer.tokenize(Message.build(text), "text")]


def pyvi_tokens(nlp, text: str) -> list[str]:
    # A word of several syllables keeps its inner space ("tạm trú"): fold each word as one unit.
    return [fold(token.text).replace(" ", "_") for token in nlp(text) if token.text.strip()]


def main() -> int:
    import spacy

    nlp = spacy.blank("vi")
    with HELDOUT.open(encoding="utf-8", newline="") as file:
        accented = [nfc(r["text"]) for r in csv.DictReader(file) if r["variant"] == "accented"]

    results = {}
    for name, tokenize in (("whitespace + folded lemma", whitespace_tokens), ("spaCy blank('vi') + pyvi", lambda t: pyvi_tokens(nlp, t))):
        same = multi_accented = multi_plain = 0
        for text in accented:
            with_marks, without_marks = tokenize(text), tokenize(strip_diacritics(text))
            same += with_marks == without_marks
            multi_accented += sum("_" in t for t in with_marks)
            multi_plain += sum("_" in t for t in without_marks)
        results[name] = (same, multi_accented, multi_plain)

    print(f"{len(accented)} accented held-out messages, each also tokenized without diacritics")
    print("| tokenizer | same tokens with and without diacritics | multi-syllable words (accented / unaccented) |")
    print("|---|---|---|")
    for name, (same, multi_accented, multi_plain) in results.items():
        print(f"| {name} | {same / len(accented):.1%} ({same}/{len(accented)}) | {multi_accented} / {multi_plain} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
