"""The delivery mark of each row in the inbox: where a message stands with the simulator
(delivered, bounced, soft-bounced, complained, delayed, suppressed, rejected, pending), at a
glance. A soft (Transient) bounce reads apart from a permanent one: the address still works.

One lookup for the whole page (`Deliveries.last_outcomes`), never a query per row. A message
the simulator did not see (it was off, or the mail is older than it) has no mark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from mailyard.sandbox import Kind, MessageSummary, Store

# The word for where a recipient's mail stands, by the last event other than an open or click.
STATES: dict[Kind, str] = {
    Kind.SEND: "pending",
    Kind.DELIVERY: "delivered",
    Kind.DELIVERY_DELAY: "delayed",
    Kind.BOUNCE: "bounced",
    Kind.COMPLAINT: "complained",
    Kind.REJECT: "rejected",
    Kind.RENDERING_FAILURE: "rejected",
    Kind.SUPPRESSED: "suppressed",
}
# A message to several recipients shows the state that most needs a look: worst first.
SEVERITY = (
    "rejected",
    "complained",
    "bounced",
    "soft-bounced",
    "suppressed",
    "delayed",
    "pending",
    "delivered",
)
SOFT = "soft-bounced"  # a Transient bounce: its state, and the words it shows
WORDS = {SOFT: "soft bounce"}
NAMED = 10  # recipients named in a mark's title; more are counted


@dataclass(frozen=True)
class Mark:
    """One row's mark: `state` (its class and word), the label shown, and each recipient's
    state for the title."""

    state: str
    label: str
    title: str


def state_of(kind: Kind, soft: bool = False) -> str:
    """The state for a recipient's last event; `soft`: its bounce was Transient."""
    if kind is Kind.BOUNCE and soft:
        return SOFT
    return STATES.get(kind, "delivered")


def word(state: str) -> str:
    """What a state says on screen ("soft bounce" for `soft-bounced`)."""
    return WORDS.get(state, state)


def mark(recipients: list[tuple[str, Kind]], soft: Collection[str] = ()) -> Mark | None:
    """The mark for one message's recipients: the worst state, and how many of them it is
    when they differ ("bounced 1/3"). `soft`: the recipients whose bounce was Transient."""
    if not recipients:
        return None
    states = [(who, state_of(kind, who.lower() in soft)) for who, kind in recipients]
    counts = Counter(state for _, state in states)
    worst = min(counts, key=SEVERITY.index)
    label = word(worst) if len(counts) == 1 else f"{word(worst)} {counts[worst]}/{len(states)}"
    named = [f"{who}: {word(state)}" for who, state in states[:NAMED]]
    if len(states) > NAMED:
        named.append(f"and {len(states) - NAMED} more")
    return Mark(worst, label, "; ".join(named))


def marks(store: Store, messages: Iterable[MessageSummary]) -> dict[int, Mark]:
    """seq -> mark, for the messages of one listing."""
    found = store.deliveries.last_outcomes([m.seq for m in messages])
    bounced = [seq for seq, rows in found.items() if any(k is Kind.BOUNCE for _, k in rows)]
    soft = store.deliveries.transient_bounces(bounced)
    out = {}
    for seq, recipients in found.items():
        made = mark(recipients, {who for at, who in soft if at == seq})
        if made is not None:
            out[seq] = made
    return out


__all__ = ["SEVERITY", "SOFT", "STATES", "Mark", "mark", "marks", "state_of", "word"]
