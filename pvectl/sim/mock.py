"""Mount a Simulator on httpx's MockTransport: the same answers as over HTTPS, without sockets or TLS."""

from __future__ import annotations

import httpx

from pvectl.sim.core import Simulator


def mock_transport(sim: Simulator) -> httpx.MockTransport:
    """A transport for ``httpx.Client``/``AsyncClient`` (and so for ProxmoxClient's ``transport=``)."""

    def handler(request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        answer = sim.handle(request.method, raw_path, request.url.query.decode(), dict(request.headers), request.read())
        return httpx.Response(
            answer.status,
            headers=dict(answer.headers),
            content=answer.body,
            extensions={"reason_phrase": answer.reason.encode("latin-1", "replace")},
        )

    return httpx.MockTransport(handler)
