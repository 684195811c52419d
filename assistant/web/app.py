"""The page's routes: list, details, audio, deletion, pause, privacy summary, sign-in.

Every journal call runs in Starlette's thread pool (the journal is thread-safe), so a
long erasure never stalls other requests. Handlers read the request, call the journal
through `reports`/`filters`, and render a template; nothing here knows SQL.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from assistant.config import Config
from assistant.errors import AssistantError
from assistant.journal import Selection
from assistant.web import chart, reports
from assistant.web.filters import BadFilter, Filter
from assistant.web.pages import Pages
from assistant.web.security import (
    SESSION_COOKIE,
    BodyLimit,
    LoginLimiter,
    SecurityHeaders,
    Session,
    Sessions,
    same_secret,
)

PAGE_SIZE = 50
PAUSE_CHOICES = {"15m": 900, "1h": 3600, "8h": 8 * 3600, "24h": 86400}
OPEN_PATHS = ("/login", "/static/")
"""Reachable before signing in: the sign-in form and its style sheet (package data)."""
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass
class Site:
    """Everything the handlers share."""

    config: Config
    journal: Any
    token: str
    tls: bool
    sessions: Sessions
    limiter: LoginLimiter
    pages: Pages
    wall_clock: Callable[[], float] = time.time
    cookie_flags: dict[str, Any] = field(default_factory=dict)


def allowed_hosts(config: Config) -> list[str]:
    hosts = [*LOOPBACK_NAMES, *config.web.hosts]
    if not ipaddress.ip_address(config.web.listen).is_unspecified:
        hosts.append(config.web.listen)
    return hosts


def create_app(
    config: Config,
    journal: Any,
    *,
    token: str,
    tls: bool = False,
    limiter: LoginLimiter | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> Starlette:
    site = Site(config, journal, token, tls, Sessions(), limiter or LoginLimiter(),
                Pages(tls=tls), wall_clock,
                {"httponly": True, "samesite": "strict", "secure": tls, "path": "/"})  # fmt: skip
    static = Path(__file__).parent / "static"
    app = Starlette(
        routes=[
            Route("/", _handler(site, list_page)),
            Route("/entry/{entry_id:int}", _handler(site, entry_page)),
            Route("/audio/{entry_id:int}", _handler(site, audio_file)),
            Route("/privacy", _handler(site, privacy_page)),
            Route("/delete/confirm", _handler(site, delete_confirm), methods=["POST"]),
            Route("/delete", _handler(site, delete_now), methods=["POST"]),
            Route("/pause", _handler(site, pause), methods=["POST"]),
            Route("/resume", _handler(site, resume), methods=["POST"]),
            Route("/verify", _handler(site, verify), methods=["POST"]),
            Route("/logout", _handler(site, logout), methods=["POST"]),
            Route("/login", _login(site), methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(config)),
            Middleware(BodyLimit),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.site = site
    return app


# --- access --------------------------------------------------------------------------------

Handler = Callable[[Site, Request, Session], Any]


def _handler(site: Site, handler: Handler) -> Callable[[Request], Any]:
    """Wraps a route: sign-in by token or session, CSRF on every POST, errors as pages."""

    async def endpoint(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is not None:
            if not same_secret(token, site.token):
                return site.pages.render(request, "denied.html", {}, status=401)
            # Trade the token for a session cookie and drop it from the address bar.
            session_id, _ = site.sessions.new(signed_in=True)
            response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie(SESSION_COOKIE, session_id, **site.cookie_flags)
            return response
        session = site.sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None or not session.signed_in:
            if site.config.web.password and request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return site.pages.render(request, "denied.html", {}, status=401)
        form: FormData | None = None
        if request.method == "POST":
            form = await request.form()
            if not same_secret(_text(form.get("csrf")), session.csrf):
                return site.pages.render(request, "error.html",
                                         {"message": "This form has expired; reload the page."},
                                         status=403)  # fmt: skip
            request.state.form = form
        try:
            return await handler(site, request, session)
        except (AssistantError, ValueError) as e:
            status = 400 if isinstance(e, (BadFilter, ValueError)) else 500
            return site.pages.render(request, "error.html", {"message": str(e), "session": session},
                                     status=status)  # fmt: skip

    return endpoint


def _login(site: Site) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if not site.config.web.password:
            return site.pages.render(request, "denied.html", {}, status=401)
        client = request.client.host if request.client else "?"
        session_id = request.cookies.get(SESSION_COOKIE)
        session = site.sessions.get(session_id)
        if request.method == "GET" or session is None:
            session_id, session = site.sessions.new(signed_in=False)
            response = site.pages.render(request, "login.html", {"session": session})
            response.set_cookie(SESSION_COOKIE, session_id, **site.cookie_flags)
            return response
        form = await request.form()
        if not same_secret(_text(form.get("csrf")), session.csrf):
            return site.pages.render(request, "login.html",
                                     {"session": session, "message": "Reload and try again."},
                                     status=403)  # fmt: skip
        wait = site.limiter.retry_after(client)
        if wait > 0:
            message = f"Too many attempts. Try again in {int(wait) + 1} seconds."
            response = site.pages.render(
                request, "login.html", {"session": session, "message": message}, status=429
            )
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if not same_secret(_text(form.get("password")), site.config.web.password):
            site.limiter.failed(client)
            return site.pages.render(request, "login.html",
                                     {"session": session, "message": "Wrong password."},
                                     status=401)  # fmt: skip
        site.sessions.end(session_id)
        new_id, _ = site.sessions.new(signed_in=True)
        signed_in = RedirectResponse("/", status_code=303)
        signed_in.set_cookie(SESSION_COOKIE, new_id, **site.cookie_flags)
        return signed_in

    return endpoint


async def logout(site: Site, request: Request, session: Session) -> Response:
    site.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = site.pages.render(request, "denied.html", {"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- reading -------------------------------------------------------------------------------


async def list_page(site: Site, request: Request, session: Session) -> Response:
    chosen = Filter.from_params(request.query_params)
    before = _optional_int(request.query_params.get("before"))
    journal = site.journal
    found = await run_in_threadpool(
        journal.page, chosen.selection(), before_id=before, limit=PAGE_SIZE + 1,
        **chosen.journal_keywords(),
    )  # fmt: skip
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    state = await run_in_threadpool(reports.logging_state, journal)
    context = {
        "session": session,
        "filter": chosen,
        "entries": found,
        "older": chosen.query(before=found[-1].id) if more and found else None,
        "paged": before is not None,
        "state": state,
        "now": site.wall_clock(),
        "pause_choices": PAUSE_CHOICES,
    }
    return site.pages.render(request, "list.html", context)


async def entry_page(site: Site, request: Request, session: Session) -> Response:
    entry = await run_in_threadpool(site.journal.get, request.path_params["entry_id"])
    if entry is None:
        return site.pages.render(request, "error.html",
                                 {"message": "No such interaction (it may have been deleted).",
                                  "session": session}, status=404)  # fmt: skip
    return site.pages.render(request, "entry.html", {"session": session, "entry": entry})


async def audio_file(site: Site, request: Request, session: Session) -> Response:
    """Kept audio, found by entry id only: the path comes from the journal, never the request."""
    entry = await run_in_threadpool(site.journal.get, request.path_params["entry_id"])
    path = Path(entry.audio_path) if entry is not None and entry.audio_path else None
    audio_dir = Path(site.journal.data_dir, "audio").resolve()
    if path is None or not path.is_file() or path.resolve().parent != audio_dir:
        return Response("No kept audio for this interaction.", status_code=404)
    return FileResponse(path, media_type="audio/wav")


async def privacy_page(site: Site, request: Request, session: Session) -> Response:
    journal = site.journal
    now = site.wall_clock()
    summary = await run_in_threadpool(reports.summary, journal)
    per_day = await run_in_threadpool(journal.per_day, now - (chart.DAYS + 1) * 86400)
    context = {
        "session": session,
        "summary": summary,
        "state": summary,
        "now": now,
        "chart": chart.build(per_day, date.fromtimestamp(now)),
        "data_dir": str(journal.data_dir),
        "pause_choices": PAUSE_CHOICES,
    }
    return site.pages.render(request, "privacy.html", context)


# --- changing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a deletion covers, as carried by the confirmation form."""

    kind: str
    """'ids', 'filter' or 'all'."""
    ids: tuple[int, ...] = ()
    filter: Filter = Filter()
    up_to_id: int | None = None
    """Rows that arrived after the owner was shown the count are not deleted."""


