"""The task names Celery routes on, and the modules that define the tasks.

The names are the strings in queued messages, routes, beat schedules and other services'
``send_task`` calls: they never change when code moves. :mod:`worker.tasks.app` routes by
them and lists the modules by name (Celery imports them in the worker), so the app module
imports no task module.
"""

from __future__ import annotations

ENRICH = "s3e.enrich"
OBJECT_REMOVED = "s3e.object_removed"
LIST_PAGE = "s3e.list_page"
RESUME = "s3e.resume"
WATCH_JOBS = "s3e.watch_jobs"
START_SCHEDULED = "s3e.start_scheduled"
ATLAN_FLUSH = "s3e.atlan_flush"
COMPLIANCE_REPORT = "s3e.compliance_report"

#: The modules whose import defines the tasks (Celery's ``include``).
TASK_MODULES = (
    "worker.tasks.enrich",
    "worker.tasks.jobs",
    "worker.tasks.atlan",
    "worker.tasks.compliance",
)
