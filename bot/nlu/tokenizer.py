"""Tokenizer for Vietnamese and English messages, written with or without diacritics.

Rasa slices entity values and runs regexes on the raw message text by character offset,
so this component never rewrites the text. It splits on whitespace like Rasa's
WhitespaceTokenizer (Vietnamese writes one syllable per word, and the featurizers'
word bigrams and character n-grams recover multi-syllable words) and puts the folded
form of each token - lowercase, no diacritics, abbreviation expanded - in `token.lemma`.
A featurizer with `use_lemma: true` then sees "cccd", "căn cước công dân" and
"can cuoc cong dan" alike, while one with `use_lemma: false` keeps the accented surface.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from knowledge.text import fold_word


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """Whitespace tokens with a normalised lemma (see module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return WhitespaceTokenizer.get_default_config()

    @staticmethod
    def not_supported_languages() -> None:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            # fold_word applies NFC itself, so NFD input still gets the same lemma.
            token.lemma = fold_word(token.text) or token.text
        return tokens
