"""The Vietnamese tokenizer keeps the text intact and puts the folded form in the lemma."""

import unicodedata

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.tokenizer import VietnameseTokenizer


@pytest.fixture
def tokenizer() -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def tokens_of(tokenizer, text):
    message = Message.build(text)
    tokenizer.process([message])
    return message, message.get(TOKENS_NAMES[TEXT])


def test_accented_unaccented_and_abbreviated_share_lemmas(tokenizer):
    _, accented = tokens_of(tokenizer, "Đăng ký tạm trú hết bao nhiêu")
    _, plain = tokens_of(tokenizer, "dang ky tam tru het bao nhieu")
    _, short = tokens_of(tokenizer, "dk tam tru het bn")
    assert [t.lemma for t in accented] == [t.lemma for t in plain]
    assert " ".join(t.lemma for t in short) == " ".join(t.lemma for t in plain)


def test_text_is_never_rewritten_and_offsets_slice_the_surface(tokenizer):
    text = "Mất CCCD, làm lại thế nào?"
    message, tokens = tokens_of(tokenizer, text)
    assert message.get(TEXT) == text
    for token in tokens:
        assert text[token.start : token.end] == token.text
    assert tokens[1].text == "CCCD" and tokens[1].lemma == "can cuoc cong dan"


def test_nfd_input_gets_the_same_lemmas_with_offsets_into_the_nfd_text(tokenizer):
    nfc_text = "giấy phép lái xe"
    nfd_text = unicodedata.normalize("NFD", nfc_text)
    _, nfc_tokens = tokens_of(tokenizer, nfc_text)
    message, nfd_tokens = tokens_of(tokenizer, nfd_text)
    assert [t.lemma for t in nfd_tokens] == [t.lemma for t in nfc_tokens]
    assert message.get(TEXT) == nfd_text
    assert all(nfd_text[t.start : t.end] == t.text for t in nfd_tokens)


def test_english_lemmas_are_lowercase_words(tokenizer):
    _, tokens = tokens_of(tokenizer, "I lost my Passport")
    assert [t.lemma for t in tokens] == ["i", "lost", "my", "passport"]


def test_training_data_is_tokenized_too(tokenizer):
    data = TrainingData([Message.build("làm hộ chiếu", intent="find_procedure")])
    tokenizer.process_training_data(data)
    tokens = data.training_examples[0].get(TOKENS_NAMES[TEXT])
    assert [t.lemma for t in tokens] == ["lam", "ho", "chieu"]
