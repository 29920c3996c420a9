"""Erasure that really erases, suppression of erased people, and export: the Hub's privacy part.

:meth:`Privacy.erase` removes a person's touchpoints from the log (the later
ones move up), rebuilds every projection from what is left, forgets the
quarantined records that carry the person's identifiers, takes their contact
and touchpoint ids out of the audit ledger (which keeps one ``erase`` entry
with counts only), and leaves keyed hashes of what the person was known by on
a suppression list, so that replaying or re-ingesting their old data does not
create them again. On SQLite the deleted content is zeroed (``secure_delete``)
and the WAL checkpointed and truncated, so the values are gone from the bytes
of the files. :meth:`Privacy.export` gives everything known about a person as
one JSON document.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import attrs

from omnicontact._frozen import thaw
from omnicontact.errors import InvalidTouchpointError, SuppressedError
from omnicontact.ingest import Rejection
from omnicontact.matching.audit import AuditEntry
from omnicontact.model import Contact, Identifier, Touchpoint

if TYPE_CHECKING:
    from omnicontact.hub import Hub, Receipt
    from omnicontact.lifecycle.engine import Lifecycle
    from omnicontact.normalize.normalizer import TouchpointNormalizer
    from omnicontact.store.base import Store

__all__ = ["EXPORT_FORMAT", "Erasure", "Privacy"]

EXPORT_FORMAT = "omnicontact.export/1"
"""The ``format`` field of :meth:`Privacy.export`'s document."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9_.:-]*")

ERASED = "(erased)"
"""What replaces an erased contact's or touchpoint's id in the audit ledger."""


@attrs.frozen
class Erasure:
    """What :meth:`Privacy.erase` did: counts only, no personal data.

    :param touchpoints: touchpoints removed from the log.
    :param suppressed: keyed hashes added to the suppression list (touchpoint
        ids, and identifiers nobody else carries).
    :param shared: identifiers left off the list because other contacts carry
        them too (a family tablet): suppressing them would block those people.
    :param quarantined: quarantined records forgotten because they carried one
        of the person's identifiers or touchpoint ids.
    :param audit_entries: ledger entries rewritten or dropped.
    """

    touchpoints: int
    suppressed: int
    shared: int
    quarantined: int
    audit_entries: int


