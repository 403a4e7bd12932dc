"""Bulk jobs: start, page through a target resumably, admit and record objects.

:class:`~worker.services.jobs.service.JobService` over the ``JobStore`` port; listing one page
(never the whole key list at once) in :mod:`worker.services.jobs.listing`.
"""
