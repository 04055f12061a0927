"""Knowledge store: procedure content, administrative units and dossiers.

Nothing in this package imports Rasa. Actions use it through `knowledge.store`.
"""
