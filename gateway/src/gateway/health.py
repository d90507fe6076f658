"""Readiness that degrades by route: ready while one downstream can serve, each one reported.

Failing the probe whenever one downstream is unwell would take the pod out of the Service and
turn a recsys problem into a total outage; the rule per route is in docs/operations.md.
"""

import asyncio

from contracts.errors import UpstreamUnavailable
from contracts.observability import Metrics
from prometheus_client import Gauge

from gateway.clients import DownstreamClient
from gateway.schemas import DownstreamReady, ReadyRead


def ready_gauge(metrics: Metrics) -> Gauge:
    """`gateway_downstream_ready{downstream}`: 1 when its /readyz last answered 200, else 0."""
    return Gauge(
        "gateway_downstream_ready",
        "Whether each downstream answered its /readyz.",
        ["downstream"],
        registry=metrics.registry,
    )


async def readiness(*, clients: tuple[DownstreamClient, ...], gauge: Gauge) -> ReadyRead:
    """ "ready" (every downstream), "degraded" (some), or a 503 when none can serve."""
    answers = await asyncio.gather(*(client.is_ready() for client in clients))
    downstreams = {}
    for client, ready in zip(clients, answers, strict=True):
        gauge.labels(client.service_name).set(1 if ready else 0)
        downstreams[client.service_name] = DownstreamReady(
            ready=ready,
            detail=None
            if ready
            else f"The {client.service_name} is not ready: the routes that need it answer 503.",
        )
    if not any(answers):
        names = " and the ".join(downstreams)
        raise UpstreamUnavailable(f"Not ready: the {names} are not ready; no route can answer.")
    return ReadyRead(status="ready" if all(answers) else "degraded", downstreams=downstreams)
