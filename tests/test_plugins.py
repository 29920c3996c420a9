"""The plug-in system: built-ins through the hooks, entry points, isolation, errors."""

from __future__ import annotations

import importlib.metadata
import types
from datetime import datetime, timezone
from typing import Any

import pytest

import omnicontact as oc
from omnicontact import hookspecs
from omnicontact.plugins import BUILTIN_PLUGINS, DISABLE_AUTOLOAD_ENV, Plugins

from .conftest import make_hub

# The hub behaves the same on every store: each test runs on each.
pytestmark = pytest.mark.usefixtures("each_store")


def _upper_kind(name: str = "member_no", strength: oc.Strength = oc.Strength.STRONG) -> Any:
    def normalize(value: str, context: oc.NormalizeContext) -> str:
        text = value.strip().upper()
        if not text.isalnum():
            raise oc.InvalidIdentifierError(name, "must be letters and digits")
        return text

    return oc.IdentifierKind(name, strength, normalize, "test kind")


class KindPlugin:
    """A plug-in object contributing one identifier kind."""

    def __init__(self, *kinds: oc.IdentifierKind) -> None:
        self.kinds = list(kinds)

    @oc.hookimpl
    def register_identifier_kinds(self) -> list[oc.IdentifierKind]:
        return self.kinds


class _FakeDist:
    def __init__(self, name: str, version: str) -> None:
        self.metadata = {"Name": name}
        self.version = version


class _FakeEntryPoint:
    def __init__(self, name: str, plugin: object, *, fail: bool = False) -> None:
        self.name = name
        self.group = "omnicontact"
        self.dist = _FakeDist(f"omnicontact-{name}", "1.2.3")
        self._plugin = plugin
        self._fail = fail

    def load(self) -> object:
        if self._fail:
            raise ImportError("cannot import")
        return self._plugin


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> list[_FakeEntryPoint]:
    """Installed plug-ins, faked: append _FakeEntryPoint objects to the yielded list."""
    installed: list[_FakeEntryPoint] = []

    def fake(*, group: str) -> list[_FakeEntryPoint]:
        assert group == "omnicontact"
        return list(installed)

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    return installed


class TestBuiltins:
    def test_builtin_kinds_come_from_plugins(self) -> None:
        """Every built-in identifier kind is contributed by a built-in plug-in through the hook."""
        hub = make_hub()
        owners = {name: plugin for name, (_, plugin) in hub.kinds.as_mapping().items()}
        assert owners == {
            "email": "omnicontact.email",
            "email_sha256": "omnicontact.email",
            "phone_sha256": "omnicontact.phone",
            "phone": "omnicontact.phone",
            "customer_id": "omnicontact.ids",
            "loyalty_id": "omnicontact.ids",
            "social": "omnicontact.ids",
            "cookie_id": "omnicontact.ids",
            "anonymous_id": "omnicontact.ids",
            "device_id": "omnicontact.ids",
        }
        assert {info.name for info in hub.plugins.info()} == {n for n, _ in BUILTIN_PLUGINS}

    def test_strengths_follow_the_spec(self) -> None:
        """E-mail, phone, customer and loyalty ids are strong; cookies and devices weak."""
        kinds = make_hub().kinds
        strong = {"email", "phone", "customer_id", "loyalty_id", "social:facebook"}
        weak = {"cookie_id", "device_id", "anonymous_id"}
        assert all(kinds.strength(k) is oc.Strength.STRONG for k in strong)
        assert all(kinds.strength(k) is oc.Strength.WEAK for k in weak)

    def test_a_builtin_can_be_blocked(self) -> None:
        """block_plugins removes a built-in: its kinds become unknown."""
        hub = make_hub(block_plugins=["omnicontact.phone"])
        assert "phone" not in hub.kinds
        with pytest.raises(oc.UnknownIdentifierKindError):
            hub.normalize(oc.Identifier("phone", "+33612345678"))

    def test_each_hub_has_its_own_plugin_manager(self) -> None:
        """A plug-in registered on one hub is not seen by another."""
        first = make_hub(plugins=[KindPlugin(_upper_kind())])
        second = make_hub()
        assert "member_no" in first.kinds
        assert "member_no" not in second.kinds
        assert first.plugins.manager is not second.plugins.manager


