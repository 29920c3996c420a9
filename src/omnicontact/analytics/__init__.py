"""Journey analytics: funnels, paths, attribution, KPIs and the report.

Pure functions over a hub or an iterable of contacts, as of a date. See
``docs/analytics.md``.
"""

from omnicontact.analytics.base import Table, check_as_of, contacts_of, ratio, timeline_as_of

__all__ = ["Table", "check_as_of", "contacts_of", "ratio", "timeline_as_of"]
