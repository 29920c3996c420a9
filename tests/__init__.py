"""The omnicontact test suite."""
