"""The household's history page: review, listen to and delete what the assistant kept.

An adapter over the journal library (`assistant.journal`), served by `assistant web`
on loopback unless the owner configured otherwise. Layout: `security` (who may ask,
and the headers and limits every answer carries), `filters` (what the owner asked to
see), `reports` (the one place that reads the journal's reports), `chart` (per-day
figures as SVG), `app` (the routes), `server` (uvicorn). No SQL here: every read and
every deletion is a journal call, the same code as `assistant log`.
"""