def keyed_hash(secret: bytes, kind: str, value: str) -> str:
    """Return the HMAC-SHA-256 (hex) of ``kind`` and ``value`` under *secret*."""
    return hmac.new(secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _strings(value: Any) -> Iterator[str]:
    """Yield every string inside a JSON-like value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class Privacy:
    """Erasure, suppression and export (mixed into :class:`~omnicontact.Hub`)."""

    if TYPE_CHECKING:  # provided by Hub
        _lock: threading.RLock
        _store: Store
        _normalizer: TouchpointNormalizer
        _warm: bool
        lifecycle: Lifecycle

        def _now(self) -> datetime: ...
        def _position(self, touchpoint_id: str) -> int: ...

    def _as_hub(self) -> Hub:
        return cast("Hub", self)

    _suppressed_cache: tuple[object, frozenset[str]] | None = None

    # ------------------------------------------------------------------ suppression

    def _suppressed(self) -> frozenset[str]:
        """Return the suppression list, read again when the store's version moved."""
        version = self._store.rules_version()
        cached = self._suppressed_cache
        if cached is None or cached[0] != version:
            cached = (version, self._store.suppressions())
            self._suppressed_cache = cached
        return cached[1]

    def _check_suppressed(self, touchpoint: Touchpoint) -> None:
        """Raise :class:`SuppressedError` when the touchpoint is an erased person's."""
        listed = self._suppressed()
        if not listed:
            return
        secret = self._store.secret()
        if keyed_hash(secret, "touchpoint", touchpoint.id) in listed or any(
            keyed_hash(secret, i.kind, i.value) in listed for i in touchpoint.identifiers
        ):
            raise SuppressedError(
                "this touchpoint belongs to a person whose data was erased (suppressed)"
            )

    def unsuppress(self, identifiers: Iterable[Identifier]) -> int:
        """Take identifiers off the suppression list: the person came back of their own will.

        The identifiers are normalized first, and the identifiers they imply
        (an e-mail's hash) go with them. Touchpoint ids stay suppressed, so old
        payloads still cannot re-create the old data.

        :returns: how many were on the list.
        :raises InvalidIdentifierError: when one cannot be normalized.
        """
        with self._lock, self._store.transaction():
            secret = self._store.secret()
            region = self._normalizer.context.region
            hashes = [
                keyed_hash(secret, found.kind, found.value)
                for identifier in identifiers
                for found in self._normalizer.identifier(identifier, region)
            ]
            removed = self._store.remove_suppressions(hashes)
        self._suppressed_cache = None
        return removed

    # ------------------------------------------------------------------ consent

    def can_contact(self, ref: Contact | Identifier | str, channel: str, purpose: str) -> bool:
        """Tell whether a person may be contacted on *channel* for *purpose*, now.

        Granted: True. Denied, including when merged records disagree (the
        most restrictive recent decision wins): False. Never asked: False,
        except for ``transactional`` messages (see ``docs/privacy.md``).

        :raises ContactNotFoundError: when there is no such contact.
        """
        contact = ref if isinstance(ref, Contact) else self._as_hub().contact(ref)
        return contact.can_contact(channel.strip().lower(), purpose.strip().lower())

    def record_consent(
        self,
        identifier: Identifier,
        *,
        channel: str,
        purpose: str,
        status: str,
        at: datetime | None = None,
        source: str | None = None,
        legal_basis: str | None = None,
        touchpoint_id: str | None = None,
    ) -> Receipt:
        """Record a consent decision given through your own system (a preference centre).

        It is kept as a touchpoint of action ``consent`` carrying *identifier*,
        so it joins the person's contact, is replayed with the log and erased
        with the person.

        :param identifier: who decided: the address or number the decision is about.
        :param channel: ``email``, ``sms``, ``phone``, ``push``, ``post``, … or ``"*"``.
        :param purpose: ``marketing``, ``analytics``, ``personalization``, … or ``"*"``.
        :param status: ``granted`` or ``denied``.
        :param at: when it was decided (the hub's clock by default).
        :param source: the system that collected it (``preference-centre``).
        :param legal_basis: the GDPR article 6 basis (``consent``, ``contract``, …).
        :param touchpoint_id: the id to record it under (a stable one makes a
            repeated call a duplicate); by default one derived from the rest.
        :raises InvalidTouchpointError: naming the argument that is wrong.
        """
        from omnicontact.consent import LEGAL_BASES, STATUSES

        fields = {"channel": channel, "purpose": purpose, "status": status}
        for name, value in fields.items():
            wildcard = name != "status" and value == "*"
            if not wildcard and not (
                isinstance(value, str) and _SLUG.fullmatch(value.strip().lower())
            ):
                raise InvalidTouchpointError(name, "must be a lower-case slug (or '*')")
        status = status.strip().lower()
        if status not in STATUSES:
            raise InvalidTouchpointError("status", "must be 'granted' or 'denied'")
        if legal_basis is not None and legal_basis not in LEGAL_BASES:
            raise InvalidTouchpointError(
                "legal_basis", f"must be one of {', '.join(sorted(LEGAL_BASES))}"
            )
        when = at if at is not None else self._now()
        properties = {
            "channel": channel.strip().lower(),
            "purpose": purpose.strip().lower(),
            "status": status,
            "legal_basis": legal_basis,
        }
        if touchpoint_id is None:
            digest = hashlib.sha256(
                repr((identifier.kind, identifier.value, sorted(properties.items()),
                      when.isoformat())).encode()
            ).hexdigest()[:24]
            touchpoint_id = f"consent:{digest}"
        touchpoint = Touchpoint(
            id=touchpoint_id,
            occurred_at=when,
            channel=properties["channel"] if properties["channel"] != "*" else "api",
            action="consent",
            identifiers=[identifier],
            properties={k: v for k, v in properties.items() if v is not None},
            source=source,
        )
        return self._as_hub().add(touchpoint)

    def _consent_conflicts(self, contact_ids: Iterable[str]) -> list[AuditEntry]:
        """Return audit entries for the consent conflicts of contacts just merged (in the write)."""
        hub = self._as_hub()
        hub._project()  # the view of a persistent store reads the projections
        at = self._now()
        out = []
        for contact_id in contact_ids:
            if hub._view.members(contact_id) is None:
                continue  # merged again later in the same write: logged with that merge
            conflicts = hub._contact(contact_id).consents.conflicts
            if conflicts:
                out.append(
                    AuditEntry(
                        at,
                        "consent_conflict",
                        contact_id,
                        evidence=tuple(
                            f"{c.channel}/{c.purpose}: denied ({len(c.granted_subjects)}"
                            f" granted, {len(c.denied_subjects)} denied)"
                            for c in conflicts
                        ),
                    )
                )
        return out

    # ------------------------------------------------------------------ erasure

    def erase(self, ref: Contact | Identifier | str) -> Erasure:
        """Erase a person: their touchpoints, and every trace of them the hub keeps.

        See the module documentation and ``docs/privacy.md`` for what each
        part guarantees. The hub's other contacts are rebuilt from the log
        that is left, as a replay would build them.

        :param ref: the contact, an identifier of it, or its id (or an alias).
        :raises ContactNotFoundError: when there is no such contact.
        """
        with self._lock:
            store = self._store
            with store.transaction():
                hub = self._as_hub()
                contact = ref if isinstance(ref, Contact) else hub.contact(ref)
                contact = hub.contact(contact.contact_id)  # the current one, whole
                positions = sorted(self._position(t) for t in contact.touchpoint_ids)
                touchpoints = store.at_many(positions)
                secret = store.secret()
                names = {contact.contact_id, *self._issued_ids(contact)}
                ids = {tp.id for tp in touchpoints}
                identifiers = {i for tp in touchpoints for i in tp.identifiers}
                shared = {
                    i for i in identifiers
                    if any(c.contact_id != contact.contact_id for c in hub.contacts_with(i))
                }
                hashes = {keyed_hash(secret, "touchpoint", t) for t in ids}
                hashes.update(keyed_hash(secret, i.kind, i.value) for i in identifiers - shared)
                values = {i.value.casefold() for i in identifiers - shared} | ids
                phones = {_digits(i.value) for i in identifiers - shared if i.kind == "phone"}
                store.erase(positions)
                quarantined = store.remove_rejections(
                    lambda rejection: _carries(rejection, values, phones)
                )
                audited = store.rewrite_audit(lambda entry: _redact(entry, names, ids))
                store.add_suppressions(hashes)
                store.add_audit(
                    [
                        AuditEntry(
                            at=self._now(),
                            action="erase",
                            contact_id=None,
                            evidence=(
                                f"touchpoints erased: {len(positions)}",
                                f"suppression entries: {len(hashes)}",
                                f"quarantined records forgotten: {quarantined}",
                            ),
                        )
                    ]
                )
                self._warm = False
                hub.rebuild()  # joins this transaction: the projections of what is left
            store.scrub()
            self._normalizer.clear()
            self.lifecycle.forget()
            self._suppressed_cache = None
        return Erasure(len(positions), len(hashes), len(shared), quarantined, audited)

    def _issued_ids(self, contact: Contact) -> set[str]:
        """Return the ids its touchpoints would have as anchors (every alias it may have)."""
        from omnicontact.matching.cluster import contact_id_for

        return {contact_id_for(t) for t in contact.touchpoint_ids}

    # ------------------------------------------------------------------ export

    def export(self, ref: Contact | Identifier | str) -> dict[str, Any]:
        """Return everything the hub knows about a person, as one JSON-ready document.

        Its ``format`` is :data:`EXPORT_FORMAT`. It holds the contact id, its
        identifiers (normalized, by kind), traits, every touchpoint in
        omnicontact's JSON form, cases, consent decisions and conflicts, stage
        histories and scores (as of now), and the audit entries naming it. It
        holds nobody else's data.

        :raises ContactNotFoundError: when there is no such contact.
        """
        from omnicontact._profile import lifecycle_json

        contact = ref if isinstance(ref, Contact) else self._as_hub().contact(ref)
        grouped: dict[str, list[str]] = {}
        for ident in contact.identifiers:
            grouped.setdefault(ident.kind, []).append(ident.value)
        audit = [
            entry.as_dict()
            for entry in self._store.audit_entries(sorted(self._issued_ids(contact)))
        ]
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "exported_at": self._now().isoformat(),
            "contact_id": contact.contact_id,
            "identified": contact.identified,
            "identifiers": grouped,
            "traits": thaw(contact.traits),
            "touchpoints": [tp.to_mapping() for tp in contact.timeline],
            "cases": [
                {
                    "case_id": case.case_id,
                    "status": case.status,
                    "category": case.category,
                    "opened_at": case.opened_at.isoformat(),
                    "updated_at": case.updated_at.isoformat(),
                    "channels": list(case.channels),
                    "touchpoint_ids": list(case.touchpoint_ids),
                }
                for case in contact.cases
            ],
            "consents": {
                "decisions": [
                    {
                        "channel": d.channel,
                        "purpose": d.purpose,
                        "status": d.status,
                        "at": d.at.isoformat(),
                        "source": d.source,
                        "legal_basis": d.legal_basis,
                        "touchpoint_id": d.touchpoint_id,
                    }
                    for d in contact.consents.decisions
                ],
                "conflicts": [
                    {"channel": c.channel, "purpose": c.purpose, "status": "denied"}
                    for c in contact.consents.conflicts
                ],
            },
            "audit": audit,
        }
        document.update(lifecycle_json(contact))
        return document


