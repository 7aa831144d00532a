"""The protocol of a scale-out worker (example/scaleout/worker.py), one by one.

A real redis-server and one worker, without a load balancer; the test is
the client.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any, Iterator, List, Tuple

import pytest

import websockets

from .conftest import cluster

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.usefixtures("require_servers"),
    pytest.mark.timeout(60),
]

TIMEOUT = 20


@pytest.fixture
def worker() -> Iterator[Any]:
    with cluster.Cluster(workers=1, nginx=False) as running:
        yield running


async def publish(running: Any, count: int, *args: str) -> Tuple[int, str]:
    publisher = cluster.publish(running.redis_url, "--count", str(count), *args)
    return await asyncio.to_thread(cluster.published, publisher)


async def receive(websocket: Any, count: int) -> List[Any]:
    return [
        json.loads(await asyncio.wait_for(websocket.recv(), TIMEOUT))
        for _ in range(count)
    ]


def test_healthz(worker: Any) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/healthz") as response:
        assert response.status == 200
        assert response.read() == b"OK\n"


async def test_worker_header(worker: Any) -> None:
    async with websockets.connect(worker.uri + "?last_id=0-0") as websocket:
        assert websocket.response_headers["X-Worker"] == "w1"


async def test_invalid_last_id_in_query(worker: Any) -> None:
    with pytest.raises(websockets.InvalidStatusCode) as raised:
        await websockets.connect(worker.uri + "?last_id=latest")
    assert raised.value.status_code == 400


async def test_replay_from_query_string_then_live(worker: Any) -> None:
    await publish(worker, 5)
    async with websockets.connect(worker.uri + "?last_id=0-0") as websocket:
        replayed = await receive(websocket, 5)
        assert [event["seq"] for event in replayed] == [1, 2, 3, 4, 5]
        assert replayed[0]["data"] == "notification #1"
        # Resume after the third: the fourth and fifth again, then live.
        third = replayed[2]["id"]
    async with websockets.connect(worker.uri + f"?last_id={third}") as websocket:
        assert [event["seq"] for event in await receive(websocket, 2)] == [4, 5]
        await publish(worker, 2, "--start-seq", "6")
        live = await receive(websocket, 2)
        assert [event["seq"] for event in live] == [6, 7]
        ids = [event["id"] for event in replayed + live]
        assert ids == sorted(ids, key=lambda id: tuple(map(int, id.split("-"))))


async def test_new_messages_only(worker: Any) -> None:
    _, last_id = await publish(worker, 3)
    async with websockets.connect(worker.uri) as websocket:
        await websocket.send(json.dumps({"last_id": None}))
        # Where new messages start: after what was published before.
        assert await receive(websocket, 1) == [{"last_id": last_id}]
        await publish(worker, 1, "--start-seq", "4")
        (event,) = await receive(websocket, 1)
        assert event["seq"] == 4


@pytest.mark.parametrize(
    "hello",
    ["not json", "[]", '{"since": "0-0"}', '{"last_id": 0}', '{"last_id": "x"}'],
)
async def test_invalid_hello(worker: Any, hello: str) -> None:
    async with websockets.connect(worker.uri) as websocket:
        await websocket.send(hello)
        with pytest.raises(websockets.ConnectionClosed) as raised:
            await asyncio.wait_for(websocket.recv(), TIMEOUT)
        assert raised.value.code == 1008


async def test_no_hello() -> None:
    with cluster.Cluster(
        workers=1, nginx=False, worker_args=["--hello-timeout", "0.5"]
    ) as running:
        async with websockets.connect(running.uri) as websocket:
            with pytest.raises(websockets.ConnectionClosed) as raised:
                await asyncio.wait_for(websocket.recv(), TIMEOUT)
    assert raised.value.code == 1008
    assert "no hello" in raised.value.reason


async def test_trimmed_messages_are_reported(worker: Any) -> None:
    # MAXLEN ~ 10 trims whole blocks of entries: most of the 1,000 go.
    await publish(worker, 1000, "--maxlen", "10")
    async with websockets.connect(worker.uri + "?last_id=0-0") as websocket:
        (gap,) = await receive(websocket, 1)
        assert "gap" in gap
        (first,) = await receive(websocket, 1)
        # Then the oldest message still in the stream and the next ones.
        assert first["seq"] > 1
        assert gap["gap"] == first["id"]
        rest = await receive(websocket, 1000 - first["seq"])
        assert [event["seq"] for event in rest] == list(range(first["seq"] + 1, 1001))
    # A client that saw the last message needs no notice.
    async with websockets.connect(worker.uri + f"?last_id={rest[-1]['id']}") as ws:
        await publish(worker, 1, "--start-seq", "1001", "--maxlen", "10")
        (event,) = await receive(ws, 1)
        assert event["seq"] == 1001


@pytest.mark.timeout(120)
async def test_slow_client_catches_up_from_the_stream(worker: Any) -> None:
    # A client that doesn't read while 30 MB are published, more than the
    # kernel's socket buffers hold: its worker stops broadcasting to it and,
    # once it reads again, replays what it missed from the stream. Nothing
    # is lost.
    count = 3000
    async with websockets.connect(worker.uri, max_queue=1) as websocket:
        await websocket.send(json.dumps({"last_id": None}))
        await receive(websocket, 1)  # {"last_id": ...}
        await publish(worker, count, "--padding", "10000")
        events = await receive(websocket, count)
        assert [event["seq"] for event in events] == list(range(1, count + 1))
    process = worker.workers[0]
    process.stop()
    stopped = process.wait_for_line("STOPPED")
    replayed = int(stopped.split("replayed=")[1])
    assert replayed > 0, stopped
