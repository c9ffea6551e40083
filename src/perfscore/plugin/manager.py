"""Plugin discovery and the typed facade the engine calls hooks through.

The plugin stage's machinery: :func:`make_host` builds a fresh :class:`pluggy.PluginManager`
per run (never a module global): built-in plugins first, through the same call third
parties use, then the ``perfscore`` entry-point group, then loose modules from
``--plugins-dir``. Names listed in ``$PERFSCORE_DISABLE_PLUGINS`` (comma-separated) are
blocked. ``check_pending()`` makes a misspelled hook fail at load.

The engine never calls ``pm.hook.*`` directly: :class:`PluginHost` does, so that pluggy
runs wrappers, firstresult and tryfirst/trylast as it documents, while guards around each
implementation know which plugin gave what, report a plugin that raised by name while the
others still run, and the host sorts what it collects by id so that nothing depends on
registration order.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Generator, Iterable, Mapping, cast

import pluggy

from perfscore.errors import PluginError, Problem
from perfscore.files import read_toml
from perfscore.models import AreaScore, Finding
from perfscore.plugin import hookspecs
from perfscore.scoring.methods import ScoringMethod
from perfscore.scoring.score import UnitScore

ENTRY_POINT_GROUP = "perfscore"
DISABLE_ENV = "PERFSCORE_DISABLE_PLUGINS"
#: built-in plugins, registered exactly like third-party ones
DEFAULT_PLUGINS = (("methods", "perfscore.plugin.builtin:BuiltinMethods"), ("checks", "perfscore.plugin.builtin:BuiltinChecks"))
#: every hook of the interface, by name
HOOK_NAMES = tuple(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("perfscore_"))
#: hooks called once per unit: a plugin that raises in one is recorded, and the rest still run
ISOLATED_HOOKS = frozenset({"perfscore_score_area", "perfscore_findings"})


def _own_version() -> str:
    """perfscore's version, as installed (the built-in plugins' version)."""
    try:
        return metadata.version("perfscore")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "?"


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


def _given(plugin: Any) -> Any:
    return plugin


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

    own_version = _own_version()
    for name, spec in DEFAULT_PLUGINS:
        add(name, partial(_load_object, spec), own_version, "built-in")
    if entry_points:
        for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            dist = entry_point.dist
            version = dist.version if dist is not None else "?"
            origin = f"entry point ({dist.name if dist is not None else entry_point.value})"
            add(entry_point.name, partial(_load_object, entry_point.value), version, origin)
    for directory in plugins_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            raise PluginError(Problem("plugins directory not found", file=str(directory), expected="a folder of .py plugin modules"))
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            add(path.stem, partial(_load_module_file, path), "local", f"--plugins-dir {directory}")
    for name, plugin in extra:
        add(name, partial(_given, plugin), "test", "registered in code")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(Problem(f'plugin "{error.plugin_name if hasattr(error, "plugin_name") else "?"}" has an unknown or misspelled hook: {error}')) from None
    return PluginHost(pm, infos)


class _WrapperFailed(Exception):
    """A wrapper raised (or broke the wrapper protocol): carried out of pluggy's call with its plugin's name."""

    def __init__(self, plugin: str, error: str):
        super().__init__(f"{plugin}: {error}")
        self.plugin = plugin
        self.error = error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class PluginHost:
    """The typed facade over the plugin manager.

    Every hook is called through ``pm.hook`` (or a subset of it), so wrappers, firstresult,
    tryfirst and trylast behave as pluggy documents. What pluggy does not do is done by
    guards put around each implementation when the host is made:

    - per-unit hooks (:data:`ISOLATED_HOOKS`): an implementation that raises is recorded
      as a :class:`PluginFailure` and counts as having returned None, so the other plugins
      still run; a wrapper that raises is recorded, and the call is made again without
      that plugin;
    - contribution hooks: a plugin that raises stops the run with a :class:`PluginError`
      naming it; ``register`` knows which plugin called it;
    - every result is traced to the plugin that gave it (a wrapper that adds or replaces
      one is its giver), so area scores and findings name their source.
    """

    def __init__(self, pm: pluggy.PluginManager, infos: Mapping[str, PluginInfo]):
        self.pm = pm
        self.infos = dict(infos)
        self.failures: list[PluginFailure] = []
        self._methods: dict[str, Any] | None = None
        self._area_owners: dict[str, str] | None = None
        #: during one hook call: the plugin running now, failures of plain implementations,
        #: and id(result) → (the plugin that gave it, the result, kept alive so ids stay unique)
        self._current = ""
        self._raised: list[tuple[str, str]] = []
        self._produced: dict[int, tuple[str, object]] = {}
        for hook_name in HOOK_NAMES:
            caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
            firstresult = bool(caller.spec is not None and caller.spec.opts.get("firstresult"))
            for impl in caller.get_hookimpls():
                guard = self._wrapper_guard if impl.wrapper or impl.hookwrapper else self._guard
                # pluggy calls impl.function; the guard keeps its argnames, computed at registration
                impl.function = guard(impl, hook_name, hook_name in ISOLATED_HOOKS, firstresult)  # type: ignore[misc]  # HookImpl.function is Final in pluggy's stubs only

    # -- guards around each implementation -----------------------------------------

    def _guard(self, impl: pluggy.HookImpl, hook_name: str, isolated: bool, firstresult: bool) -> Callable[..., object]:
        function, plugin = impl.function, impl.plugin_name
        findings = hook_name == "perfscore_findings"

        def guarded(*args: object, **kwargs: object) -> object:
            self._current = plugin
            try:
                result = function(*args, **kwargs)
            except Exception as error:
                if not isolated:
                    if isinstance(error, PluginError):
                        raise
                    raise PluginError(Problem(f'plugin "{plugin}" failed in {hook_name}: {_describe(error)}')) from None
                self._raised.append((plugin, _describe(error)))
                return None
            if result is None:
                return None
            if findings and isinstance(result, list):
                # each finding names its plugin before any wrapper sees it, so a wrapper
                # that filters or regroups the lists leaves every finding its source
                result = [item.model_copy(update={"source": plugin}) if isinstance(item, Finding) and not item.source else item for item in result]
            self._produced[id(result)] = (plugin, result)
            return result

        return guarded

    def _wrapper_guard(self, impl: pluggy.HookImpl, hook_name: str, isolated: bool, firstresult: bool) -> Callable[..., object]:
        """A wrapper's generator, run step by step so that what it raises is its own failure.

        pluggy drives a wrapper with one ``next`` and then one ``send`` (the result, or a
        :class:`pluggy.Result` for an old-style ``hookwrapper``) or ``throw`` (what the call
        raised); the guard passes each on and tells the wrapper's own errors from the ones
        it lets through.
        """
        function, plugin, old_style = impl.function, impl.plugin_name, impl.hookwrapper

        def own(error: Exception, passing: BaseException | None = None) -> BaseException:
            """What to raise for ``error``: itself when it is passing through, else a failure of this plugin."""
            if error is passing or isinstance(error, _WrapperFailed) or (not isolated and isinstance(error, PluginError)):
                return error
            return _WrapperFailed(plugin, _describe(error))

        def guarded(*args: object, **kwargs: object) -> Generator[None, object, object]:
            self._current = plugin
            try:
                wrapper = cast("Generator[object, object, object]", function(*args, **kwargs))
                next(wrapper)
            except StopIteration:
                raise _WrapperFailed(plugin, "the wrapper did not yield") from None
            except Exception as error:
                raise own(error) from None
            try:
                sent = yield
            except GeneratorExit:
                wrapper.close()
                raise
            except Exception as thrown:  # the call raised: the wrapper may handle it
                self._current = plugin
                try:
                    wrapper.throw(thrown)
                except StopIteration as stop:
                    return self._claim(plugin, stop.value, firstresult)
                except Exception as error:
                    raise own(error, thrown) from None
                wrapper.close()
                raise _WrapperFailed(plugin, "the wrapper yielded twice") from None
            self._current = plugin
            try:
                wrapper.send(sent)
            except StopIteration as stop:
                if old_style:  # the result is the Result it was sent, maybe forced to another
                    outcome = cast("pluggy.Result[object]", sent)
                    self._claim(plugin, outcome.get_result() if outcome.exception is None else None, firstresult)
                    return None
                return self._claim(plugin, stop.value, firstresult)
            except Exception as error:
                raise own(error) from None
            wrapper.close()
            raise _WrapperFailed(plugin, "the wrapper yielded twice")

        return guarded

    def _claim(self, plugin: str, result: object, firstresult: bool) -> object:
        """Trace what a wrapper added or put in place of the result to that wrapper."""
        for item in [result] if firstresult else cast("list[object]", result or []):
            if item is not None and id(item) not in self._produced:
                self._produced[id(item)] = (plugin, item)
        return result

    def _giver(self, result: object) -> str:
        return self._produced.get(id(result), ("?", None))[0]

    def _call(self, hook_name: str, label: str, kwargs: dict[str, object]) -> object:
        """Call a hook through pluggy; record failures of a per-unit hook under ``label``."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        isolated = hook_name in ISOLATED_HOOKS
        skipped: list[object] = []
        while True:
            self._raised, self._produced = [], {}
            try:
                result = caller(**kwargs)
            except _WrapperFailed as failed:
                if not isolated:
                    raise PluginError(Problem(f'plugin "{failed.plugin}" failed in {hook_name}: {failed.error}')) from None
                # the call is lost: record the wrapper and call again without it
                self.failures.append(PluginFailure(failed.plugin, label, failed.error))
                skipped.append(self.pm.get_plugin(failed.plugin))
                caller = self.pm.subset_hook_caller(hook_name, skipped)
                continue
            self.failures.extend(PluginFailure(plugin, label, error) for plugin, error in self._raised)
            return result

    # -- contribution hooks: registered once per run, a failure stops it ------------

    def _registered(self, hook_name: str, validate: Callable[[Any], Any] = lambda item: item) -> list[tuple[str, Any]]:
        """(plugin, item) for everything registered through a ``register`` hook, by plugin name."""
        items: list[tuple[str, Any]] = []

        def register(item: Any) -> None:
            items.append((self._current, validate(item)))

        self._call(hook_name, hook_name, {"register": register})
        items.sort(key=lambda pair: pair[0])  # stable: a plugin's own items keep their order
        return items

    def _collect(self, hook_name: str, kind: str, key: Callable[[Any], str], validate: Callable[[Any], Any] = lambda item: item) -> dict[str, tuple[str, Any]]:
        """Run a ``register`` hook on every plugin; refuse an id two plugins give."""
        collected: dict[str, tuple[str, Any]] = {}
        for plugin, item in self._registered(hook_name, validate):
            item_id = key(item)
            if item_id in collected:
                raise PluginError(Problem(f'{kind} "{item_id}" is registered by both plugin "{collected[item_id][0]}" and plugin "{plugin}"'))
            collected[item_id] = (plugin, item)
        return collected

    def methods(self) -> dict[str, ScoringMethod]:
        """Scoring methods by name, from every plugin (built-ins included)."""
        if self._methods is None:

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
        for plugin, item in self._registered("perfscore_register_indicators"):
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
        for plugin, path in self._registered("perfscore_register_templates"):
            document = read_toml(Path(path))
            for template_id, template in document.get("templates", {}).items():
                # ruleset wording wins over a plugin's, so a bureau can edit it
                templates.setdefault(template_id, {**template, "source": f"plugin {plugin}"})
        raw["indicators"], raw["areas"], raw["templates"] = indicators, areas, templates
        return raw

    # -- per-unit hooks: isolated, a failing plugin is recorded and skipped ---------

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a per-unit hook; return (plugin, result) for each result, failures recorded."""
        results = cast("list[object]", self._call(hook_name, hook_name, kwargs))
        return [(self._giver(result), result) for result in results]

    def score_area(self, area: str, unit: UnitScore) -> tuple[str, AreaScore] | None:
        """The area's score and the plugin that gave it (firstresult); failures recorded.

        Area plugins return None for areas they do not score, so the plugin that claimed
        the area gives its score; the built-in ``checks`` (trylast) scores the rest.
        """
        label = f"perfscore_score_area({area})"
        result = self._call("perfscore_score_area", label, {"area": area, "unit": unit})
        if result is None:
            return None
        giver = self._giver(result)
        if not isinstance(result, AreaScore):
            self.failures.append(PluginFailure(giver, label, f"returned {type(result).__name__}, expected perfscore.AreaScore"))
            return None
        return giver, result

    def describe(self) -> list[PluginInfo]:
        """Plugins with their hooks and claimed areas, sorted by name."""
        owners = self.area_owners()
        infos = []
        for name, info in sorted(self.infos.items()):
            plugin = self.pm.get_plugin(name)
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            infos.append(PluginInfo(name, info.version, info.origin, hooks, sorted(a for a, owner in owners.items() if owner == name)))
        return infos
