"""Journey analytics: timelines, funnels, retention, paths, attribution, KPIs and the report.

Pure functions over a hub or an iterable of contacts, as of a date. See
``docs/analytics.md``.
"""

from omnicontact.analytics.attribution import ATTRIBUTION_MODELS, attribute, attribution
from omnicontact.analytics.base import Table, check_as_of, contacts_of, ratio, timeline_as_of
from omnicontact.analytics.funnels import MODES, Funnel, funnel, percentile, retention
from omnicontact.analytics.journeys import VALUE_PROPERTIES, Journey, journeys
from omnicontact.analytics.kpis import (
    NPS_ACTIONS,
    cross_channel_cases,
    cross_channel_contacts,
    kpis,
    nps,
    recognition_rate,
    stage_conversion,
    time_in_stage,
)
from omnicontact.analytics.markov import MarkovChain, markov_chain
from omnicontact.analytics.paths import paths, transitions
from omnicontact.analytics.report import Report, build_report, render_html, render_text
from omnicontact.analytics.stages import stage_counts, stage_flows
from omnicontact.analytics.timeline import timeline

__all__ = [
    "ATTRIBUTION_MODELS",
    "Funnel",
    "Journey",
    "MODES",
    "MarkovChain",
    "NPS_ACTIONS",
    "Report",
    "Table",
    "VALUE_PROPERTIES",
    "attribute",
    "attribution",
    "build_report",
    "check_as_of",
    "contacts_of",
    "cross_channel_cases",
    "cross_channel_contacts",
    "funnel",
    "journeys",
    "kpis",
    "markov_chain",
    "nps",
    "paths",
    "percentile",
    "ratio",
    "recognition_rate",
    "render_html",
    "render_text",
    "retention",
    "stage_conversion",
    "stage_counts",
    "stage_flows",
    "time_in_stage",
    "timeline",
    "timeline_as_of",
    "transitions",
]
