"""One server process for everything a browser or a client talks to: `paracite serve`.

FastAPI carries the HTTP API (`/api/...`, `/v1/...`, OpenAPI docs at `/docs`), the widget
script (`/widget.js`), and the Gradio chat UI mounted at `/`. They share one `Workspace`, so
an upload in the UI is answerable through the API at once.

Cross-origin browser calls go through `origin_policy`, which knows the widget sites; Starlette's
CORSMiddleware is not used because the allowed origins depend on the site key a request names.
"""

from __future__ import annotations

import logging
import math
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect

from vectorstore.errors import InputError, ParaciteError

from .api import ApiError, admin_check, build_router, domain_error_response, error_response
from .settings import LOOPBACK_HOSTS, url_host
from .sites import RateLimits, Site, load_sites, normalise_origin
from .workspace import MAX_UPLOAD_BYTES, Workspace

log = logging.getLogger(__name__)

SITE_HEADER = "x-paracite-site"
CORS_PATHS = ("/api/", "/v1/")


class SitesFile:
    """The sites TOML, read again when it changes, so `paracite sites add` needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, int] | None = None
        self._sites: dict[str, Site] = {}

    def sites(self) -> dict[str, Site]:
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._seen = seen
            try:
                self._sites = load_sites(self.path) if seen else {}
            except InputError as exc:  # a bad edit while serving: the last good sites stay in force
                log.error("%s; keeping the sites read before", exc)
        return self._sites


def static_file(name: str) -> bytes:
    return resources.files("assistant").joinpath("static", name).read_bytes()


def create_app(workspace: Workspace | None = None, *, ui: bool | None = None) -> FastAPI:
    workspace = workspace or Workspace()
    settings = workspace.settings
    sites_file = SitesFile(settings.sites_path)
    sites_file.sites()  # a broken sites file stops the server at start, not at the first request
    budgets = RateLimits(settings.rate_limit_ip, settings.rate_limit_site, settings.redis_url)

    app = FastAPI(
        title="Paracite",
        description="Answers questions about documents and cites the numbered paragraph for every statement.",
        version="0.1.0",
    )

    # The order of these steps is the server's: each middleware wraps those added before it,
    # and routes match in the order they are added (the UI, mounted at "/", last).
    if settings.local_only:
        # A server for this machine alone answers only to its own names: a page on another site
        # whose name was re-pointed at 127.0.0.1 or ::1 (DNS rebinding) would otherwise pass as
        # same-origin. Starlette compares the Host header's host, brackets and all: "[::1]".
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=sorted(map(url_host, LOOPBACK_HOSTS)))
    _add_error_handlers(app)
    _add_origin_policy(app, sites_file, admin_check(settings.admin_key.get_secret_value()))
    api = build_router(workspace, _budget_guard(budgets))
    app.include_router(api)
    _add_widget_routes(app)
    _add_api_fallback(app, api)
    if settings.serve_ui if ui is None else ui:
        _mount_ui(app, workspace, budgets)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(ParaciteError)
    async def domain_error(request: Request, exc: ParaciteError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # Nobody is there to read an answer, and nothing on the server went wrong: a client that
        # hangs up mid-upload is not worth a traceback (250 of them wrote 33,000 lines).
        log.info("%s %s: the client went away before sending its whole request", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on the server; its log has the details")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))


def _add_origin_policy(app: FastAPI, sites_file: SitesFile, check_admin) -> None:
    @app.middleware("http")
    async def origin_policy(request: Request, call_next):
        path = request.url.path
        origin = request.headers.get("origin")
        if not path.startswith(CORS_PATHS):
            # The UI's own routes (Gradio's API and queue among them) are for its own page:
            # Gradio would answer any origin with CORS headers on a public host.
            if origin and path != "/widget.js" and not _same_origin(origin, request):
                return error_response(403, "origin_not_allowed", "this page is not served to other sites")
            return await call_next(request)
        cors: dict[str, str] = {}
        try:
            sites = sites_file.sites()
            key = request.headers.get(SITE_HEADER)
            site = sites.get(key) if key else None
            same_origin = not origin or _same_origin(origin, request)
            if not same_origin:
                origin = normalise_origin(origin)
                listed = any(s.allows(origin) for s in sites.values())
                # a listed origin may read why it was refused (a mistyped key, a spent budget)
                cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if listed else {}
            if key and site is None:
                raise ApiError(403, "unknown_site", f"no site has the key {key!r}", cors)
            if path.startswith("/api/admin") and request.method != "OPTIONS":
                check_admin(request.headers.get("authorization"))  # before an upload is read, not after
            if same_origin:
                request.state.site = site
                return await call_next(request)
            if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
                if not listed or path.startswith("/api/admin"):
                    raise ApiError(403, "origin_not_allowed", f"{origin} is not an origin of any site")
                return Response(status_code=204, headers=cors | {
                    "Vary": "Origin, Access-Control-Request-Headers",
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": _allowed_headers(request),
                    "Access-Control-Max-Age": "600",
                })
            if path.startswith("/api/admin"):
                raise ApiError(403, "origin_not_allowed", "the admin API cannot be called from a web page")
            if site is None:
                raise ApiError(403, "site_key_required",
                               f"a request from {origin} must name its site in the {SITE_HEADER} header", cors)
            if not site.allows(origin):
                raise ApiError(403, "origin_not_allowed", f"{origin} is not an origin of the site {site.key!r}", cors)
            request.state.site = site
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.headers)
        except InputError as exc:  # an Origin header that is not an origin
            return error_response(400, "invalid_origin", str(exc))
        response = await call_next(request)
        response.headers.update(cors | {"Access-Control-Expose-Headers": "Retry-After"})
        return response


def _budget_guard(budgets: RateLimits):
    async def guard(request: Request) -> None:
        """An answer costs real work: each client IP and each site has a budget."""
        ip = request.client.host if request.client else "unknown"
        wait = budgets.hit(ip, getattr(request.state, "site", None))
        if wait is not None:
            seconds = math.ceil(wait)
            raise ApiError(429, "rate_limited", f"too many questions; try again in {seconds} s",
                           {"Retry-After": str(seconds)})

    return guard


def _add_widget_routes(app: FastAPI) -> None:
    # HEAD as well: link checkers and CDNs ask with it before they fetch.
    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget() -> Response:
        return Response(static_file("widget.js"), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

    @app.api_route("/widget-demo", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_demo() -> HTMLResponse:
        return HTMLResponse(static_file("widget-demo.html").decode("utf-8"))


def _add_api_fallback(app: FastAPI, api: APIRouter) -> None:
    # Below /api and /v1 nothing falls through to the UI mounted at "/": an unknown endpoint or
    # method gets this API's own error body, not the UI's {"detail": ...}.
    @app.api_route("/api/{rest:path}", methods=_METHODS, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=_METHODS, include_in_schema=False)
    def no_such_endpoint(request: Request, rest: str) -> None:
        from starlette.routing import Match

        allowed = sorted({m for r in api.routes if r.matches(request.scope)[0] == Match.PARTIAL
                          for m in getattr(r, "methods", None) or ()})
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{request.url.path} takes {', '.join(allowed)}, "
                           f"not {request.method}", {"Allow": ", ".join(allowed)})
        raise ApiError(404, "not_found", f"no endpoint {request.url.path}; the API is described at /docs")


def _mount_ui(app: FastAPI, workspace: Workspace, budgets: RateLimits) -> None:
    import gradio as gr

    from . import ui as chat_ui

    settings = workspace.settings
    blocks = chat_ui.build_ui(workspace, budget=lambda ip: budgets.hit(ip, None))
    language_script = chat_ui.LANGUAGE_SCRIPT.encode()

    @app.middleware("http")
    async def page_language(request: Request, call_next):
        """The page's language script goes first in its <head>: Gradio's `head` is added only
        after Gradio has read the browser's language (see ui.labels.LANGUAGE_SCRIPT)."""
        response = await call_next(request)
        if request.url.path != "/" or request.method != "GET" or response.status_code != 200 \
                or not response.headers.get("content-type", "").startswith("text/html"):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body.replace(b"<head>", b"<head>" + language_script, 1), response.status_code, headers)

    gr.mount_gradio_app(
        app, blocks, path="/", server_name=settings.host, server_port=settings.port,
        css=chat_ui.CSS, theme=chat_ui.THEME, i18n=chat_ui.I18N, head=chat_ui.head(),
        footer_links=[], ssr_mode=False, max_file_size=f"{MAX_UPLOAD_BYTES // (1024 * 1024)}mb",
    )


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]  # preflights are answered before routing
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _allowed_headers(request: Request) -> str:
    """The headers a listed origin's page may send: ours, plus whatever its client asks for.

    An OpenAI SDK in the page sends Authorization and its own x-stainless-* headers. None of
    them grants anything here: the site key and the origin decide, and the admin API (the only
    reader of Authorization) never answers a page.
    """
    asked = request.headers.get("access-control-request-headers", "")
    names = [h.strip() for h in asked.split(",") if _HEADER_NAME.match(h.strip())][:32]
    return ", ".join(dict.fromkeys(["Content-Type", SITE_HEADER, *names]))


def _same_origin(origin: str, request: Request) -> bool:
    host = request.headers.get("host", "")
    parts = urlsplit(origin)
    return bool(host) and parts.netloc.lower() == host.lower()