class TestThirdPartyKinds:
    def test_new_kind_normalizes_and_stitches(self) -> None:
        """A plug-in kind is used like a built-in one, for storage and lookups."""
        hub = make_hub(plugins=[KindPlugin(_upper_kind())])
        when = datetime(2026, 3, 1, tzinfo=timezone.utc)
        hub.add(oc.Touchpoint("a", when, "store", "visit", [oc.Identifier("member_no", " ab12 ")]))
        hub.add(oc.Touchpoint("b", when, "web", "login", [oc.Identifier("member_no", "AB12")]))
        assert hub.contact(oc.Identifier("member_no", "ab12")).touchpoint_ids == ("a", "b")
        with pytest.raises(oc.InvalidIdentifierError):
            hub.normalize(oc.Identifier("member_no", "a-b"))

    def test_third_party_kind_replaces_the_builtin(self) -> None:
        """A plug-in may replace a built-in kind of the same name."""
        hub = make_hub(plugins=[KindPlugin(_upper_kind("customer_id"))])
        assert hub.normalize(oc.Identifier("customer_id", "abc")).value == "ABC"
        assert hub.kinds.plugin_of("customer_id") not in hub.plugins.builtin_names()

    def test_two_plugins_with_one_kind_name_is_an_error(self) -> None:
        """Two third-party kinds with one name fail at hub creation, naming the plug-in."""
        with pytest.raises(oc.PluginRegistrationError, match="member_no"):
            make_hub(plugins=[KindPlugin(_upper_kind()), KindPlugin(_upper_kind())])

    def test_wrong_contribution_is_a_registration_error(self) -> None:
        """Returning something else than IdentifierKind objects is refused clearly."""

        class Wrong:
            @oc.hookimpl
            def register_identifier_kinds(self) -> list[str]:
                return ["email"]

        with pytest.raises(oc.PluginRegistrationError, match="IdentifierKind"):
            make_hub(plugins=[Wrong()])

    def test_non_list_contribution_is_a_registration_error(self) -> None:
        """A contribution hook must return a list."""

        class Wrong:
            @oc.hookimpl
            def register_identifier_kinds(self) -> object:
                return _upper_kind()

        with pytest.raises(oc.PluginRegistrationError, match="list"):
            make_hub(plugins=[Wrong()])

    def test_plugin_that_raises_is_named(self) -> None:
        """An exception inside a plug-in's hook becomes PluginError naming it."""
        plugin = types.ModuleType("acme_kinds")

        @oc.hookimpl
        def register_identifier_kinds() -> list[oc.IdentifierKind]:
            raise ZeroDivisionError

        plugin.register_identifier_kinds = register_identifier_kinds  # type: ignore[attr-defined]
        with pytest.raises(oc.PluginError, match="acme_kinds") as info:
            make_hub(plugins=[plugin])
        assert info.value.plugin == "acme_kinds"
        assert isinstance(info.value.__cause__, ZeroDivisionError)

    def test_misspelt_hook_fails_loudly(self) -> None:
        """An implementation of a hook that does not exist is refused (check_pending)."""

        class Typo:
            @oc.hookimpl
            def register_identifier_kind(self) -> list[oc.IdentifierKind]:
                return []

        with pytest.raises(oc.PluginRegistrationError):
            make_hub(plugins=[Typo()])

    def test_hook_with_unknown_argument_fails_loudly(self) -> None:
        """An implementation asking for an argument the spec lacks is refused."""

        class Wrong:
            @oc.hookimpl
            def contact_merged(self, contact: object) -> None:
                return None

        with pytest.raises(oc.PluginRegistrationError):
            make_hub(plugins=[Wrong()])

    def test_instances_are_named_after_their_class(self) -> None:
        """Plug-in objects without __name__ get their class's name, numbered when repeated."""
        plugins = Plugins(
            [KindPlugin(_upper_kind()), KindPlugin(_upper_kind("other_no"))],
            load_entry_points=False,
        )
        names = {info.name for info in plugins.info() if not info.builtin}
        assert names == {f"{__name__}.KindPlugin", f"{__name__}.KindPlugin#2"}

    def test_kind_name_is_validated(self) -> None:
        """An identifier kind name must be snake_case."""
        with pytest.raises(oc.ConfigurationError):
            oc.IdentifierKind("Member No", oc.Strength.STRONG, lambda v, c: v)


