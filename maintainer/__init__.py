"""The maintainers' loop: inbox, annotate, train a candidate, compare, gate, release, roll back.

Every step is a plain function (used by the command line, `python -m maintainer`, and by the staff
console's pages); `maintainer.layout.Layout` says where models, reports, the audit log and the files
annotations write (reviewed examples, procedure aliases, the reviewed domain) live.
"""