def _carries(rejection: Rejection, values: set[str], phones: set[str]) -> bool:
    """Whether a quarantined record holds one of the erased identifiers or ids."""
    for text in _strings(rejection.record):
        folded = text.strip().casefold()
        if folded in values:
            return True
        digits = _digits(text)
        if len(digits) >= 6 and any(p.endswith(digits) or digits.endswith(p[-9:]) for p in phones):
            return True
    return False


def _redact(entry: AuditEntry, names: set[str], ids: set[str]) -> AuditEntry | None:
    """Take the erased person's contact and touchpoint ids out of a ledger entry."""
    named = {entry.contact_id, *entry.other_ids}
    involved = bool(named & names or set(entry.touchpoint_ids) & ids or entry.cause in ids)
    if not involved:
        return entry
    others = named - names - {None} or set(entry.touchpoint_ids) - ids
    if not others:
        return None  # about the erased person only: the erase entry says it happened

    def keep(value: str) -> str:
        return ERASED if value in names or value in ids else value

    return attrs.evolve(
        entry,
        contact_id=keep(entry.contact_id) if entry.contact_id is not None else None,
        other_ids=tuple(keep(v) for v in entry.other_ids),
        cause=keep(entry.cause) if entry.cause is not None else None,
        touchpoint_ids=tuple(keep(v) for v in entry.touchpoint_ids),
    )

