"""No personal data in what the library shows: logs, errors, reprs, the CLI's messages.

Many scenarios run over the sample journeys (``examples/journeys.jsonl`` and the
channel-native folder ``examples/journeys/``): ingestion on each store, bad
e-mails and phones made from the sample's own values, conflicting ids, unknown
contacts, failing plug-ins, the quarantine, decisions, erasure, and the CLI on
errors. Every text they show is collected — log records of ``omnicontact`` at
DEBUG, warnings, exception messages, ``repr`` and ``str`` of every public object,
the CLI's stderr (and its stdout, except ``show``/``ingest``/``export``, whose
output *is* the contact data) — and searched for every raw personal value of
the sample: e-mails (any case), phones (as written and in E.164), first and
last names, streets, postal code with city, birth dates.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import omnicontact as oc
from omnicontact.cli import main
from omnicontact.sources import SourceSet

from .conftest import make_hub
from .test_journeys import NATIVE, SAMPLE, _native

NAME_TRAITS = ("first_name", "last_name", "street", "birth_date")


# --------------------------------------------------------------------------- the values


# Two records of one person without a shared identifier: a pair left for review.
DOUBTFUL = [
    {
        "id": "crm-1",
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "channel": "store",
        "action": "signup",
        "identifiers": {"email": "jean.dupont@example.fr"},
        "traits": {
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-05-03",
            "postal_code": "75011",
            "country": "FR",
        },
    },
    {
        "id": "call-1",
        "occurred_at": "2026-03-05T10:00:00+00:00",
        "channel": "call_centre",
        "action": "call",
        "identifiers": {"phone": "+33 6 98 76 54 32"},
        "traits": {
            "first_name": "Jean",
            "last_name": "Dupond",
            "postal_code": "75011",
            "country": "FR",
        },
    },
]


def _sample_touchpoints() -> list[oc.Touchpoint]:
    """Every touchpoint of both samples as read, before the hub normalizes anything."""
    from omnicontact.adapters.tabular import read_csv

    lines = SAMPLE.read_text("utf-8").splitlines()
    out = [oc.Touchpoint.from_mapping(json.loads(line)) for line in lines]
    out += [oc.Touchpoint.from_mapping(row) for row in DOUBTFUL]
    adapters = oc.Hub(load_entry_points=False).adapters
    for source in SourceSet.from_path(NATIVE).sources:
        adapter = adapters.get_adapter(source.reader)
        if source.path.suffix == ".csv":
            rows: list[object] = list(read_csv(source.path))
        else:
            rows = [json.loads(line) for line in source.path.read_text("utf-8").splitlines()]
        for row in rows:
            out.extend(adapter.parse(row))
    return out


@dataclass
class Secrets:
    """The sample's personal values; :meth:`found` says which appear in a text."""

    plain: set[str] = field(default_factory=set)  # compared case-folded
    pairs: set[tuple[str, str]] = field(default_factory=set)  # postal code with city

    def found(self, text: str) -> list[str]:
        folded = text.casefold()
        hits = [value for value in self.plain if value.casefold() in folded]
        hits += [
            f"{a} {b}" for a, b in self.pairs if a.casefold() in folded and b.casefold() in folded
        ]
        return sorted(hits)


def _secrets() -> Secrets:
    secrets = Secrets()
    hub = make_hub()
    for tp in _sample_touchpoints():
        region = tp.traits.get("country")
        for ident in tp.identifiers:
            if ident.kind in ("email", "phone"):
                secrets.plain.add(ident.value.strip())
                secrets.plain.add(hub.normalize(ident, region=region).value)
        for name in NAME_TRAITS:
            if isinstance(tp.traits.get(name), str):
                secrets.plain.add(tp.traits[name].strip())
        if "postal_code" in tp.traits and "city" in tp.traits:
            secrets.pairs.add((str(tp.traits["postal_code"]), str(tp.traits["city"])))
    return secrets


