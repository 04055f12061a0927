"""The maintainers' loop: inbox, annotate, train a candidate, compare, gate, release, roll back.

Every step is a plain function (used by the command line, `python -m maintainer`, and later by
the staff console's pages); `maintainer.layout.Layout` says where models, reports and the audit
log live.
"""
