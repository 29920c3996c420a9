"""Building a hub's plug-in manager, loading entry points, listing plug-ins.

Every hub gets a fresh :class:`pluggy.PluginManager` (there is no global one,
so a process may embed several hubs). The built-in plug-ins are registered
through the same hooks as third-party ones; then plug-ins passed by the caller;
then the ``omnicontact`` entry-point group, unless autoload is disabled by
argument or by the ``OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD`` environment variable.

An entry point names a module, an object, or a class; a class is instantiated
once per hub, which is how a plug-in keeps state of its own in each hub.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Collection, Iterable
from typing import Any

import attrs
import pluggy

from omnicontact import hookspecs
from omnicontact._version import __version__
from omnicontact.errors import ConfigurationError, PluginError, PluginRegistrationError

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "Plugins",
]

ENTRY_POINT_GROUP = "omnicontact"
DISABLE_AUTOLOAD_ENV = "OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD"

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("omnicontact.email", "omnicontact.normalize.email"),
    ("omnicontact.phone", "omnicontact.normalize.phone"),
    ("omnicontact.ids", "omnicontact.normalize.ids"),
    ("omnicontact.matching", "omnicontact.matching.builtin"),
    ("omnicontact.adapters", "omnicontact.adapters.json_form"),
    ("omnicontact.segment", "omnicontact.adapters.segment"),
    ("omnicontact.orders", "omnicontact.adapters.orders"),
    ("omnicontact.email_events", "omnicontact.adapters.email_events"),
    ("omnicontact.support", "omnicontact.adapters.support"),
    ("omnicontact.lifecycle", "omnicontact.lifecycle.builtin"),
    ("omnicontact.scoring", "omnicontact.scoring.builtin"),
)
"""``(plug-in name, module)`` of each built-in plug-in, registered in this order."""


@attrs.frozen
class PluginInfo:
    """What ``omnicontact plugins`` shows about one loaded plug-in.

    :param name: registered name (the entry-point name for installed plug-ins).
    :param hooks: the hooks it implements, sorted.
    :param builtin: whether it ships with omnicontact.
    :param distribution: the distribution that provides it, if installed.
    :param version: that distribution's version (omnicontact's for built-ins).
    """

    name: str
    hooks: tuple[str, ...]
    builtin: bool
    distribution: str | None
    version: str | None


def _label(plugin: object, name: str | None) -> str:
    return name or str(getattr(plugin, "__name__", type(plugin).__name__))


def _default_name(plugin: object) -> str:
    """Name a plug-in passed without one: its ``__name__``, else its class's qualified name."""
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    cls = type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


def _autoload_disabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no")


