"""Messages held back while their node of a sharded records store is down.

They stay unacked, so nothing is lost whatever happens to the worker: RabbitMQ hands them out again. The worker goes on
with the messages of other cities, sends the messages of a node known to be down straight here rather than wait on it
again, and writes the held ones again after a growing pause; once their node takes them they are acked and the node
counts as up. How many a worker can hold is its prefetch (`LIANFANG_INGEST_PREFETCH`) less the batch it is writing:
docs/SCALING.md says how to size it for an outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lianfang.common.messaging import Delivery
from lianfang.ingest.writer import NodeOf

__all__ = ["Holding"]


@dataclass
class Holding:
    node_of: NodeOf | None
    deliveries: list[Delivery] = field(default_factory=list)
    # Released to be written again and not settled yet: unacked like the held ones.
    retrying: list[Delivery] = field(default_factory=list)
    # The nodes that could not be written, and why.
    down: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.deliveries)

    def node(self, delivery: Delivery) -> str | None:
        """The node of the message's city, from its routing key (`checkin.created.<city_code>`)."""
        city = delivery.routing_key.rpartition(".")[2]
        if self.node_of is None or not (len(city) == 4 and city.isdigit()):
            return None
        return self.node_of(city)

    def to_write(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """The deliveries to write now; those of a node known to be down are held at once."""
        if not self.down:
            return list(deliveries)
        writing = []
        for delivery in deliveries:
            if self.node(delivery) in self.down:
                self.deliveries.append(delivery)
            else:
                writing.append(delivery)
        return writing

    def hold(self, deliveries: Iterable[Delivery], down: Iterable[tuple[str, str]]) -> None:
        self.deliveries.extend(deliveries)
        self.down.update(down)

    def release(self, count: int) -> list[Delivery]:
        """The first `count` held deliveries, to be written again (they come back through `hold` if still down);
        until `retried`, they count as unsettled."""
        taken, self.deliveries = self.deliveries[:count], self.deliveries[count:]
        self.retrying = taken
        return taken

    def retried(self) -> None:
        """The released deliveries are settled, or held again."""
        self.retrying = []

    def unsettled(self) -> set[int]:
        """The deliveries no ack may take along, by `id`: held, or being written again."""
        return {id(delivery) for delivery in (*self.deliveries, *self.retrying)}

    def written(self, deliveries: Iterable[Delivery], down: Iterable[tuple[str, str]]) -> None:
        """After a write of these deliveries: the nodes it wrote to are up again, unless it names them down."""
        still = dict(down)
        for node in {self.node(delivery) for delivery in deliveries} - set(still):
            if node is not None:
                self.down.pop(node, None)
        self.down.update(still)
