"""The HTTP face of the forecasting library: a Litestar app over the run store.

``service.app.create_app()`` builds the app and ``service.app.serve()`` runs it under uvicorn.
The service reads stored runs and never fits inside a request: refits run in a separate,
long-lived worker process (``service.worker``) fed from a queue, with job state in SQLite
(``service.jobs``).

Layout: each HTTP area is a folder under ``service.domains`` (questions, exports, runs,
observations, refits, reports, system) with its controller, schemas and parameters; the
app-wide pieces sit here (app, config, openapi, problems, auth, etag, responses, params, live,
logs, runtime, worker, jobs, scheduler); ``service.dashboard`` serves the page at ``/``.
"""

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> object:
    """Import ``create_app`` and ``serve`` lazily, so ``import service`` stays cheap."""
    if name in __all__:
        from service import app

        return getattr(app, name)
    raise AttributeError(name)