SECRETS = _secrets()
EMAILS = sorted(v for v in SECRETS.plain if "@" in v)
PHONES = sorted(v for v in SECRETS.plain if v[:1] in "+0(")


# --------------------------------------------------------------------------- collecting


@dataclass
class Shown:
    """Every text the scenarios made the library show, by category."""

    texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, category: str, where: str, text: object) -> None:
        self.texts.setdefault(category, []).append((where, str(text)))

    def objects(self, where: str, *objs: object) -> None:
        for obj in objs:
            self.add("reprs", f"{where}: {type(obj).__name__}", repr(obj))
            self.add("reprs", f"{where}: str({type(obj).__name__})", str(obj))

    @contextlib.contextmanager
    def raises(self, where: str, *, required: bool = True) -> Iterator[None]:
        """Expect an omnicontact error (unless not *required*); keep its message and repr."""
        try:
            yield
        except oc.OmnicontactError as err:
            self.add("errors", f"{where}: {type(err).__name__}", err)
            self.add("errors", f"{where}: repr", repr(err))
        else:
            assert not required, f"{where}: no error raised"


class _Records(logging.Handler):
    def __init__(self, shown: Shown) -> None:
        super().__init__(logging.DEBUG)
        self.shown = shown

    def emit(self, record: logging.LogRecord) -> None:
        self.shown.add("logs", record.name, self.format(record))


def _sample_hub(shown: Shown, store: str) -> oc.Hub:
    hub = oc.Hub.open(":memory:", load_entry_points=False) if store == "sqlite" else make_hub()
    rows = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    shown.objects(f"{store} ingest", hub.ingest(rows))
    shown.objects(f"{store} native", _native(hub))
    return hub


def _public_objects(shown: Shown, hub: oc.Hub, where: str) -> None:
    """repr and str of everything a reader of the hub gets."""
    shown.objects(where, hub, hub.stats(), *hub.audit(), *hub.review_queue())
    for contact in hub.contacts():
        explanation = hub.explain(contact)
        shown.objects(where, contact, explanation, *explanation.links, *explanation.ignored)
        shown.add("reprs", f"{where}: Explanation.as_dict", explanation.as_dict())
        shown.objects(where, *contact.timeline, *contact.identifiers, *contact.cases)
        shown.objects(where, *contact.scores.values(), *contact.stages.values())
        for history in contact.stages.values():
            shown.objects(where, *history.changes)
        shown.objects(where, contact.lifecycle)
    for tp in list(hub.touchpoints())[:3]:
        shown.objects(where, hub.add(tp))  # a duplicate: its Receipt


def _bad_inputs(shown: Shown, hub: oc.Hub) -> None:
    """Invalid e-mails and phones made of the sample's values; unknown contacts."""
    for n, email in enumerate(EMAILS):
        for bad in (email + ">", email.replace("@", "@@"), f"<{email}", email + "..", email + " x"):
            with shown.raises(f"normalize bad email {n}"):
                hub.normalize(oc.Identifier("email", bad))
            with shown.raises(f"add bad email {n}"):
                hub.add(_touchpoint(f"bad-{n}", ("email", bad)))
        with shown.raises(f"unknown contact by email {n}"):
            hub.contact(oc.Identifier("email", "x" + email.strip()))
    for n, phone in enumerate(PHONES):
        for bad in (phone + "99999999", phone + "x", phone.replace("+", "++"), phone[:4]):
            with shown.raises(f"normalize bad phone {n}", required=False):
                hub.normalize(oc.Identifier("phone", bad))
        with shown.raises(f"unknown contact by phone {n}"):
            other = phone[:-1] + ("1" if phone[-1] == "0" else "0")
            hub.contact(oc.Identifier("phone", other), region="FR")
    for n, value in enumerate(sorted(SECRETS.plain)):
        for name in ("country", "language", "birth_date"):
            with shown.raises(f"trait {name} {n}"):
                hub.add(
                    _touchpoint(f"trait-{n}", ("cookie_id", "ck-x"), traits={name: value + "!"})
                )
        with shown.raises(f"unknown contact id {n}"):
            hub.contact(value)
        with shown.raises(f"unknown touchpoint {n}"):
            hub.touchpoint(value)
        with shown.raises(f"unknown kind {n}"):
            hub.normalize(oc.Identifier("nosuchkind", value))
        with shown.raises(f"hub option {n}"):
            make_hub(default_region=value)
    tp = next(iter(hub.touchpoints()))
    other = _touchpoint(tp.id, ("email", EMAILS[0]))
    with shown.raises("conflicting id"):
        hub.add(other)


