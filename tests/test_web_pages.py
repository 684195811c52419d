"""The history page over real HTTP as the owner uses it: paging, search and filters,
details, deletion of a search result, a filter, a day, a selection and everything, pause
and resume, the privacy summary. The fixtures are those of tests/test_web.py."""

from __future__ import annotations

import re
from datetime import date

import test_web
from test_web import MARKER, csrf_of

from assistant.record import Interaction

# The page fixtures of tests/test_web.py: one uvicorn server, a fresh journal per test.
server = test_web.server
filled_data_dir = test_web.filled_data_dir
page = test_web.page


# --- what the owner sees and does ------------------------------------------------------------


def test_keyset_paging_walks_every_entry_once_newest_first(page):
    cookie = page.sign_in()
    seen: list[int] = []
    path = "/"
    while path:
        status, _, html = page.get(path, cookie)
        assert status == 200
        seen += [int(i) for i in re.findall(r'href="/entry/(\d+)"', html)]
        older = re.search(r'href="(/\?[^"]*before=\d+[^"]*)" rel="next"', html)
        path = older.group(1).replace("&amp;", "&") if older else ""
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 122


def test_search_and_filters(page):
    cookie = page.sign_in()
    html = page.get(f"/?q={MARKER.upper()}", cookie)[2]
    assert re.findall(r'href="/entry/(\d+)"', html) == ["121"]
    html = page.get("/?outcome=not_understood&source=typed", cookie)[2]
    ids = [int(i) for i in re.findall(r'href="/entry/(\d+)"', html)]
    assert ids and all((i - 1) % 15 == 0 for i in ids)  # i % 5 == 0 and i % 3 == 0
    status, _, html = page.get("/?day=yesterday", cookie)
    assert status == 400 and "is not a date" in html


def test_entry_details(page):
    cookie = page.sign_in()
    html = page.get("/entry/121", cookie)[2]
    assert f"remember the {MARKER} please" in html and "Remember" in html
    assert "700 ms" in html and "not kept" in html
    html = page.get("/entry/122", cookie)[2]
    assert '<audio controls preload="auto" src="/audio/122">' in html


def test_deleting_a_search_result_confirms_the_count_and_reports_the_byte_scan(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("q", "number 11")]  # 11, 110..119
    status, _, html = page.post("/delete/confirm", cookie, fields)
    assert status == 200 and "Delete 11 interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    status, _, html = page.post("/delete", cookie, [*fields, ("up_to", up_to)])
    assert status == 200 and "Deleted 11 interactions" in html
    assert "no deleted content remains" in html
    assert page.journal.count() == 111
    assert page.journal.last_verification()[1] is True


def test_deleting_by_outcome_and_source_deletes_exactly_those(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("outcome", "not_understood"),
              ("source", "voice")]  # fmt: skip
    html = page.post("/delete/confirm", cookie, fields)[2]
    expected = page.journal.count(source="voice", outcome="not_understood")
    assert f"Delete {expected} interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    html = page.post("/delete", cookie, [*fields, ("up_to", up_to)])[2]
    assert f"Deleted {expected} interactions" in html
    assert page.journal.count(source="voice", outcome="not_understood") == 0
    assert page.journal.count(source="typed", outcome="not_understood") > 0


def test_deleting_a_day_leaves_the_other_days(page):
    entries = page.journal.page(limit=None)
    day = date.fromtimestamp(entries[60].started_at).isoformat()
    on_day = [e.id for e in entries if date.fromtimestamp(e.started_at).isoformat() == day]
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("day", day)]
    html = page.post("/delete/confirm", cookie, fields)[2]
    assert f"Delete {len(on_day)} interactions?" in html and f"on {day}" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    assert f"Deleted {len(on_day)} interactions" in page.post(
        "/delete", cookie, [*fields, ("up_to", up_to)])[2]  # fmt: skip
    left = {e.id for e in page.journal.page(limit=None)}
    assert not left & set(on_day) and len(left) == 122 - len(on_day)


def test_delete_selected_and_everything(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "ids"), ("id", "3"), ("id", "4"), ("id", "122")]
    assert "Delete 3 interactions?" in page.post("/delete/confirm", cookie, fields)[2]
    html = page.post("/delete", cookie, fields)[2]
    assert "Deleted 3 interactions" in html and "Audio files removed: 1." in html
    assert not list((page.journal.data_dir / "audio").iterdir())
    html = page.post("/delete/confirm", cookie, [("csrf", csrf), ("scope", "all")])[2]
    assert "Delete 119 interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    html = page.post("/delete", cookie, [("csrf", csrf), ("scope", "all"), ("up_to", up_to)])[2]
    assert "Deleted 119 interactions" in html and page.journal.count() == 0
    assert "The journal is empty." in page.get("/", cookie)[2]


def test_pause_shows_the_time_left_and_resume_ends_it(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    status, headers, _ = page.post("/pause", cookie, [("csrf", csrf), ("duration", "1h")])
    assert status == 303
    html = page.get("/", cookie)[2]
    assert re.search(r"resumes in <strong>(59 min|1 h 00 min)</strong>", html)
    assert page.journal.record(Interaction(transcript="while paused")) is None
    page.post("/resume", cookie, [("csrf", csrf), ("back", "privacy")])
    assert page.journal.paused_until() is None and "Logging is on." in page.get("/", cookie)[2]


def test_privacy_summary_and_chart(page):
    cookie = page.sign_in()
    html = page.get("/privacy", cookie)[2]
    assert "122 interactions" in html and "1 with audio" in html
    assert "kept for 1 day" in html and "365 days" in html and "never run" in html
    assert "assistant log delete --all" in html and "not encrypted" in html
    assert html.count("false wakes</title>") >= 5 and "interactions</title>" in html
    csrf = csrf_of(html)
    assert page.post("/verify", cookie, [("csrf", csrf)])[0] == 303
    assert "passed" in page.get("/privacy", cookie)[2]
