"""Plugin discovery and the typed facade the engine calls hooks through.

:func:`make_host` builds a fresh :class:`pluggy.PluginManager` per run (never a module
global): built-in plugins first, through the same call third parties use, then the
``perfscore`` entry-point group, then loose modules from ``--plugins-dir``. Names listed in
``$PERFSCORE_DISABLE_PLUGINS`` (comma-separated) are blocked. ``check_pending()`` makes a
misspelled hook fail at load.

The engine never calls ``pm.hook.*`` directly: :class:`PluginHost` calls each
implementation on its own, so it knows which plugin gave what, can report a plugin that
raised by name while the others still run, and sorts results by id so that nothing
depends on registration order.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pluggy

from perfscore.plugin import hookspecs
from perfscore.errors import PluginError, Problem
from perfscore.files import read_toml

ENTRY_POINT_GROUP = "perfscore"
DISABLE_ENV = "PERFSCORE_DISABLE_PLUGINS"
#: built-in plugins, registered exactly like third-party ones
DEFAULT_PLUGINS = (("methods", "perfscore.scoring.methods:BuiltinMethods"), ("checks", "perfscore.plugin.builtin:BuiltinChecks"))


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin raised while a hook ran: reported by name, the rest of the run goes on."""

    plugin: str
    hook: str
    error: str

    def render(self) -> str:
        return f'plugin "{self.plugin}" failed in {self.hook}: {self.error}'


@dataclass(slots=True)
class PluginInfo:
    name: str
    version: str
    origin: str
    hooks: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


def disabled_plugins() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


