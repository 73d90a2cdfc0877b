"""The web dashboard: a page for forecasters at ``/``, drawn in the browser from the ``/v1`` API.

``DashboardController`` serves the page and the read helpers it needs (the breakthrough
threshold on the ECI scale, ``/v1/dashboard/threshold``; the model structures and each
scenario's effect under each, ``/v1/dashboard/structures``); ``static_files_router`` serves the
page's script and style sheet from ``service/dashboard/static`` (hand-written, no third-party
code, nothing fetched from elsewhere at run time).
"""

from __future__ import annotations

from service.dashboard.controller import (
    DASHBOARD_TAG,
    STATIC_PATH,
    DashboardController,
    static_files_router,
)

__all__ = ["DASHBOARD_TAG", "STATIC_PATH", "DashboardController", "static_files_router"]
