"""The commands about the whole database and the install: report, demo, check, plugins."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

from omnicontact.bench import demo
from omnicontact.cli.files import _hub, _loaded
from omnicontact.cli.show import _as_of, _plural
from omnicontact.hub import Hub
from omnicontact.persistence import StoreCheck

__all__ = ["_cmd_check", "_cmd_demo", "_cmd_plugins", "_cmd_report"]


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    with _loaded(args) as hub:
        return _report(hub, args, out)


def _report(hub: Hub, args: argparse.Namespace, out: TextIO) -> int:
    from omnicontact.analytics.report import build_report, render_html, render_text

    as_of = _as_of(args.as_of) or hub.now()
    report = build_report(hub, as_of=as_of, track=args.track, conversion=args.conversion)
    if args.json:
        data = {
            "as_of": report.as_of.isoformat(),
            "track": report.track,
            "contacts": report.contacts,
            "identified": report.identified,
            "touchpoints": report.touchpoints,
            "channels": list(report.channels),
        }
        for name in ("funnel", "flows", "counts", "attribution", "attribution_value", "paths"):
            data[name] = json.loads(getattr(report, name).to_json())
        data["kpis"] = json.loads(report.kpis.to_json())
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(report))
    if args.html:
        Path(args.html).write_text(render_html(report), encoding="utf-8")
        if not args.json:
            out.write(f"\nHTML report written to {args.html}\n")
    return 0


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    return demo.run(args, out)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    if not os.path.exists(args.db):
        raise FileNotFoundError(f"no database at {args.db}")
    with _hub(args) as hub:
        found = hub.check()
        repaired = False
        if not found.ok and args.repair and found.integrity == "ok":
            hub.rebuild()
            repaired, found = True, hub.check()
    if args.json:
        payload = {
            "ok": found.ok,
            "touchpoints": found.touchpoints,
            "contacts": found.contacts,
            "integrity": found.integrity,
            "differences": list(found.differences),
            "repaired": repaired,
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        _print_check(found, repaired, out)
    return 0 if found.ok else 1


def _print_check(found: StoreCheck, repaired: bool, out: TextIO) -> None:
    out.write(
        f"{_plural(found.touchpoints, 'touchpoint')}, {_plural(found.contacts, 'contact')}\n"
        f"integrity: {found.integrity}\n"
    )
    if repaired:
        out.write("projections rebuilt from the log\n")
    for difference in found.differences:
        out.write(f"differs: {difference}\n")
    if found.ok:
        out.write("projections equal a replay of the log\n")
    elif found.integrity == "ok":
        out.write("run `omnicontact check --repair` to rebuild the projections\n")


def _cmd_plugins(args: argparse.Namespace, out: TextIO) -> int:
    hub = Hub(load_entry_points=False if args.no_plugins else None)
    kinds_by_plugin: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for name, (kind, plugin) in hub.kinds.as_mapping().items():
        kinds_by_plugin.setdefault(plugin, []).append(
            f"{name}{':<qualifier>' if kind.qualified else ''} ({kind.strength.value})"
        )
        descriptions[name] = kind.description
    contributed: dict[str, dict[str, list[str]]] = {}
    for hook, label in (
        ("register_matching_rules", "rules"),
        ("register_merge_guards", "guards"),
        ("register_stage_models", "models"),
        ("register_scoring_strategies", "strategies"),
    ):
        for plugin, item in hub.plugins.collect(hook, config=hub.matching):
            contributed.setdefault(plugin, {}).setdefault(label, []).append(item.name)
    rows: list[dict[str, Any]] = []
    for info in hub.plugins.info():
        rows.append(
            {
                "name": info.name,
                "builtin": info.builtin,
                "distribution": info.distribution,
                "version": info.version,
                "hooks": list(info.hooks),
                "identifier_kinds": kinds_by_plugin.get(info.name, []),
                "matching_rules": contributed.get(info.name, {}).get("rules", []),
                "merge_guards": contributed.get(info.name, {}).get("guards", []),
                "stage_models": contributed.get(info.name, {}).get("models", []),
                "scoring_strategies": contributed.get(info.name, {}).get("strategies", []),
                "channel_adapters": sorted(
                    name for name in hub.adapters if hub.adapters.plugin_of(name) == info.name
                ),
            }
        )
    if args.json:
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    for row in rows:
        origin = "built-in" if row["builtin"] else f"{row['distribution']} {row['version']}"
        out.write(f"{row['name']}  ({origin})\n  hooks: {', '.join(row['hooks'])}\n")
        for kind in row["identifier_kinds"]:
            name = kind.split(":")[0].split(" ")[0]
            out.write(f"  identifier kind {kind}: {descriptions[name]}\n")
        if row["matching_rules"]:
            out.write(f"  matching rules: {', '.join(row['matching_rules'])}\n")
        if row["stage_models"]:
            out.write(f"  stage models: {', '.join(row['stage_models'])}\n")
        if row["scoring_strategies"]:
            out.write(f"  scoring strategies: {', '.join(row['scoring_strategies'])}\n")
        if row["merge_guards"]:
            out.write(f"  merge guards: {', '.join(row['merge_guards'])}\n")
        for name in row["channel_adapters"]:
            out.write(f"  channel adapter {name}: {hub.adapters[name].description}\n")
    return 0