def _touchpoint(tid: str, *idents: tuple[str, str], traits: dict[str, Any] | None = None) -> Any:
    return oc.Touchpoint(
        id=tid,
        occurred_at=oc.Touchpoint.from_mapping(
            {"id": "x", "occurred_at": "2026-04-01T10:00:00Z", "channel": "web", "action": "a"}
        ).occurred_at,
        channel="web",
        action="page_view",
        identifiers=[oc.Identifier(k, v) for k, v in idents],
        traits=traits or {},
    )


def _quarantine(shown: Shown, hub: oc.Hub) -> None:
    """Bad records of every adapter quarantined; reasons, rejections, replays."""
    rows: list[dict[str, Any]] = []
    for n, email in enumerate(EMAILS):
        rows.append(
            {
                "type": "identify",
                "messageId": f"q-{n}",
                "userId": email,
                "traits": {"email": email + ">", "phone": PHONES[n % len(PHONES)] + "x"},
                "timestamp": "2026-04-01T10:00:00Z",
            }
        )
    shown.objects("segment quarantine", report := hub.ingest(rows, adapter="segment"))
    shown.objects("segment rejections", *report.quarantined)
    esp = [
        {
            "event": "open",
            "email": e + "@",
            "timestamp": "2026-04-01T10:00:00Z",
            "sg_event_id": f"sg-q{n}",
        }
        for n, e in enumerate(EMAILS)
    ]
    shown.objects("esp quarantine", *hub.ingest(esp, adapter="email_events").quarantined)
    orders = [
        {
            "order_id": f"Q-{n}",
            "placed_at": "2026-04-01",
            "phone": p + "x",
            "email": "@" + p,
            "lines": [],
            "customer": {"first_name": "Camille", "birth_date": p},
        }
        for n, p in enumerate(PHONES)
    ]
    shown.objects("orders quarantine", *hub.ingest(orders, adapter="orders").quarantined)
    forms = [
        {
            "id": f"f-{n}",
            "occurred_at": v,
            "channel": v,
            "action": v,
            "identifiers": {"email": v},
            "traits": {"country": v},
        }
        for n, v in enumerate(EMAILS)
    ]
    shown.objects("form quarantine", *hub.ingest(forms).quarantined)
    shown.objects("quarantine", *hub.quarantine())
    shown.objects("replay", hub.replay_quarantine())
    with shown.raises("add_many raise"):
        hub.add_many([_touchpoint("r-1", ("email", EMAILS[0] + ">"))], on_error="raise")


class _Failing:
    """A plug-in whose every hook raises with a personal value in its message."""

    name = "failing"
    description = "raises"

    @oc.hookimpl
    def contact_merged(self) -> None:
        raise RuntimeError(f"merged {EMAILS[0]}")

    @oc.hookimpl
    def touchpoint_rejected(self, rejection: oc.Rejection) -> None:
        raise RuntimeError(f"rejected {rejection.record!r}")

    @oc.hookimpl
    def register_channel_adapters(self) -> list[object]:
        return [self]

    def parse(self, payload: Any) -> list[oc.Touchpoint]:
        raise ValueError(f"cannot read {payload!r}")


