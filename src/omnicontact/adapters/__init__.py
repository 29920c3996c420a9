"""Channel adapters: what turns one channel's raw payloads into touchpoints."""

from omnicontact.adapters.base import AdapterRegistry, ChannelAdapter
from omnicontact.adapters.json_form import JsonFormAdapter

__all__ = ["AdapterRegistry", "ChannelAdapter", "JsonFormAdapter"]
