"""Custom actions for the action server (`rasa run actions --actions actions`).

Thin rasa_sdk actions: they read knowledge only through `knowledge.store` and format replies
per language. Every module of this package is registered by the action server.
"""