def _scope(form: FormData) -> Scope:
    kind = _text(form.get("scope"))
    up_to = _optional_int(_text(form.get("up_to")))
    if kind == "ids":
        chosen = (_id(v) for v in map(_text, form.getlist("id")))
        ids = tuple(sorted({i for i in chosen if i is not None}))
        if not ids:
            raise BadFilter("Nothing was selected.")
        return Scope("ids", ids=ids)
    if kind == "filter":
        return Scope("filter", filter=Filter.from_params(form), up_to_id=up_to)
    if kind == "all":
        return Scope("all", up_to_id=up_to)
    raise BadFilter("Unknown kind of deletion.")


def _count(journal: Any, scope: Scope) -> int:
    if scope.kind == "ids":
        return journal.count(Selection(ids=scope.ids))
    chosen = scope.filter if scope.kind == "filter" else Filter()
    return journal.count(chosen.selection(scope.up_to_id), **chosen.journal_keywords())


def _delete(journal: Any, scope: Scope) -> Any:
    if scope.kind == "ids":
        return journal.delete(Selection(ids=scope.ids))
    chosen = scope.filter if scope.kind == "filter" else Filter()
    selection = chosen.selection(scope.up_to_id)
    if chosen.needs_ids_to_delete:
        found = journal.page(selection, limit=None, **chosen.journal_keywords())
        selection = Selection(ids=tuple(e.id for e in found))
    return journal.delete(selection)


