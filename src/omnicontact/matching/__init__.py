"""Identity resolution: the identity graph that stitches touchpoints into contacts."""

from omnicontact.matching.graph import Change, IdentityGraph, contact_id_for

__all__ = ["Change", "IdentityGraph", "contact_id_for"]