class Plugins:
    """The plug-ins of one hub, around its :class:`pluggy.PluginManager`.

    :param plugins: extra plug-in objects or modules to register.
    :param load_entry_points: load the ``omnicontact`` entry-point group;
        ``None`` means yes unless ``OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD`` is set.
    :param allow: when given, only entry points with these names are loaded.
    :param block: plug-in names never registered, built-ins included.
    :raises PluginError: when an entry point cannot be imported.
    :raises PluginRegistrationError: when a plug-in implements an unknown hook
        or a hook with arguments the spec does not have.
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        load_entry_points: bool | None = None,
        allow: Collection[str] | None = None,
        block: Collection[str] = (),
    ) -> None:
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        for name in block:
            pm.set_blocked(name)
        self.manager = pm
        self._builtin: set[str] = set()
        self._dists: dict[str, tuple[str, str]] = {}
        for name, module in BUILTIN_PLUGINS:
            if not pm.is_blocked(name):
                self._register(importlib.import_module(module), name)
                self._builtin.add(name)
        for plugin in plugins:
            name = base = _default_name(plugin)
            if pm.is_blocked(base):
                continue
            count = 1
            while pm.has_plugin(name):  # several instances of one class
                count += 1
                name = f"{base}#{count}"
            self._register(plugin, name)
        if load_entry_points is None:
            load_entry_points = not _autoload_disabled()
        if load_entry_points:
            self._load_entry_points(allow)
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as err:
            raise PluginRegistrationError(
                str(pm.get_name(err.plugin)), "check_pending", "implements a hook with no spec"
            ) from err

    def _register(self, plugin: object, name: str | None) -> None:
        try:
            self.manager.register(plugin, name=name)
        except pluggy.PluginValidationError as err:
            raise PluginRegistrationError(_label(plugin, name), "register", str(err)) from err
        except ValueError as err:
            label = _label(plugin, name)
            raise PluginRegistrationError(label, "register", "is already registered") from err

    def _load_entry_points(self, allow: Collection[str] | None) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if allow is not None and ep.name not in allow:
                continue
            if self.manager.is_blocked(ep.name) or self.manager.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
                if isinstance(plugin, type):
                    plugin = plugin()  # a class: one instance, with its own state, per hub
            except Exception as err:
                raise PluginError(
                    ep.name, "load", f"entry point could not be loaded ({type(err).__name__})"
                ) from err
            self._register(plugin, ep.name)
            if ep.dist is not None:
                self._dists[ep.name] = (ep.dist.metadata["Name"], ep.dist.version)

    # ----------------------------------------------------------------------

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a contribution hook on every plug-in; return ``(plug-in name, item)`` pairs.

        Built-ins come first, then third-party plug-ins in registration order.
        *kwargs* are the hook's arguments (each plug-in takes those it names).

        :raises PluginError: naming the plug-in that raised.
        :raises PluginRegistrationError: when a plug-in returns something other than a list.
        """
        caller = getattr(self.manager.hook, hook)
        out: list[tuple[str, Any]] = []
        for impl in caller.get_hookimpls():
            try:
                items = impl.function(*(kwargs[name] for name in impl.argnames))
            except ConfigurationError:
                raise  # a setting the plug-in was given is wrong: say so, not that it failed
            except Exception as err:
                raise PluginError(impl.plugin_name, hook, f"raised {type(err).__name__}") from err
            if items is None:
                continue
            if not isinstance(items, (list, tuple)):
                raise PluginRegistrationError(
                    impl.plugin_name, hook, f"returned a {type(items).__name__}, expected a list"
                )
            out.extend((impl.plugin_name, item) for item in items)
        out.sort(key=lambda pair: pair[0] not in self._builtin)
        return out

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Call a notification hook on every plug-in, each on its own.

        Every plug-in is called even when one raises; then the first failure
        is raised as :class:`PluginError` naming that plug-in.
        """
        caller = getattr(self.manager.hook, hook)
        failure: PluginError | None = None
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as err:
                if failure is None:
                    failure = PluginError(impl.plugin_name, hook, f"raised {type(err).__name__}")
                    failure.__cause__ = err
        if failure is not None:
            raise failure

    def implements(self, hook: str) -> bool:
        """Whether any registered plug-in implements *hook* (to skip work nobody listens to)."""
        return bool(getattr(self.manager.hook, hook).get_hookimpls())

    def get(self, name: str) -> object | None:
        """Return the plug-in object registered under *name* (for its state), or ``None``."""
        return self.manager.get_plugin(name)

    def is_builtin(self, name: str) -> bool:
        """Tell whether plug-in *name* ships with omnicontact."""
        return name in self._builtin

    def builtin_names(self) -> frozenset[str]:
        """Return the names of the registered built-in plug-ins."""
        return frozenset(self._builtin)

    def info(self) -> list[PluginInfo]:
        """Describe every registered plug-in, built-ins first, then by name."""
        out = []
        for name, plugin in self.manager.list_name_plugin():
            if plugin is None:
                continue
            hooks = tuple(
                sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or ())
            )
            builtin = name in self._builtin
            dist, version = self._dists.get(
                name, ("omnicontact", __version__) if builtin else (None, None)
            )
            out.append(PluginInfo(name, hooks, builtin, dist, version))
        return sorted(out, key=lambda info: (not info.builtin, info.name))