def _load_object(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    target = getattr(module, attribute) if attribute else module
    return target() if isinstance(target, type) else target


def _load_module_file(path: Path) -> Any:
    module_name = f"perfscore_local_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def make_host(plugins_dirs: Iterable[Path] = (), entry_points: bool = True, extra: Iterable[tuple[str, Any]] = ()) -> PluginHost:
    """Build the plugin manager for one run and wrap it in the facade."""
    pm = pluggy.PluginManager("perfscore")
    pm.add_hookspecs(hookspecs)
    blocked = disabled_plugins()
    infos: dict[str, PluginInfo] = {}
    for name in sorted(blocked):
        pm.set_blocked(name)

    def add(name: str, loader: Callable[[], Any], version: str, origin: str) -> None:
        if name in blocked:
            return
        try:
            plugin = loader()
        except Exception as error:  # an import failure must name the plugin
            raise PluginError(Problem(f'Error importing plugin "{name}": {type(error).__name__}: {error}')) from None
        if pm.get_plugin(name) is not None:
            raise PluginError(Problem(f'two plugins are named "{name}" ({infos[name].origin} and {origin})'))
        pm.register(plugin, name=name)
        infos[name] = PluginInfo(name, version, origin)

    from perfscore import __version__

    for name, spec in DEFAULT_PLUGINS:
        add(name, lambda spec=spec: _load_object(spec), __version__, "built-in")
    if entry_points:
        for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            dist = entry_point.dist
            version = dist.version if dist is not None else "?"
            origin = f"entry point ({dist.name if dist is not None else entry_point.value})"
            add(entry_point.name, lambda ep=entry_point: _load_object(ep.value), version, origin)
    for directory in plugins_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            raise PluginError(Problem("plugins directory not found", file=str(directory), expected="a folder of .py plugin modules"))
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            add(path.stem, lambda path=path: _load_module_file(path), "local", f"--plugins-dir {directory}")
    for name, plugin in extra:
        add(name, lambda plugin=plugin: plugin, "test", "registered in code")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(Problem(f'plugin "{error.plugin_name if hasattr(error, "plugin_name") else "?"}" has an unknown or misspelled hook: {error}')) from None
    return PluginHost(pm, infos)


class PluginHost:
    """The typed facade over the plugin manager."""

    def __init__(self, pm: pluggy.PluginManager, infos: Mapping[str, PluginInfo]):
        self.pm = pm
        self.infos = dict(infos)
        self.failures: list[PluginFailure] = []
        self._methods: dict[str, Any] | None = None
        self._area_owners: dict[str, str] | None = None

    # -- calling each implementation on its own ------------------------------------

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        # pluggy's call order (tryfirst … trylast), as a list we can walk one by one
        return list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))

    def _collect(self, hook_name: str, kind: str, key: Callable[[Any], str], validate: Callable[[Any], Any] = lambda item: item) -> dict[str, tuple[str, Any]]:
        """Run a ``register`` hook on every plugin; refuse an id two plugins give."""
        collected: dict[str, tuple[str, Any]] = {}
        for impl in sorted(self._impls(hook_name), key=lambda impl: impl.plugin_name):
            def register(item: Any, plugin: str = impl.plugin_name) -> None:
                item = validate(item)
                item_id = key(item)
                if item_id in collected:
                    raise PluginError(Problem(f'{kind} "{item_id}" is registered by both plugin "{collected[item_id][0]}" and plugin "{plugin}"'))
                collected[item_id] = (plugin, item)
            try:
                impl.function(register=register)
            except PluginError:
                raise
            except Exception as error:
                raise PluginError(Problem(f'plugin "{impl.plugin_name}" failed in {hook_name}: {type(error).__name__}: {error}')) from None
        return collected

    def methods(self) -> dict[str, Any]:
        """Scoring methods by name, from every plugin (built-ins included)."""
        if self._methods is None:
            from perfscore.scoring.methods import ScoringMethod

            def check(item: Any) -> Any:
                if not isinstance(item, ScoringMethod):
                    raise PluginError(Problem(f"register() expects a perfscore.ScoringMethod, got {type(item).__name__}"))
                return item

            collected = self._collect("perfscore_register_methods", "scoring method", lambda m: m.name, check)
            self._methods = {name: method for name, (_, method) in sorted(collected.items())}
        return self._methods

    def area_owners(self) -> dict[str, str]:
        """Area id → the plugin that claimed it."""
        if self._area_owners is None:
            collected = self._collect("perfscore_register_areas", "area", lambda area: area, str)
            self._area_owners = {area: plugin for area, (plugin, _) in sorted(collected.items())}
        return self._area_owners

    def merge_contributions(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Add plugin indicators, area defaults and templates to a resolved raw ruleset."""
        raw = dict(raw)
        indicators = list(raw.get("indicators", []))
        owners = {entry.get("id"): f'ruleset file {entry.get("source", "?")}' for entry in indicators}
        areas = dict(raw.get("areas", {}))
        templates = dict(raw.get("templates", {}))
        for plugin, item in self._registered_files("perfscore_register_indicators"):
            if isinstance(item, Mapping):
                entries, area_defaults = [dict(item)], {}
            else:
                document = read_toml(Path(item))
                entries, area_defaults = document.get("indicators", []), document.get("areas", {})
                templates = {**document.get("templates", {}), **templates}
            for entry in entries:
                entry = {**entry, "source": f"plugin {plugin}"}
                if entry.get("id") in owners:
                    raise PluginError(Problem(f'indicator "{entry.get("id")}" is defined by both {owners[entry.get("id")]} and plugin "{plugin}"'))
                owners[entry.get("id")] = f'plugin "{plugin}"'
                indicators.append(entry)
            for area, settings in area_defaults.items():
                # the ruleset's own settings win: a bureau overrides a plugin's defaults
                areas[area] = {**settings, **areas.get(area, {})}
        for plugin, path in self._registered_files("perfscore_register_templates"):
            document = read_toml(Path(path))
            for template_id, template in document.get("templates", {}).items():
                # ruleset wording wins over a plugin's, so a bureau can edit it
                templates.setdefault(template_id, {**template, "source": f"plugin {plugin}"})
        raw["indicators"], raw["areas"], raw["templates"] = indicators, areas, templates
        return raw

    def _registered_files(self, hook_name: str) -> list[tuple[str, Any]]:
        items: list[tuple[str, Any]] = []
        for impl in sorted(self._impls(hook_name), key=lambda impl: impl.plugin_name):
            try:
                impl.function(register=lambda item, plugin=impl.plugin_name: items.append((plugin, item)))
            except Exception as error:
                raise PluginError(Problem(f'plugin "{impl.plugin_name}" failed in {hook_name}: {type(error).__name__}: {error}')) from None
        return items

    # -- per-unit hooks: isolated, a failing plugin is recorded and skipped ---------

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation; return (plugin, result) for those that did not raise."""
        results = []
        for impl in self._impls(hook_name):
            try:
                result = impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception as error:
                self.failures.append(PluginFailure(impl.plugin_name, hook_name, f"{type(error).__name__}: {error}"))
                continue
            results.append((impl.plugin_name, result))
        return results

    def score_area(self, area: str, unit: Any) -> tuple[str, Any] | None:
        """First non-None area score, the claiming plugin asked first; failures isolated."""
        owner = self.area_owners().get(area)
        impls = self._impls("perfscore_score_area")
        impls.sort(key=lambda impl: impl.plugin_name != owner)  # stable: keeps pluggy order otherwise
        for impl in impls:
            try:
                result = impl.function(**{name: {"area": area, "unit": unit}[name] for name in impl.argnames})
            except Exception as error:
                self.failures.append(PluginFailure(impl.plugin_name, f"perfscore_score_area({area})", f"{type(error).__name__}: {error}"))
                return None
            if result is not None:
                return impl.plugin_name, result
        return None

    def describe(self) -> list[PluginInfo]:
        """Plugins with their hooks and claimed areas, sorted by name."""
        owners = self.area_owners()
        infos = []
        for name, info in sorted(self.infos.items()):
            plugin = self.pm.get_plugin(name)
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            infos.append(PluginInfo(name, info.version, info.origin, hooks, sorted(a for a, owner in owners.items() if owner == name)))
        return infos
