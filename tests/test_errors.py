"""The exception and warning tree: every leaf is an OmnicontactError and its builtin."""

from __future__ import annotations

import pytest

import omnicontact as oc
from omnicontact import errors

# What each error subclasses, from errors.py and the table of docs/normalization.md.
BASES: dict[str, tuple[type[BaseException], ...]] = {
    "ConfigurationError": (ValueError,),
    "AnalyticsError": (ValueError,),
    "SuppressedError": (ValueError,),
    "InvalidTouchpointError": (ValueError,),
    "InvalidTimestampError": (errors.InvalidTouchpointError, ValueError),
    "InvalidIdentifierError": (errors.InvalidTouchpointError, ValueError),
    "UnknownIdentifierKindError": (errors.InvalidIdentifierError, ValueError, LookupError),
    "ConflictError": (ValueError,),
    "InvalidDecisionError": (ValueError,),
    "ContactNotFoundError": (LookupError,),
    "AmbiguousIdentifierError": (LookupError,),
    "TouchpointNotFoundError": (LookupError,),
    "PluginError": (RuntimeError,),
    "PluginRegistrationError": (errors.PluginError, RuntimeError, TypeError),
    "StoreError": (RuntimeError,),
    "SchemaVersionError": (errors.StoreError, RuntimeError),
}
WARNINGS = {"OmnicontactWarning": (UserWarning,), "FutureTimestampWarning": (UserWarning,)}


def _instance(name: str) -> BaseException:
    """Build an instance of error *name* with plausible arguments."""
    cls = getattr(errors, name)
    if name == "InvalidIdentifierError":
        return cls("email", "is not valid")
    if name == "UnknownIdentifierKindError":
        return cls("passport")
    if issubclass(cls, errors.InvalidTouchpointError):
        return cls("occurred_at", "is required")
    if issubclass(cls, errors.PluginError):
        return cls("acme", "register_identifier_kinds", "failed")
    return cls("message")


class TestTree:
    """Each leaf is an OmnicontactError and the builtin it resembles."""

    def test_every_exported_name_classified(self) -> None:
        """Every name in errors.__all__ is an error or warning listed here, and re-exported."""
        assert set(errors.__all__) == set(BASES) | set(WARNINGS) | {"OmnicontactError"}
        for name in errors.__all__:
            assert getattr(oc, name) is getattr(errors, name)
            assert name in oc.__all__

    @pytest.mark.parametrize("name", sorted(BASES))
    def test_error_bases(self, name: str) -> None:
        """The error is an OmnicontactError, an Exception, and each builtin it resembles."""
        cls = getattr(errors, name)
        assert issubclass(cls, errors.OmnicontactError)
        for base in BASES[name]:
            assert issubclass(cls, base)

    @pytest.mark.parametrize("name", sorted(BASES))
    def test_caught_as_builtin(self, name: str) -> None:
        """Code that only knows the builtin catches the error."""
        error = _instance(name)
        for base in BASES[name]:
            with pytest.raises(base):
                raise error
        with pytest.raises(errors.OmnicontactError):
            raise error

    def test_root(self) -> None:
        """OmnicontactError is an Exception and no builtin category."""
        assert issubclass(errors.OmnicontactError, Exception)
        for builtin in (ValueError, LookupError, RuntimeError, TypeError):
            assert not issubclass(errors.OmnicontactError, builtin)

    @pytest.mark.parametrize("name", sorted(WARNINGS))
    def test_warnings(self, name: str) -> None:
        """Warnings are OmnicontactWarning/UserWarning, never OmnicontactError."""
        cls = getattr(errors, name)
        assert issubclass(cls, errors.OmnicontactWarning)
        assert issubclass(cls, UserWarning)
        assert not issubclass(cls, errors.OmnicontactError)


class TestMessages:
    """Messages read 'field: rule'; the parts are attributes."""

    def test_invalid_touchpoint(self) -> None:
        """field and rule are kept and make the message."""
        err = errors.InvalidTouchpointError("traits.country", "must be an ISO code")
        assert (err.field, err.rule) == ("traits.country", "must be an ISO code")
        assert str(err) == "traits.country: must be an ISO code"

    def test_invalid_timestamp_is_a_touchpoint_error(self) -> None:
        """InvalidTimestampError has the same field and rule."""
        err = errors.InvalidTimestampError("received_at", "is not ISO 8601")
        assert err.field == "received_at"
        assert str(err) == "received_at: is not ISO 8601"

    def test_invalid_identifier_default_field(self) -> None:
        """An identifier error's field is identifiers.<kind> unless given."""
        err = errors.InvalidIdentifierError("phone", "too short")
        assert (err.kind, err.field, err.rule) == ("phone", "identifiers.phone", "too short")
        assert str(err) == "identifiers.phone: too short"
        other = errors.InvalidIdentifierError("phone", "too short", field="identifiers")
        assert other.field == "identifiers"
        assert other.kind == "phone"

    def test_unknown_kind(self) -> None:
        """UnknownIdentifierKindError names the kind and says it is not registered."""
        err = errors.UnknownIdentifierKindError("passport")
        assert err.kind == "passport"
        assert err.field == "identifiers.passport"
        assert "registered" in err.rule

    def test_plugin_error(self) -> None:
        """PluginError keeps plug-in and hook and names both in the message."""
        err = errors.PluginRegistrationError("acme", "register_identifier_kinds", "bad shape")
        assert (err.plugin, err.hook) == ("acme", "register_identifier_kinds")
        assert "acme" in str(err)
        assert "register_identifier_kinds" in str(err)
        assert "bad shape" in str(err)

    @pytest.mark.parametrize("name", sorted(BASES))
    def test_instances_have_messages(self, name: str) -> None:
        """Every error renders a non-empty message."""
        assert str(_instance(name))
