"""omnicontact: one unified, explainable view of each contact across every channel.

The public names are re-exported here; see ``docs/`` for the guide.
"""

from omnicontact._version import __version__
from omnicontact.errors import (
    AmbiguousIdentifierError,
    ConfigurationError,
    ConflictError,
    ContactNotFoundError,
    FutureTimestampWarning,
    InvalidIdentifierError,
    InvalidTimestampError,
    InvalidTouchpointError,
    OmnicontactError,
    OmnicontactWarning,
    PluginError,
    PluginRegistrationError,
    TouchpointNotFoundError,
    UnknownIdentifierKindError,
)
from omnicontact.hookspecs import hookimpl
from omnicontact.hub import Hub, HubStats, Receipt
from omnicontact.ingest import IngestReport, Rejection
from omnicontact.model import Contact, Identifier, Touchpoint
from omnicontact.normalize.kinds import IdentifierKind, NormalizeContext, Strength

__all__ = [
    "AmbiguousIdentifierError",
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "ContactNotFoundError",
    "FutureTimestampWarning",
    "Hub",
    "HubStats",
    "Identifier",
    "IdentifierKind",
    "IngestReport",
    "InvalidIdentifierError",
    "InvalidTimestampError",
    "InvalidTouchpointError",
    "NormalizeContext",
    "OmnicontactError",
    "OmnicontactWarning",
    "PluginError",
    "PluginRegistrationError",
    "Receipt",
    "Rejection",
    "Strength",
    "Touchpoint",
    "TouchpointNotFoundError",
    "UnknownIdentifierKindError",
    "__version__",
    "hookimpl",
]
