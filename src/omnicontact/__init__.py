"""omnicontact: one unified, explainable view of each contact across every channel.

The public names are re-exported here; see ``docs/`` for the guide.
"""

from omnicontact._version import __version__
from omnicontact.adapters import AdapterRegistry, ChannelAdapter
from omnicontact.cases import Case
from omnicontact.errors import (
    AmbiguousIdentifierError,
    AnalyticsError,
    ConfigurationError,
    ConflictError,
    ContactNotFoundError,
    FutureTimestampWarning,
    InvalidDecisionError,
    InvalidIdentifierError,
    InvalidTimestampError,
    InvalidTouchpointError,
    OmnicontactError,
    OmnicontactWarning,
    PluginError,
    PluginRegistrationError,
    SchemaVersionError,
    StoreError,
    SuppressedError,
    TouchpointNotFoundError,
    UnknownIdentifierKindError,
)
from omnicontact.hookspecs import hookimpl
from omnicontact.hub import Hub, HubStats, Receipt
from omnicontact.ingest import IngestReport, Rejection
from omnicontact.lifecycle import (
    Stage,
    StageChange,
    StageHistory,
    StageModel,
    StageModelError,
)
from omnicontact.lifecycle.engine import Lifecycle
from omnicontact.limits import PayloadLimits
from omnicontact.matching.audit import AuditEntry
from omnicontact.matching.builtin import SharedIdentifierRule
from omnicontact.matching.changes import Change
from omnicontact.matching.config import MatchingConfig, SurvivorshipPolicy
from omnicontact.matching.decisions import ReviewItem
from omnicontact.matching.explain import Explanation
from omnicontact.matching.guards import (
    CardinalityGuard,
    ClusterView,
    MergeGuard,
    PlaceholderGuard,
    SizeGuard,
)
from omnicontact.matching.person import PersonRule
from omnicontact.matching.rules import Evidence, EvidencePart, MatchingRule, Record
from omnicontact.model import Contact, Identifier, Touchpoint
from omnicontact.normalize.kinds import IdentifierKind, NormalizeContext, Strength
from omnicontact.persistence import StoreCheck
from omnicontact.scoring import Contribution, Score, ScoringStrategy, Subject
from omnicontact.store import Decision, MemoryStore, SQLiteStore, Store

__all__ = [
    "AdapterRegistry",
    "AmbiguousIdentifierError",
    "AnalyticsError",
    "AuditEntry",
    "CardinalityGuard",
    "Case",
    "Change",
    "ChannelAdapter",
    "ClusterView",
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "ContactNotFoundError",
    "Contribution",
    "Decision",
    "Evidence",
    "EvidencePart",
    "Explanation",
    "FutureTimestampWarning",
    "Hub",
    "HubStats",
    "Identifier",
    "IdentifierKind",
    "IngestReport",
    "InvalidDecisionError",
    "InvalidIdentifierError",
    "InvalidTimestampError",
    "InvalidTouchpointError",
    "Lifecycle",
    "MatchingConfig",
    "MatchingRule",
    "MemoryStore",
    "MergeGuard",
    "NormalizeContext",
    "OmnicontactError",
    "OmnicontactWarning",
    "PayloadLimits",
    "PersonRule",
    "PlaceholderGuard",
    "PluginError",
    "PluginRegistrationError",
    "Receipt",
    "Record",
    "Rejection",
    "ReviewItem",
    "SQLiteStore",
    "SchemaVersionError",
    "Score",
    "ScoringStrategy",
    "SharedIdentifierRule",
    "SizeGuard",
    "Stage",
    "StageChange",
    "StageHistory",
    "StageModel",
    "StageModelError",
    "Store",
    "StoreCheck",
    "StoreError",
    "SuppressedError",
    "Strength",
    "Subject",
    "SurvivorshipPolicy",
    "Touchpoint",
    "TouchpointNotFoundError",
    "UnknownIdentifierKindError",
    "hookimpl",
    "__version__",
]