class _FailingStages:
    """A stage model whose rule raises on a purchase, with a personal value in the message."""

    __name__ = "failing_stages"

    @oc.hookimpl
    def register_stage_models(self) -> list[oc.StageModel]:
        from omnicontact.lifecycle import TouchpointRule, on_action

        class Boom(TouchpointRule):
            def matches(self, touchpoint: oc.Touchpoint, ctx: Any) -> bool:
                if touchpoint.action == "purchase":
                    raise ZeroDivisionError(EMAILS[0])
                return False

        stages = (oc.Stage("in", 0, "In."), oc.Stage("out", 1, "Out."))
        rules = (on_action("joined", "in", "page_view"), Boom(name="boom", to="out"))
        return [oc.StageModel(name="fragile", stages=stages, rules=rules, initial=None)]


class _FailingGuard:
    """A merge guard that raises on every identifier, with its value in the message."""

    name = "failing_guard"

    @oc.hookimpl
    def register_merge_guards(self) -> list[object]:
        return [self]

    def blocks(self, identifier: oc.Identifier) -> str | None:
        raise RuntimeError(f"cannot judge {identifier.value}")

    def vetoes(self, a: object, b: object) -> str | None:
        return None


def _plugins(shown: Shown) -> None:
    """Plug-ins that fail with personal values in their messages: only names show."""
    hub = make_hub(plugins=[_Failing(), _FailingStages()], default_region="FR")
    rows = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    for n, row in enumerate(rows):  # one at a time: merges of contacts already issued
        with shown.raises(f"failing listener {n}", required=False):
            hub.ingest([row])
    with shown.raises("failing rejection listener"):
        hub.ingest([{**rows[3], "id": "bad", "identifiers": {"email": EMAILS[0] + ">"}}])
    assert sum("failing listener" in where for where, _ in shown.texts["errors"]) >= 2
    with shown.raises("failing adapter"):
        hub.ingest(rows[:5], adapter="failing")
    shown.objects("failing", *hub.quarantine())
    _public_objects(shown, hub, "failing plug-ins")
    hub = make_hub(plugins=[_FailingGuard()], default_region="FR")
    shown.objects("failing guard", hub.ingest(rows))
    _public_objects(shown, hub, "failing guard")


def _reviews(shown: Shown, tmp: Path) -> None:
    """A doubtful pair: review items, explanations, then each decision."""
    for decide in ("confirm", "reject"):
        hub = make_hub()
        shown.objects("doubtful", hub.ingest(DOUBTFUL))
        items = hub.review_queue()
        assert items, "the doubtful pair is left for review"
        _public_objects(shown, hub, "review")
        shown.objects("decision", getattr(hub, decide)(items[0]))
        _public_objects(shown, hub, decide)
    path = tmp / "doubtful.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in DOUBTFUL), "utf-8")
    for argv in (["review", str(path)], ["review", str(path), "--json"]):
        out = io.StringIO()
        main([*argv, "--memory", "--no-plugins"], out=out)
        shown.add("cli", "stdout of review", out.getvalue())


def _decisions(shown: Shown, hub: oc.Hub) -> None:
    """Wrong decisions and an erasure."""
    contacts = list(hub.contacts())
    a, b = contacts[0], contacts[1]
    with shown.raises("split a lone touchpoint"):
        hub.split(a, [[a.touchpoint_ids[0]], list(b.touchpoint_ids)])
    with shown.raises("confirm unknown"):
        hub.confirm(EMAILS[0], EMAILS[1])
    shown.objects("erase", hub.erase(oc.Identifier("email", EMAILS[0])))
    with shown.raises("erase again"):
        hub.erase(oc.Identifier("email", EMAILS[0]))
    rows = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines()]
    shown.objects("re-ingest erased", hub.ingest(rows))
    _public_objects(shown, hub, "after erasure")


