"""HTML pages: Jinja templates and static assets served by the service."""