async def delete_confirm(site: Site, request: Request, session: Session) -> Response:
    scope = _scope(request.state.form)
    if scope.kind != "ids":
        newest = await run_in_threadpool(site.journal.newest_id)
        scope = Scope(scope.kind, filter=scope.filter, up_to_id=newest)
    count = await run_in_threadpool(_count, site.journal, scope)
    context = {"session": session, "scope": scope, "count": count}
    return site.pages.render(request, "confirm.html", context)


async def delete_now(site: Site, request: Request, session: Session) -> Response:
    scope = _scope(request.state.form)
    deletion = await run_in_threadpool(_delete, site.journal, scope)
    verification, problem = None, None
    try:
        verification = await run_in_threadpool(site.journal.verify)
    except AssistantError as e:
        problem = str(e)
    result = reports.erasure(deletion, verification, problem)
    status = 200 if result.complete else 500
    return site.pages.render(request, "deleted.html", {"session": session, "result": result},
                             status=status)  # fmt: skip


async def pause(site: Site, request: Request, session: Session) -> Response:
    seconds = PAUSE_CHOICES.get(_text(request.state.form.get("duration")))
    if seconds is None:
        raise BadFilter("Choose how long to pause.")
    await run_in_threadpool(site.journal.pause, seconds)
    return RedirectResponse(_back(request), status_code=303)


async def resume(site: Site, request: Request, session: Session) -> Response:
    await run_in_threadpool(site.journal.resume)
    return RedirectResponse(_back(request), status_code=303)


async def verify(site: Site, request: Request, session: Session) -> Response:
    await run_in_threadpool(site.journal.verify)
    return RedirectResponse("/privacy", status_code=303)


# --- small helpers -------------------------------------------------------------------------


def _back(request: Request) -> str:
    """Where a pause/resume form came from (only our own two pages)."""
    return "/privacy" if _text(request.state.form.get("back")) == "privacy" else "/"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(text: str) -> int | None:
    """A row id from a form or a query: ASCII digits that fit SQLite's integer, else None."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    return int(text)


def _optional_int(text: str | None) -> int | None:
    if not text:
        return None
    number = _id(text)
    if number is None:
        raise BadFilter(f"{text[:20]!r} is not an interaction number")
    return number


async def _not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: a bare answer that says nothing about the journal."""
    return Response("Not found.", status_code=404, media_type="text/plain")
