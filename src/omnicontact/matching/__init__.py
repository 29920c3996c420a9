"""Identity resolution: rules, guards, the definition of contacts and its incremental engine."""

from omnicontact.matching.changes import Change
from omnicontact.matching.cluster import contact_id_for
from omnicontact.matching.resolver import Resolver

__all__ = ["Change", "Resolver", "contact_id_for"]
