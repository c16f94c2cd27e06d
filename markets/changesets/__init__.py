"""Zone changesets (issue 18): edits grouped with a comment, reviewed, then published at once.

models.py holds the data (a changeset and its proposed edits, stored as data, never applied to
the zone until publish); services.py every step (draft, add edit, submit, approve, send back,
publish, scheduled publish); selectors.py the reads and the review page's diff; api.py and
views.py the thin HTTP layers. markets/models.py imports the models so Django registers them.
"""