class TestEntryPoints:
    def test_installed_plugins_are_loaded_with_their_version(
        self, entry_points: list[_FakeEntryPoint]
    ) -> None:
        """Entry points in group 'omnicontact' load, and are listed with their distribution."""
        entry_points.append(_FakeEntryPoint("members", KindPlugin(_upper_kind())))
        hub = oc.Hub()
        assert "member_no" in hub.kinds
        info = {i.name: i for i in hub.plugins.info()}["members"]
        assert (info.distribution, info.version, info.builtin) == (
            "omnicontact-members",
            "1.2.3",
            False,
        )
        assert info.hooks == ("register_identifier_kinds",)

    def test_entry_point_class_is_instantiated_per_hub(
        self, entry_points: list[_FakeEntryPoint]
    ) -> None:
        """An entry point naming a class gives each hub its own instance."""

        class Counting(KindPlugin):
            def __init__(self) -> None:
                super().__init__(_upper_kind())

        entry_points.append(_FakeEntryPoint("counting", Counting))
        first, second = oc.Hub(), oc.Hub()
        a, b = first.plugins.get("counting"), second.plugins.get("counting")
        assert isinstance(a, Counting)
        assert isinstance(b, Counting)
        assert a is not b
        assert "member_no" in first.kinds
        assert first.plugins.get("nope") is None

    def test_autoload_can_be_disabled_by_argument(
        self, entry_points: list[_FakeEntryPoint]
    ) -> None:
        """load_entry_points=False skips installed plug-ins."""
        entry_points.append(_FakeEntryPoint("members", KindPlugin(_upper_kind())))
        assert "member_no" not in oc.Hub(load_entry_points=False).kinds

    def test_autoload_can_be_disabled_by_environment(
        self, entry_points: list[_FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD=1 skips installed plug-ins."""
        entry_points.append(_FakeEntryPoint("members", KindPlugin(_upper_kind())))
        monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "1")
        assert "member_no" not in oc.Hub().kinds
        monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "0")
        assert "member_no" in oc.Hub().kinds

    def test_allow_list_loads_only_named_plugins(self, entry_points: list[_FakeEntryPoint]) -> None:
        """allow_plugins limits which entry points load."""
        entry_points.append(_FakeEntryPoint("members", KindPlugin(_upper_kind())))
        entry_points.append(_FakeEntryPoint("other", KindPlugin(_upper_kind("other_no"))))
        hub = oc.Hub(allow_plugins=["other"])
        assert "other_no" in hub.kinds
        assert "member_no" not in hub.kinds

    def test_a_plugin_outside_the_allow_list_or_blocked_is_never_imported(
        self, entry_points: list[_FakeEntryPoint]
    ) -> None:
        """Plug-in trust: an entry point not allowed (or blocked) is not even loaded.

        Loading these two would raise (their import fails): no error means no import.
        """
        entry_points.append(_FakeEntryPoint("untrusted", None, fail=True))
        entry_points.append(_FakeEntryPoint("other", KindPlugin(_upper_kind("other_no"))))
        assert "other_no" in oc.Hub(allow_plugins=["other"]).kinds
        assert "other_no" in oc.Hub(block_plugins=["untrusted"]).kinds
        with pytest.raises(oc.PluginError, match="untrusted"):
            oc.Hub()

    def test_blocked_entry_point_is_skipped(self, entry_points: list[_FakeEntryPoint]) -> None:
        """block_plugins applies to installed plug-ins too."""
        entry_points.append(_FakeEntryPoint("members", KindPlugin(_upper_kind())))
        assert "member_no" not in oc.Hub(block_plugins=["members"]).kinds

    def test_broken_entry_point_is_named(self, entry_points: list[_FakeEntryPoint]) -> None:
        """An entry point that cannot be imported raises PluginError with its name."""
        entry_points.append(_FakeEntryPoint("broken", None, fail=True))
        with pytest.raises(oc.PluginError, match="broken"):
            oc.Hub()


class TestNotifications:
    def test_every_plugin_is_notified_even_if_one_fails(self) -> None:
        """A failing listener does not stop the others; the failure is raised after."""
        calls: list[str] = []

        class Good:
            @oc.hookimpl
            def touchpoint_rejected(self) -> None:
                calls.append("good")

        class Bad:
            @oc.hookimpl
            def touchpoint_rejected(self) -> None:
                calls.append("bad")
                raise ValueError

        plugins = Plugins([Bad(), Good()], load_entry_points=False)
        with pytest.raises(oc.PluginError):
            plugins.notify("touchpoint_rejected", hub=None, rejection=None)
        assert sorted(calls) == ["bad", "good"]

    def test_a_failing_listener_does_not_silence_later_notifications(self) -> None:
        """After one notification failed, later records and changes are still notified."""
        seen: list[str] = []

        class Bad:
            @oc.hookimpl
            def touchpoint_rejected(self) -> None:
                raise ValueError

        class Counter:
            @oc.hookimpl
            def touchpoint_rejected(self, rejection: oc.Rejection) -> None:
                seen.append(rejection.field)

        hub = make_hub(plugins=[Bad(), Counter()])
        with pytest.raises(oc.PluginError) as info:
            hub.ingest([{"id": "a"}, {"id": "b"}, {"id": "c"}])
        assert len(seen) == 3
        assert len(info.value.report.quarantined) == 3

    def test_batch_raises_plugin_failure_after_the_batch(self) -> None:
        """In a batch a failing listener is raised once the whole batch is stored."""

        class Bad:
            @oc.hookimpl
            def touchpoint_rejected(self) -> None:
                raise ValueError

        hub = make_hub(plugins=[Bad()])
        good = {
            "id": "ok",
            "occurred_at": "2026-03-01T00:00:00+00:00",
            "channel": "web",
            "action": "x",
        }
        with pytest.raises(oc.PluginError) as info:
            hub.ingest([{"id": "bad"}, good])
        assert hub.stats().touchpoints == 1
        assert len(hub.quarantine()) == 1
        assert info.value.report.accepted == 1
        assert len(info.value.report.quarantined) == 1


class TestHookspecs:
    def test_every_hookspec_is_documented(self) -> None:
        """Each hookspec has a docstring with parameters or returns and a versionadded."""
        specs = [
            getattr(hookspecs, name)
            for name in dir(hookspecs)
            if hasattr(getattr(hookspecs, name), "omnicontact_spec")
        ]
        assert {s.__name__ for s in specs} == {
            "register_channel_adapters",
            "register_identifier_kinds",
            "register_matching_rules",
            "register_merge_guards",
            "contact_merged",
            "contact_split",
            "touchpoint_rejected",
            "register_stage_models",
            "register_scoring_strategies",
            "stage_changed",
        }
        for spec in specs:
            doc = spec.__doc__ or ""
            assert ":param" in doc or ":returns:" in doc, spec.__name__
            assert ".. versionadded::" in doc, spec.__name__

    def test_every_hookspec_is_exercised_by_the_tests(self) -> None:
        """Each hookspec name appears in a test that implements it (this suite's meta-test)."""
        import pathlib

        text = "".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_*.py"))
        names = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "omnicontact_spec")]
        assert len(names) >= 6
        for name in names:
            assert f"def {name}(" in text, name