def _cli(shown: Shown, tmp: Path) -> None:
    """The command line on errors (stderr) and its non-data outputs (stdout)."""
    bad = tmp / "bad.jsonl"
    bad.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"b-{n}",
                    "occurred_at": "2026-04-01T10:00:00Z",
                    "channel": "web",
                    "action": "a",
                    "identifiers": {"email": e + ">", "phone": e},
                }
            )
            + "\n"
            for n, e in enumerate(EMAILS)
        )
        + "not json "
        + EMAILS[0]
        + "\n",
        "utf-8",
    )
    db = str(tmp / "cli.db")
    runs: list[tuple[bool, list[str]]] = [(False, ["ingest", str(bad), "--db", db])]
    for email in EMAILS[:4]:
        runs += [
            (False, ["show", f"email={email}x", "--memory"]),
            (False, ["show", f"email={email}>", "--memory"]),
            (True, ["explain", f"email={email}", "--memory"]),
            (True, ["explain", f"email={email}", "--memory", "--json"]),
            (True, ["explain", f"email={email}>", "--memory"]),
        ]
    for phone in PHONES[:4]:
        runs += [(False, ["show", f"phone={phone}x", "--memory", "--region", "FR"])]
    runs += [
        (False, ["show", "email=" + EMAILS[0], "--memory", "--as-of", "1988-11-23x"]),
        (True, ["review", "--memory"]),
        (True, ["report", "--memory"]),
        (True, ["review", "--db", db]),
        (True, ["check", "--db", db]),
        (True, ["plugins", "--no-plugins"]),
        (False, ["show", "--memory"]),
        (False, ["erase", "email=x" + EMAILS[0], "--db", db]),
        (False, ["export", "email=x" + EMAILS[0], "--db", db]),
    ]
    for keep_stdout, argv in runs:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.suppress(SystemExit):
            main(argv, out=out)
        shown.add("cli", f"stderr of {argv[0]}", err.getvalue())
        if keep_stdout:
            shown.add("cli", f"stdout of {argv[0]}", out.getvalue())


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Shown:
    """Run every scenario once, collecting what the library shows."""
    result = Shown()
    logger = logging.getLogger("omnicontact")
    handler = _Records(result)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for store in ("memory", "sqlite"):
                hub = _sample_hub(result, store)
                _public_objects(result, hub, store)
                _bad_inputs(result, hub)
                _quarantine(result, hub)
                _decisions(result, hub)
            _plugins(result)
            _reviews(result, tmp_path_factory.mktemp("reviews"))
            _cli(result, tmp_path_factory.mktemp("cli"))
        for warning in caught:
            result.add("logs", f"warning {warning.category.__name__}", warning.message)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return result


class TestTheSearch:
    """The search itself: it knows the sample's values and finds them when shown."""

    def test_values_come_from_the_sample(self) -> None:
        """Six people's e-mails, phones in both forms, names and a birth date are searched."""
        assert {"camille.lefevre@example.fr", "+33612345678", "06 12 34 56 78"} <= {
            v.casefold() for v in SECRETS.plain
        }
        assert {"Lefèvre", "Zoë", "1988-11-23"} <= SECRETS.plain
        assert ("69003", "Lyon") in SECRETS.pairs
        assert len(EMAILS) >= 12
        assert len(PHONES) >= 8

    def test_it_finds_contact_data_where_it_belongs(self) -> None:
        """``show`` prints the contact: the search finds the values there (a positive control)."""
        out = io.StringIO()
        main(["show", "email=camille.lefevre@example.fr", "--memory"], out=out)
        assert "camille.lefevre@example.fr" in SECRETS.found(out.getvalue())

    def test_every_category_was_collected(self, shown: Shown) -> None:
        """Logs, errors, reprs and CLI texts were all gathered, in numbers."""
        counts = {name: len(texts) for name, texts in shown.texts.items()}
        assert counts.get("errors", 0) > 200, counts
        assert counts.get("reprs", 0) > 1000, counts
        assert counts.get("cli", 0) > 20, counts
        assert counts.get("logs", 0) > 0, counts


@pytest.mark.parametrize("category", ["logs", "errors", "reprs", "cli"])
def test_nothing_shown_holds_a_personal_value(shown: Shown, category: str) -> None:
    """No collected text of this category contains a raw value of the sample."""
    leaks = [
        (where, SECRETS.found(text))
        for where, text in shown.texts.get(category, [])
        if SECRETS.found(text)
    ]
    assert not leaks, leaks[:10]
