"""The API's documentation pages, from the vendored Swagger UI and ReDoc, with no inline script.

FastAPI's own Swagger UI page starts the viewer from an inline ``<script>``, which the pages'
Content-Security-Policy forbids; here a static file (``static/swagger-init.js``) starts it and
reads the OpenAPI address from a data attribute. ReDoc's page has no inline script.
"""

from __future__ import annotations

from html import escape

from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

VENDOR = "/static/vendor"
FAVICON = "/static/favicon.svg"


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="{FAVICON}" type="image/svg+xml">
<link rel="stylesheet" href="{VENDOR}/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{VENDOR}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""
    )


def redoc_page(openapi_url: str, title: str) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=openapi_url,
        title=title,
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )
