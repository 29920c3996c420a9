"""Hypothesis strategies: identifiers, touchpoints and streams with collisions.

Pools are small on purpose so that random streams share identifiers, which is
what exercises merging, shared devices and conflicts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

import omnicontact as oc

START = datetime(2026, 1, 1, tzinfo=timezone.utc)

EMAIL_POOL = [f"user{i}@example.com" for i in range(6)]
PHONE_POOL = [f"+33 6 12 34 56 7{i}" for i in range(5)]
CUSTOMER_POOL = [f"C-{i}" for i in range(4)]
COOKIE_POOL = [f"ck-{i}" for i in range(6)]
DEVICE_POOL = [f"dv-{i}" for i in range(4)]

CHANNELS = ["web", "app", "store", "call_centre", "email", "social"]
ACTIONS = ["page_view", "signup", "purchase", "call", "email_open", "complaint"]


def pooled_identifiers() -> st.SearchStrategy[list[oc.Identifier]]:
    """0 to 4 identifiers drawn from small pools of strong and weak values."""
    one = st.one_of(
        st.sampled_from(EMAIL_POOL).map(lambda v: oc.Identifier("email", v)),
        st.sampled_from(PHONE_POOL).map(lambda v: oc.Identifier("phone", v)),
        st.sampled_from(CUSTOMER_POOL).map(lambda v: oc.Identifier("customer_id", v)),
        st.sampled_from(COOKIE_POOL).map(lambda v: oc.Identifier("cookie_id", v)),
        st.sampled_from(DEVICE_POOL).map(lambda v: oc.Identifier("device_id", v)),
    )
    return st.lists(one, min_size=0, max_size=4)


@st.composite
def touchpoint_streams(draw: st.DrawFn, max_size: int = 25) -> list[oc.Touchpoint]:
    """A list of touchpoints with unique ids and colliding identifiers."""
    size = draw(st.integers(min_value=1, max_value=max_size))
    out = []
    for i in range(size):
        out.append(
            oc.Touchpoint(
                id=f"tp-{i:03d}",
                occurred_at=START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30))),
                channel=draw(st.sampled_from(CHANNELS)),
                action=draw(st.sampled_from(ACTIONS)),
                identifiers=draw(pooled_identifiers()),
                traits=draw(
                    st.dictionaries(
                        st.sampled_from(["first_name", "city", "plan"]),
                        st.sampled_from(["Ann", "Lyon", "gold", "Zoë"]),
                        max_size=2,
                    )
                ),
            )
        )
    return out
