"""Rasa-side extensions: Vietnamese NLU components, channel and tracker store."""
