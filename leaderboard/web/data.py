"""The Data page of a track (``/data/{track}``): what a participant may download, and the submission format."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from leaderboard.api.deps import CtxDep


def add_routes(router: APIRouter, templates: Jinja2Templates) -> None:
    """Mount the page on ``router``, rendered with the site's ``templates`` (pages.py calls this)."""

    @router.get("/data/{track}", response_class=HTMLResponse)
    def data_page(request: Request, track: str, ctx: CtxDep) -> HTMLResponse:
        spec = ctx.challenge.track(track)
        data = ctx.downloads.listing(track)
        server = str(request.base_url).rstrip("/")
        context = {"spec": ctx.challenge.spec, "track": spec, "data": data, "server": server}
        return templates.TemplateResponse(request, "data.html", context)
