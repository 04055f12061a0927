"""Rasa input/output channels of the citizen assistant."""
