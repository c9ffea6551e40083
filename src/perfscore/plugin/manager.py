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

Plugins are trusted code whose failures are contained (docs/plugins.md, "When a plugin
misbehaves"). A guard catches whatever an implementation raises, ``SystemExit`` included,
and checks what it returns against its hook's spec; while hooks run, ``sys.stdout`` is
``sys.stderr``, so a plugin's prints never mix with perfscore's output; and the hooks of one
unit share a time limit (``PERFSCORE_HOOK_SECONDS``), enforced with ``SIGALRM`` where that
is possible (the main thread of a process, on a system with ``setitimer``). A
``KeyboardInterrupt`` always passes through: it stops the run.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Generator, Iterable, Mapping, cast

import pluggy
from pydantic import BaseModel, ValidationError

from perfscore.errors import PerfscoreError, PluginError, Problem, fill, within
from perfscore.files import read_toml
from perfscore.limits import LIMITS, limit
from perfscore.load.validation import validation_problems
from perfscore.models import AreaScore, Finding, FindingTemplate, IndicatorDef
from perfscore.plugin import hookspecs
from perfscore.plugin.sdk import AreaPlugin
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
    #: the unit's plugin hooks ran out of time (a batch lists the unit as failed)
    timed_out: bool = False

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
    limit("hook_seconds")  # a bad PERFSCORE_HOOK_SECONDS is a usage error before any plugin loads
    pm = pluggy.PluginManager("perfscore")
    pm.add_hookspecs(hookspecs)
    blocked = disabled_plugins()
    infos: dict[str, PluginInfo] = {}
    for name in sorted(blocked):
        pm.set_blocked(name)

    def add(name: str, loader: Callable[[], Any], version: str, origin: str) -> None:
        if name in blocked:
            return
        stdout = sys.stdout
        sys.stdout = sys.stderr  # a plugin printing as it is imported must not reach perfscore's output
        try:
            plugin = loader()
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # an import failure (or a sys.exit at import) must name the plugin
            raise PluginError(Problem(f'Error importing plugin "{name}": {_describe(error)}', key="plugin_import", fields=fill(plugin=name, error=_describe(error)))) from None
        finally:
            sys.stdout = stdout
        if pm.get_plugin(name) is not None:
            raise PluginError(Problem(f'two plugins are named "{name}" ({infos[name].origin} and {origin})', key="plugin_name_twice", fields=fill(plugin=name, first=infos[name].origin, second=origin)))
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
            raise PluginError(Problem("plugins directory not found", file=str(directory), expected="a folder of .py plugin modules", key="plugins_dir_missing", expected_key="expected_plugins_dir"))
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            add(path.stem, partial(_load_module_file, path), "local", f"--plugins-dir {directory}")
    for name, plugin in extra:
        add(name, partial(_given, plugin), "test", "registered in code")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(Problem(f'plugin "{error.plugin_name if hasattr(error, "plugin_name") else "?"}" has an unknown or misspelled hook: {error}', key="plugin_unknown_hook", fields=fill(plugin=error.plugin_name if hasattr(error, "plugin_name") else "?", error=error))) from None
    return PluginHost(pm, infos)


class HookTimeout(BaseException):
    """Raised into a hook that ran past the unit's time limit.

    A BaseException, so that a plugin's ``except Exception`` does not swallow it; the host
    turns it into a failure naming the plugin and hook.
    """


#: what a guard lets through: an interrupt stops the run, a timeout is the host's to record
_PASSING = (KeyboardInterrupt, HookTimeout)
#: what each register hook's ``register`` accepts, for the message when it gets something else
_REGISTER_EXPECTS = {
    "perfscore_register_indicators": "a path to a TOML file of [[indicators]] or one indicator as a mapping",
    "perfscore_register_methods": "a perfscore.ScoringMethod",
    "perfscore_register_areas": "an area id (a non-empty string)",
    "perfscore_register_templates": "a path to a TOML file of [templates.<id>] tables",
}


def _summary(value: object) -> str:
    """A short picture of a value a plugin gave, for a message (never its whole repr)."""
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _is_path(item: object) -> bool:
    return isinstance(item, (str, os.PathLike))


class _WrapperFailed(Exception):
    """A wrapper raised (or broke the wrapper protocol): carried out of pluggy's call with its plugin's name."""

    def __init__(self, plugin: str, error: str):
        super().__init__(f"{plugin}: {error}")
        self.plugin = plugin
        self.error = error


def _describe(error: BaseException) -> str:
    if isinstance(error, SystemExit):  # sys.exit(0) says "0": say what it was
        return f"SystemExit: the plugin called sys.exit({error.code!r})"
    return f"{type(error).__name__}: {error}"


class _Alarm:
    """The process's SIGALRM state: the host whose hooks are timed now, and the handler
    that was installed before perfscore's, which gets every other alarm."""

    host: PluginHost | None = None
    previous: Callable[[int, FrameType | None], Any] | int | None = None


_alarm = _Alarm()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    """SIGALRM: stop the timed host's hook, or pass the alarm on as if perfscore were not there."""
    host = _alarm.host
    if host is not None:
        host._on_alarm()
    elif callable(_alarm.previous):
        _alarm.previous(signum, frame)
    elif _alarm.previous in (signal.SIG_DFL, None):
        # a program's own timer with no handler: its default action (ending the process)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGALRM)


class _TimeLimit:
    """:meth:`PluginHost.time_limit`: entered once a unit, so kept lean (a class, not a
    generator; the handler checked once per host: each signal call is a system call)."""

    __slots__ = ("host", "timing", "earlier", "started")

    def __init__(self, host: PluginHost):
        self.host = host
        self.timing = False

    def __enter__(self) -> None:
        host = self.host
        if _alarm.host is not None or not _timer_usable():
            return
        if not host._handler_checked:
            if signal.getsignal(signal.SIGALRM) is not _on_alarm:
                _alarm.previous = signal.signal(signal.SIGALRM, _on_alarm)
            host._handler_checked = True
        host._expired, host._stopped = False, False
        _alarm.host, self.timing = host, True
        # after the limit the alarm repeats each second, in case a plugin swallows the first
        self.earlier = signal.setitimer(signal.ITIMER_REAL, host._seconds, 1.0)
        self.started = time.monotonic() if self.earlier[0] else 0.0

    def __exit__(self, *exc: object) -> None:
        if not self.timing:
            return
        host = self.host
        signal.setitimer(signal.ITIMER_REAL, 0)
        _alarm.host = None  # after the timer stops: an alarm already due still finds its host
        if host._expired and not host._stopped:  # the time ran out between two hooks
            host._time_out(host._label, record=True)
        host._expired = False
        if self.earlier[0]:  # a timer of the program's own was running: let it go on
            signal.setitimer(signal.ITIMER_REAL, max(self.earlier[0] - (time.monotonic() - self.started), 1e-6), self.earlier[1])


def _timer_usable() -> bool:
    """SIGALRM interrupts only the main thread, and only where setitimer exists (not Windows)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class PluginHost:
    """The typed facade over the plugin manager.

    Every hook is called through ``pm.hook`` (or a subset of it), so wrappers, firstresult,
    tryfirst and trylast behave as pluggy documents. What pluggy does not do is done by
    guards put around each implementation when the host is made:

    - per-unit hooks (:data:`ISOLATED_HOOKS`): an implementation that raises (anything,
      ``SystemExit`` included) or returns what its spec does not allow is recorded as a
      :class:`PluginFailure` and counts as having returned None, so the other plugins still
      run; a wrapper that does either is recorded, and the call is made again without it;
    - contribution hooks: a plugin that raises, returns something, or gives ``register``
      what it does not take stops the run with a :class:`PluginError` naming the plugin
      and hook; ``register`` knows which plugin called it and validates what it is given;
    - every result is traced to the plugin that gave it (a wrapper that adds or replaces
      one is its giver), so area scores and findings name their source;
    - ``KeyboardInterrupt`` is never contained: it stops the run.

    While a hook runs, ``sys.stdout`` is ``sys.stderr`` (a plugin's prints never reach
    perfscore's output), and inside :meth:`time_limit` the hooks share a time budget.
    """

    def __init__(self, pm: pluggy.PluginManager, infos: Mapping[str, PluginInfo]):
        self.pm = pm
        self.infos = dict(infos)
        self.failures: list[PluginFailure] = []
        self._methods: dict[str, Any] | None = None
        self._area_owners: dict[str, str] | None = None
        #: area → the perfscore_score_area caller without the area plugins that decline it
        self._area_callers: dict[str, pluggy.HookCaller] = {}
        #: during one hook call: the plugin running now, failures of plain implementations,
        #: and id(result) → (the plugin that gave it, the result, kept alive so ids stay unique)
        self._current = ""
        self._raised: list[tuple[str, str]] = []
        self._produced: dict[int, tuple[str, object]] = {}
        #: the time limit (armed inside time_limit()): _calling while a hook call is under
        #: way (only then may the alarm raise); _expired once the time ran out (the rest of
        #: the unit's hooks are not called); _stopped once that is recorded
        self._calling = False
        self._expired = False
        self._stopped = False
        #: PERFSCORE_HOOK_SECONDS, read when the host is made (once a run, once a worker)
        self._seconds = float(limit("hook_seconds"))
        self._handler_checked = False
        self._label = ""
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
        area_score = hook_name == "perfscore_score_area"

        def guarded(*args: object, **kwargs: object) -> object:
            self._current = plugin
            try:
                result = function(*args, **kwargs)
            except _PASSING:
                raise
            except BaseException as error:  # SystemExit too: a plugin's sys.exit must not end the run
                if not isolated:
                    if isinstance(error, PluginError):
                        raise
                    raise PluginError(Problem(f'plugin "{plugin}" failed in {hook_name}: {_describe(error)}', key="plugin_failed", fields=fill(plugin=plugin, hook=hook_name, error=_describe(error)))) from None
                self._raised.append((plugin, _describe(error)))
                return None
            if result is None:
                return None
            if not isolated:
                raise PluginError(Problem(f'plugin "{plugin}" returned {_summary(result)} from {hook_name}', expected="None: a contribution is given to register()", key="plugin_returned", expected_key="expected_none_returned", fields=fill(plugin=plugin, value=_summary(result), hook=hook_name)))
            if findings:
                if not isinstance(result, list):
                    self._raised.append((plugin, f"returned {_summary(result)}, expected a list of perfscore.Finding or None"))
                    return None
                # each finding names its plugin before any wrapper sees it, so a wrapper
                # that filters or regroups the lists leaves every finding its source
                result = [item.model_copy(update={"source": plugin}) if isinstance(item, Finding) and not item.source else item for item in result]
            elif area_score and not isinstance(result, AreaScore):
                # refused here, so that firstresult goes on to the next plugin (the default)
                self._raised.append((plugin, f"returned {_summary(result)}, expected perfscore.AreaScore or None"))
                return None
            self._produced[id(result)] = (plugin, result)
            return result

        return guarded

    def _wrapper_guard(self, impl: pluggy.HookImpl, hook_name: str, isolated: bool, firstresult: bool) -> Callable[..., object]:
        """A wrapper's generator, run step by step so that what it raises is its own failure.

        pluggy drives a wrapper with one ``next`` and then one ``send`` (the result, or a
        :class:`pluggy.Result` for an old-style ``hookwrapper``) or ``throw`` (what the call
        raised); the guard passes each on and tells the wrapper's own errors from the ones
        it lets through. An interrupt or a timeout is never thrown into the wrapper.
        """
        function, plugin, old_style = impl.function, impl.plugin_name, impl.hookwrapper

        def own(error: BaseException, passing: BaseException | None = None) -> BaseException:
            """What to raise for ``error``: itself when it is passing through, else a failure of this plugin."""
            if error is passing or isinstance(error, (_WrapperFailed, *_PASSING)) or (not isolated and isinstance(error, PluginError)):
                return error
            return _WrapperFailed(plugin, _describe(error))

        def guarded(*args: object, **kwargs: object) -> Generator[None, object, object]:
            self._current = plugin
            try:
                wrapper = cast("Generator[object, object, object]", function(*args, **kwargs))
                next(wrapper)
            except StopIteration:
                raise _WrapperFailed(plugin, "the wrapper did not yield") from None
            except BaseException as error:
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
                except BaseException as error:
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
            except BaseException as error:
                raise own(error) from None
            wrapper.close()
            raise _WrapperFailed(plugin, "the wrapper yielded twice")

        return guarded

    def _claim(self, plugin: str, result: object, firstresult: bool) -> object:
        """Trace what a wrapper added or put in place of the result to that wrapper."""
        if not firstresult and result is not None and not isinstance(result, list):
            raise _WrapperFailed(plugin, f"the wrapper returned {_summary(result)}, expected the list of results")
        for item in [result] if firstresult else cast("list[object]", result or []):
            if item is not None and id(item) not in self._produced:
                self._produced[id(item)] = (plugin, item)
        return result

    def _giver(self, result: object) -> str:
        return self._produced.get(id(result), ("?", None))[0]

    def _call(self, hook_name: str, label: str, kwargs: dict[str, object], caller: pluggy.HookCaller | None = None) -> object:
        """Call a hook through pluggy (or ``caller``, a subset of it); record failures of a
        per-unit hook under ``label``."""
        if caller is None:
            caller = getattr(self.pm.hook, hook_name)
        isolated = hook_name in ISOLATED_HOOKS
        nothing: object = None if hook_name == "perfscore_score_area" else []
        if isolated and self._expired:
            return nothing  # the unit's time is spent: its result is incomplete, and says so
        skipped: list[object] = []
        while True:
            self._raised, self._produced, self._label = [], {}, label
            stdout = sys.stdout
            # what a plugin prints goes to stderr: stdout carries perfscore's output alone
            sys.stdout = sys.stderr
            self._calling = True
            try:
                result = caller(**kwargs)
            except _WrapperFailed as failed:
                if not isolated:
                    raise PluginError(Problem(f'plugin "{failed.plugin}" failed in {hook_name}: {failed.error}', key="plugin_failed", fields=fill(plugin=failed.plugin, hook=hook_name, error=failed.error))) from None
                # the call is lost: record the wrapper and call again without it
                self.failures.append(PluginFailure(failed.plugin, label, failed.error))
                skipped.append(self.pm.get_plugin(failed.plugin))
                caller = self.pm.subset_hook_caller(hook_name, skipped)
                continue
            except HookTimeout:
                self._calling = False
                failure = self._time_out(label, record=isolated)
                if not isolated:
                    raise PluginError(Problem(failure.render(), key="plugin_failed", fields=fill(plugin=failure.plugin, hook=failure.hook, error=failure.error))) from None
                self.failures.extend(PluginFailure(plugin, label, error) for plugin, error in self._raised)
                return nothing
            finally:
                self._calling = False
                sys.stdout = stdout
            self.failures.extend(PluginFailure(plugin, label, error) for plugin, error in self._raised)
            return result

    # -- the time limit ---------------------------------------------------------------

    def time_limit(self) -> _TimeLimit:
        """The hooks called inside share one time limit: ``PERFSCORE_HOOK_SECONDS``.

        At the limit, the hook running is stopped (:class:`HookTimeout` is raised into it)
        and recorded as a failure naming the plugin and hook (``timed_out``); the hooks not
        yet called are not called. Enforced with ``SIGALRM``, which only the main thread of
        a process receives: elsewhere (a thread of a service, Windows) there is no limit.
        Nested uses share the outermost limit.
        """
        return _TimeLimit(self)

    def _on_alarm(self) -> None:
        self._expired = True
        if self._calling:
            raise HookTimeout

    def _time_out(self, label: str, record: bool) -> PluginFailure:
        """The failure of the plugin that was running when the time ran out."""
        self._expired = True
        variable = LIMITS["hook_seconds"].variable
        scope = "the plugin hooks of one unit" if record else "a registration hook"
        error = f"stopped after {self._seconds:g} s, the time limit for {scope} (set by {variable})"
        failure = PluginFailure(self._current or "?", label, error, timed_out=True)
        if record and not self._stopped:
            self.failures.append(failure)
            self._stopped = True
        return failure

    # -- contribution hooks: registered once per run, a failure stops it ------------

    def _registered(self, hook_name: str, validate: Callable[[Any, str], Any]) -> list[tuple[str, Any]]:
        """(plugin, item) for everything registered through a ``register`` hook, by plugin name.

        ``validate(item, plugin)`` returns the item or raises a :class:`PluginError`; the
        first refusal stops the run even if the plugin caught it.
        """
        items: list[tuple[str, Any]] = []
        refused: list[PluginError] = []

        def register(item: Any) -> None:
            plugin = self._current
            try:
                items.append((plugin, validate(item, plugin)))
            except PluginError as error:
                refused.append(error)
                raise

        with self.time_limit():
            self._call(hook_name, hook_name, {"register": register})
        if refused:
            raise refused[0]
        items.sort(key=lambda pair: pair[0])  # stable: a plugin's own items keep their order
        return items

    def _collect(self, hook_name: str, kind: str, key: Callable[[Any], str], validate: Callable[[Any, str], Any]) -> dict[str, tuple[str, Any]]:
        """Run a ``register`` hook on every plugin; refuse an id two plugins give."""
        collected: dict[str, tuple[str, Any]] = {}
        for plugin, item in self._registered(hook_name, validate):
            item_id = key(item)
            if item_id in collected:
                raise PluginError(Problem(f'{kind} "{item_id}" is registered by both plugin "{collected[item_id][0]}" and plugin "{plugin}"', key="plugin_registered_twice", fields=fill(kind=kind, item=item_id, first=collected[item_id][0], second=plugin)))
            collected[item_id] = (plugin, item)
        return collected

    def methods(self) -> dict[str, ScoringMethod]:
        """Scoring methods by name, from every plugin (built-ins included)."""
        if self._methods is None:
            hook_name = "perfscore_register_methods"

            def check(item: Any, plugin: str) -> Any:
                if not isinstance(item, ScoringMethod):
                    raise _refused(plugin, hook_name, item)
                return item

            collected = self._collect(hook_name, "scoring method", lambda m: m.name, check)
            self._methods = {name: method for name, (_, method) in sorted(collected.items())}
        return self._methods

    def area_owners(self) -> dict[str, str]:
        """Area id → the plugin that claimed it."""
        if self._area_owners is None:
            hook_name = "perfscore_register_areas"

            def check(item: Any, plugin: str) -> Any:
                if not isinstance(item, str) or not item:
                    raise _refused(plugin, hook_name, item)
                return item

            collected = self._collect(hook_name, "area", lambda area: area, check)
            self._area_owners = {area: plugin for area, (plugin, _) in sorted(collected.items())}
        return self._area_owners

    def merge_contributions(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Add plugin indicators, area defaults and templates to a resolved raw ruleset.

        Each contribution is validated when it is registered and checked against the
        ruleset here, so that a fault names the plugin (and its file), not the ruleset.
        """
        raw = dict(raw)
        indicators = list(raw.get("indicators", []))
        owners = {entry.get("id"): f'ruleset file {entry.get("source", "?")}' for entry in indicators}
        areas = dict(raw.get("areas", {}))
        templates = dict(raw.get("templates", {}))
        contributed: list[tuple[str, str | None, str, dict[str, Any]]] = []
        for plugin, (file, entries, area_defaults, plugin_templates) in self._registered("perfscore_register_indicators", _indicator_contribution):
            templates = {**plugin_templates, **templates}
            for position, entry in enumerate(entries):
                entry = {**entry, "source": f"plugin {plugin}"}
                if entry["id"] in owners:
                    raise PluginError(Problem(f'indicator "{entry["id"]}" is defined by both {owners[entry["id"]]} and plugin "{plugin}"', key="plugin_indicator_twice", fields=fill(indicator=entry["id"], first=owners[entry["id"]], second=plugin)))
                owners[entry["id"]] = f'plugin "{plugin}"'
                indicators.append(entry)
                contributed.append((plugin, file, f"indicators[{position}]" if file else f'indicator "{entry["id"]}"', entry))
            for area, settings in area_defaults.items():
                # the ruleset's own settings win: a bureau overrides a plugin's defaults
                areas[area] = {**settings, **areas.get(area, {})}
        _check_against_ruleset(contributed, raw, areas)
        for plugin, (_, plugin_templates) in self._registered("perfscore_register_templates", _template_contribution):
            for template_id, template in plugin_templates.items():
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
        caller = self._area_callers.get(area)
        if caller is None:
            caller = self._area_callers[area] = self._area_caller(area)
        result = self._call("perfscore_score_area", label, {"area": area, "unit": unit}, caller)
        if result is None:
            return None
        giver = self._giver(result)
        if not isinstance(result, AreaScore):
            self.failures.append(PluginFailure(giver, label, f"returned {type(result).__name__}, expected perfscore.AreaScore"))
            return None
        return giver, result

    def _area_caller(self, area: str) -> pluggy.HookCaller:
        """perfscore_score_area for ``area`` through pluggy, without the plugins known to
        return None for it: :class:`~perfscore.plugin.sdk.AreaPlugin` subclasses that keep
        the base class's implementation (it scores its own ``area`` only) and claim another
        area. Every other implementation, wrappers included, runs as pluggy orders it, so
        the result is the one the whole hook would give, with a call per area plugin fewer."""
        declining = [
            plugin
            for plugin in self.pm.get_plugins()
            if isinstance(plugin, AreaPlugin)
            and type(plugin).perfscore_score_area is AreaPlugin.perfscore_score_area
            and getattr(plugin, "area", None) != area
        ]
        return self.pm.subset_hook_caller("perfscore_score_area", declining)

    def describe(self) -> list[PluginInfo]:
        """Plugins with their hooks and claimed areas, sorted by name."""
        owners = self.area_owners()
        infos = []
        for name, info in sorted(self.infos.items()):
            plugin = self.pm.get_plugin(name)
            hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
            infos.append(PluginInfo(name, info.version, info.origin, hooks, sorted(a for a, owner in owners.items() if owner == name)))
        return infos


# --------------------------------------------------------------------------- what register() takes


def _refused(plugin: str, hook_name: str, item: object) -> PluginError:
    return PluginError(Problem(f'plugin "{plugin}" called register() in {hook_name} with {_summary(item)}', expected=_REGISTER_EXPECTS[hook_name], key="plugin_register_refused", expected_key=f"expected_{hook_name}", fields=fill(plugin=plugin, hook=hook_name, value=_summary(item))))


def _read_contribution(plugin: str, hook_name: str, item: object) -> tuple[str, dict[str, Any]]:
    """A registered TOML file, read; a fault names the plugin as well as the file."""
    if not _is_path(item):
        raise _refused(plugin, hook_name, item)
    path = Path(cast("str", item))
    try:
        return str(path), read_toml(path)
    except PerfscoreError as error:
        raise PluginError([replace(within(problem, f'plugin "{plugin}" registered this file in {hook_name}: {problem.message}', "plugin_file_problem", plugin=plugin, hook=hook_name), file=problem.file or str(path)) for problem in error.problems]) from None


def _validated(model: type[BaseModel], entry: object, plugin: str, hook_name: str, file: str | None, where: str, what: str) -> dict[str, Any]:
    """``entry`` checked against ``model`` (with its ``source`` set, as the ruleset will have it)."""
    if not isinstance(entry, Mapping):
        raise PluginError(Problem(f'plugin "{plugin}" gave {_summary(entry)} as {what} in {hook_name}', file=file, location=where, expected="a table (a mapping)", key="plugin_gave_not_table", expected_key="expected_mapping", fields=fill(plugin=plugin, value=_summary(entry), what=what, hook=hook_name)))
    entry = {**entry, "source": f"plugin {plugin}"}
    try:
        model.model_validate(entry)
    except ValidationError as error:
        problems = validation_problems(error, file or "", where, docs="docs/rulesets.md")
        raise PluginError([replace(within(problem, f'plugin "{plugin}" gave an invalid {what} in {hook_name}: {problem.message}', "plugin_gave_invalid", plugin=plugin, what=what, hook=hook_name), file=file) for problem in problems]) from None
    return entry


def _indicator_contribution(item: object, plugin: str) -> tuple[str | None, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """What ``register`` of perfscore_register_indicators was given: (file, indicators, area defaults, templates)."""
    hook_name = "perfscore_register_indicators"
    if isinstance(item, Mapping):
        where = f'indicator "{item.get("id", "?")}"'
        return None, [_validated(IndicatorDef, item, plugin, hook_name, None, where, "indicator")], {}, {}
    file, document = _read_contribution(plugin, hook_name, item)
    entries, areas, templates = document.get("indicators", []), document.get("areas", {}), document.get("templates", {})
    shapes = (("indicators", isinstance(entries, list), "an array of tables [[indicators]]"), ("areas", _tables(areas), "[areas.<id>] tables"), ("templates", _tables(templates), "[templates.<id>] tables"))
    for key, right, expected in shapes:
        if not right:
            raise PluginError(Problem(f'plugin "{plugin}" registered this file in {hook_name}, whose {key} is not what it should be', file=file, location=key, expected=expected, key="plugin_file_shape", expected_key=f"expected_plugin_{key}", fields=fill(plugin=plugin, hook=hook_name, key=key)))
    checked = [_validated(IndicatorDef, entry, plugin, hook_name, file, f"indicators[{position}]", "indicator") for position, entry in enumerate(entries)]
    for template_id, template in templates.items():
        _validated(FindingTemplate, template, plugin, hook_name, file, f"templates.{template_id}", "template")
    return file, checked, areas, templates


def _tables(value: object) -> bool:
    """Whether ``value`` is a TOML table of tables (``[areas.<id>]``, ``[templates.<id>]``)."""
    return isinstance(value, dict) and all(isinstance(item, dict) for item in value.values())


def _template_contribution(item: object, plugin: str) -> tuple[str, dict[str, Any]]:
    """What ``register`` of perfscore_register_templates was given: (file, templates)."""
    hook_name = "perfscore_register_templates"
    file, document = _read_contribution(plugin, hook_name, item)
    templates = document.get("templates", {})
    if not _tables(templates):
        raise PluginError(Problem(f'plugin "{plugin}" registered this file in {hook_name}, whose templates are not tables', file=file, location="templates", expected="[templates.<id>] tables", key="plugin_templates_not_tables", expected_key="expected_plugin_templates", fields=fill(plugin=plugin, hook=hook_name)))
    for template_id, template in templates.items():
        _validated(FindingTemplate, template, plugin, hook_name, file, f"templates.{template_id}", "template")
    return file, templates


def _check_against_ruleset(contributed: list[tuple[str, str | None, str, dict[str, Any]]], raw: Mapping[str, Any], areas: Mapping[str, Any]) -> None:
    """Each contributed indicator's area and levels exist in the ruleset: else name the plugin."""
    levels = raw.get("levels", {}) if isinstance(raw.get("levels"), dict) else {}
    ruleset = raw.get("ruleset", {}).get("id", "?") if isinstance(raw.get("ruleset"), dict) else "?"
    problems = []
    for plugin, file, where, entry in contributed:
        said = f'plugin "{plugin}" registered indicator "{entry["id"]}" in perfscore_register_indicators, but'
        named = {"plugin": plugin, "indicator": entry["id"], "ruleset": ruleset}
        level1 = levels.get(entry["level1"])
        if not levels:
            pass  # a ruleset without levels is its own fault: its validation names the file and key
        elif not isinstance(level1, dict):
            problems.append(Problem(f'{said} its level1 {entry["level1"]!r} is not a level of ruleset "{ruleset}"', file=file, location=f"{where}.level1", expected=f"one of {', '.join(sorted(levels))}", key="plugin_indicator_level1", expected_key="expected_one_of", fields=fill(**named, level1=repr(entry["level1"]), known=", ".join(sorted(levels)))))
        elif entry["level2"] not in (level1.get("level2") or {}):
            problems.append(Problem(f'{said} its level2 {entry["level2"]!r} is not a level-2 category of {entry["level1"]} in ruleset "{ruleset}"', file=file, location=f"{where}.level2", expected=f"one of {', '.join(sorted(level1.get('level2') or {}))}", key="plugin_indicator_level2", expected_key="expected_one_of", fields=fill(**named, level2=repr(entry["level2"]), level1=entry["level1"], known=", ".join(sorted(level1.get("level2") or {})))))
        if entry["area"] not in areas:
            problems.append(Problem(f'{said} its area {entry["area"]!r} is not an area of ruleset "{ruleset}"', file=file, location=f"{where}.area", expected=f"one of {', '.join(sorted(areas))}, or [areas.{entry['area']}] defaults in the plugin's file", key="plugin_indicator_area", expected_key="expected_area_or_defaults", fields=fill(**named, area=repr(entry["area"]), known=", ".join(sorted(areas)), table=f"[areas.{entry['area']}]")))
    if problems:
        raise PluginError(problems)
