"""Tests for websockets.extensions.permessage_deflate (RFC 7692)."""

from __future__ import annotations

import itertools
import random
import tracemalloc
import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
)
from websockets.typing import ExtensionParameter

TAIL = b"\x00\x00\xff\xff"
WINDOW_BITS = range(8, 16)

SNCT: ExtensionParameter = ("server_no_context_takeover", None)
CNCT: ExtensionParameter = ("client_no_context_takeover", None)


def smwb(value: Optional[str]) -> ExtensionParameter:
    return ("server_max_window_bits", value)


def cmwb(value: Optional[str]) -> ExtensionParameter:
    return ("client_max_window_bits", value)


def pair(
    window_bits: int = 15, no_context_takeover: bool = False
) -> Tuple[PerMessageDeflate, PerMessageDeflate]:
    """Build a sender and a receiver that agree on their parameters."""
    sender = PerMessageDeflate(False, no_context_takeover, 15, window_bits)
    receiver = PerMessageDeflate(no_context_takeover, False, window_bits, 15)
    return sender, receiver


def fragment(opcode: int, data: bytes, cuts: Sequence[int]) -> List[Frame]:
    """Split a message in frames at the given offsets."""
    bounds = [0, *sorted(cuts), len(data)]
    frames = []
    for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
        frames.append(
            Frame(i == len(bounds) - 2, opcode if i == 0 else OP_CONT, data[start:end])
        )
    return frames


def send(
    sender: Extension,
    receiver: Extension,
    frames: Sequence[Frame],
    max_size: Optional[int] = None,
) -> bytes:
    """Encode frames, decode them, check the frame headers, return the data.

    ``max_size`` is a budget for the whole message, like the connection does.
    """
    chunks = []
    for frame in frames:
        encoded = sender.encode(frame)
        assert encoded.fin == frame.fin
        assert encoded.opcode == frame.opcode
        assert encoded.rsv1 == (frame.opcode != OP_CONT)
        decoded = receiver.decode(encoded, max_size=max_size)
        assert decoded == frame._replace(data=decoded.data)
        chunks.append(decoded.data)
        if max_size is not None:
            max_size -= len(decoded.data)
    return b"".join(chunks)


def compressible(rng: random.Random, size: int) -> bytes:
    """JSON-like data with repetitions at all distances."""
    words = [b'"id"', b'"name"', b'"value"', b"true", b"null", b"{", b"}", b","]
    words += [rng.randbytes(rng.randrange(1, 8)) for _ in range(8)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
        if rng.random() < 0.05 and len(out) > 400:
            # Copy a chunk from far back to exercise the sliding window.
            start = rng.randrange(len(out) - 300)
            out += out[start : start + 300]
    return bytes(out[:size])


# Constructors.


@pytest.mark.parametrize("bits", [7, 16, 0, -15, True, False, "12", 12.0, None])
def test_extension_rejects_invalid_window_bits(bits: Any) -> None:
    with pytest.raises(ValueError, match="remote_max_window_bits"):
        PerMessageDeflate(False, False, bits, 15)
    with pytest.raises(ValueError, match="local_max_window_bits"):
        PerMessageDeflate(False, False, 15, bits)


@pytest.mark.parametrize("bits", [7, 16, False, "12", 12.0])
def test_client_factory_rejects_invalid_window_bits(bits: Any) -> None:
    with pytest.raises(ValueError, match="server_max_window_bits"):
        ClientPerMessageDeflateFactory(server_max_window_bits=bits)
    with pytest.raises(ValueError, match="client_max_window_bits"):
        ClientPerMessageDeflateFactory(client_max_window_bits=bits)


def test_client_factory_server_max_window_bits_cannot_be_true() -> None:
    # The server must answer with a value, so offering none makes no sense.
    with pytest.raises(ValueError, match="server_max_window_bits"):
        ClientPerMessageDeflateFactory(server_max_window_bits=True)


@pytest.mark.parametrize("bits", [7, 16, True, False, "12", 12.0])
def test_server_factory_rejects_invalid_window_bits(bits: Any) -> None:
    with pytest.raises(ValueError, match="server_max_window_bits"):
        ServerPerMessageDeflateFactory(server_max_window_bits=bits)
    with pytest.raises(ValueError, match="client_max_window_bits"):
        ServerPerMessageDeflateFactory(client_max_window_bits=bits)


@pytest.mark.parametrize("bits", WINDOW_BITS)
def test_constructors_accept_every_window_size(bits: int) -> None:
    PerMessageDeflate(False, False, bits, bits)
    ClientPerMessageDeflateFactory(
        server_max_window_bits=bits, client_max_window_bits=bits
    )
    ServerPerMessageDeflateFactory(
        server_max_window_bits=bits, client_max_window_bits=bits
    )


@pytest.mark.parametrize(
    "cls",
    [
        ClientPerMessageDeflateFactory,
        ServerPerMessageDeflateFactory,
        lambda **kw: PerMessageDeflate(False, False, 15, 15, **kw),
    ],
)
def test_compress_settings(cls: Any) -> None:
    with pytest.raises(ValueError, match="wbits"):
        cls(compress_settings={"wbits": 9})
    assert cls().compress_settings == {}
    settings = {"level": 1, "memLevel": 5}
    obj = cls(compress_settings=settings)
    settings["level"] = 9  # the object keeps its own copy
    assert obj.compress_settings == {"level": 1, "memLevel": 5}


def test_compress_settings_reach_zlib() -> None:
    data = compressible(random.Random(1), 1 << 16)
    sizes = {}
    for level in (0, 9):
        sender = PerMessageDeflate(False, False, 15, 15, {"level": level})
        sizes[level] = len(sender.encode(Frame(True, OP_BINARY, data)).data)
    assert sizes[0] > len(data) > 3 * sizes[9]
    with pytest.raises(TypeError):
        sender = PerMessageDeflate(False, False, 15, 15, {"bogus": 1})
        sender.encode(Frame(True, OP_BINARY, data))


def test_repr() -> None:
    assert repr(PerMessageDeflate(True, False, 10, 12)) == (
        "PerMessageDeflate(remote_no_context_takeover=True, "
        "local_no_context_takeover=False, "
        "remote_max_window_bits=10, local_max_window_bits=12)"
    )
    assert repr(ClientPerMessageDeflateFactory(client_max_window_bits=True)) == (
        "ClientPerMessageDeflateFactory(server_no_context_takeover=False, "
        "client_no_context_takeover=False, server_max_window_bits=None, "
        "client_max_window_bits=True)"
    )
    assert repr(ServerPerMessageDeflateFactory(server_max_window_bits=12)) == (
        "ServerPerMessageDeflateFactory(server_no_context_takeover=False, "
        "client_no_context_takeover=False, server_max_window_bits=12, "
        "client_max_window_bits=None)"
    )


def test_names() -> None:
    assert PerMessageDeflate.name == "permessage-deflate"
    assert ClientPerMessageDeflateFactory.name == "permessage-deflate"
    assert ServerPerMessageDeflateFactory.name == "permessage-deflate"


# Client offer.


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        ({}, []),
        ({"server_no_context_takeover": True}, [SNCT]),
        ({"client_no_context_takeover": True}, [CNCT]),
        ({"server_max_window_bits": 8}, [smwb("8")]),
        ({"server_max_window_bits": 15}, [smwb("15")]),
        ({"client_max_window_bits": True}, [cmwb(None)]),
        ({"client_max_window_bits": 8}, [cmwb("8")]),
        ({"client_max_window_bits": 15}, [cmwb("15")]),
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 10,
                "client_max_window_bits": 12,
            },
            [SNCT, CNCT, smwb("10"), cmwb("12")],
        ),
    ],
)
def test_client_request_params(
    kwargs: Dict[str, Any], params: List[ExtensionParameter]
) -> None:
    assert ClientPerMessageDeflateFactory(**kwargs).get_request_params() == params


# Parameter errors, common to offers and responses (RFC 7692, sections 5 and
# 5.1).

PARAM_ERRORS: List[Tuple[List[ExtensionParameter], Type[Exception]]] = [
    ([("unknown", None)], InvalidParameterName),
    ([("unknown", "1")], InvalidParameterName),
    ([("Server_No_Context_Takeover", None)], InvalidParameterName),
    ([SNCT, SNCT], DuplicateParameter),
    ([CNCT, CNCT], DuplicateParameter),
    ([smwb("10"), smwb("10")], DuplicateParameter),
    ([cmwb("10"), cmwb("10")], DuplicateParameter),
    ([("server_no_context_takeover", "")], InvalidParameterValue),
    ([("server_no_context_takeover", "true")], InvalidParameterValue),
    ([("client_no_context_takeover", "1")], InvalidParameterValue),
    ([smwb(None)], InvalidParameterValue),
    ([smwb("")], InvalidParameterValue),
    ([smwb("7")], InvalidParameterValue),
    ([smwb("16")], InvalidParameterValue),
    ([smwb("08")], InvalidParameterValue),
    ([smwb("+9")], InvalidParameterValue),
    ([smwb(" 9")], InvalidParameterValue),
    ([smwb("9.0")], InvalidParameterValue),
    ([smwb("nine")], InvalidParameterValue),
    ([cmwb("")], InvalidParameterValue),
    ([cmwb("7")], InvalidParameterValue),
    ([cmwb("16")], InvalidParameterValue),
    ([cmwb("010")], InvalidParameterValue),
]


@pytest.mark.parametrize(("params", "error"), PARAM_ERRORS)
def test_client_rejects_invalid_response(
    params: List[ExtensionParameter], error: Type[Exception]
) -> None:
    factory = ClientPerMessageDeflateFactory(client_max_window_bits=True)
    with pytest.raises(error) as exc_info:
        factory.process_response_params(params, [])
    assert isinstance(exc_info.value, NegotiationError)


@pytest.mark.parametrize(("params", "error"), PARAM_ERRORS)
def test_server_declines_invalid_offer(
    params: List[ExtensionParameter], error: Type[Exception]
) -> None:
    factory = ServerPerMessageDeflateFactory(
        server_max_window_bits=12, client_max_window_bits=12
    )
    with pytest.raises(error) as exc_info:
        factory.process_request_params(params, [])
    assert isinstance(exc_info.value, NegotiationError)


def test_client_max_window_bits_without_value() -> None:
    # RFC 7692, section 7.1.2.2: allowed in an offer, not in a response.
    client = ClientPerMessageDeflateFactory(client_max_window_bits=True)
    with pytest.raises(InvalidParameterValue) as exc_info:
        client.process_response_params([cmwb(None)], [])
    assert exc_info.value.name == "client_max_window_bits"
    assert exc_info.value.value is None
    server = ServerPerMessageDeflateFactory()
    server.process_request_params([cmwb(None)], [])


def test_error_attributes() -> None:
    factory = ServerPerMessageDeflateFactory()
    with pytest.raises(InvalidParameterName) as name_info:
        factory.process_request_params([("foo", "bar")], [])
    assert name_info.value.name == "foo"
    with pytest.raises(DuplicateParameter) as dup_info:
        factory.process_request_params([SNCT, SNCT], [])
    assert dup_info.value.name == "server_no_context_takeover"
    with pytest.raises(InvalidParameterValue) as value_info:
        factory.process_request_params([smwb("16")], [])
    assert value_info.value.name == "server_max_window_bits"
    assert value_info.value.value == "16"


def test_duplicate_extension() -> None:
    accepted = [PerMessageDeflate(False, False, 15, 15)]
    with pytest.raises(NegotiationError, match="skipped duplicate permessage-deflate"):
        ClientPerMessageDeflateFactory().process_response_params([], accepted)
    with pytest.raises(NegotiationError, match="skipped duplicate permessage-deflate"):
        ServerPerMessageDeflateFactory().process_request_params([], accepted)


def test_other_accepted_extensions_are_fine() -> None:
    class Other(Extension):
        name = "x-other"  # type: ignore[assignment]

    ext = ClientPerMessageDeflateFactory().process_response_params([], [Other()])
    assert isinstance(ext, PerMessageDeflate)
    _, ext = ServerPerMessageDeflateFactory().process_request_params([], [Other()])
    assert isinstance(ext, PerMessageDeflate)


# Client: processing the response (RFC 7692, sections 5 and 7.1).

# (client kwargs, response params, expected
#  (remote_no_context_takeover, local_no_context_takeover,
#   remote_max_window_bits, local_max_window_bits) or an exception)
Expected = Union[Tuple[bool, bool, int, int], Type[Exception]]

CLIENT_CASES: List[Tuple[Dict[str, Any], List[ExtensionParameter], Expected]] = [
    # No parameters offered.
    ({}, [], (False, False, 15, 15)),
    ({}, [SNCT], (True, False, 15, 15)),
    ({}, [CNCT], (False, True, 15, 15)),
    ({}, [smwb("8")], (False, False, 8, 15)),
    ({}, [smwb("15")], (False, False, 15, 15)),
    ({}, [cmwb("10")], NegotiationError),
    ({}, [SNCT, CNCT, smwb("10")], (True, True, 10, 15)),
    # server_no_context_takeover: the server must confirm it (7.1.1.1).
    ({"server_no_context_takeover": True}, [], NegotiationError),
    ({"server_no_context_takeover": True}, [CNCT], NegotiationError),
    ({"server_no_context_takeover": True}, [SNCT], (True, False, 15, 15)),
    # client_no_context_takeover: a hint; the client keeps it (7.1.1.2).
    ({"client_no_context_takeover": True}, [], (False, True, 15, 15)),
    ({"client_no_context_takeover": True}, [CNCT], (False, True, 15, 15)),
    # server_max_window_bits: confirmed with the same or a smaller value.
    ({"server_max_window_bits": 10}, [], NegotiationError),
    ({"server_max_window_bits": 10}, [smwb("10")], (False, False, 10, 15)),
    ({"server_max_window_bits": 10}, [smwb("8")], (False, False, 8, 15)),
    ({"server_max_window_bits": 10}, [smwb("11")], NegotiationError),
    ({"server_max_window_bits": 8}, [smwb("9")], NegotiationError),
    ({"server_max_window_bits": 15}, [smwb("15")], (False, False, 15, 15)),
    # client_max_window_bits without value: the server picks the value.
    ({"client_max_window_bits": True}, [], (False, False, 15, 15)),
    ({"client_max_window_bits": True}, [cmwb("8")], (False, False, 15, 8)),
    ({"client_max_window_bits": True}, [cmwb("12")], (False, False, 15, 12)),
    ({"client_max_window_bits": True}, [cmwb("15")], (False, False, 15, 15)),
    # client_max_window_bits with value: a limit that the server may lower.
    ({"client_max_window_bits": 10}, [], (False, False, 15, 10)),
    ({"client_max_window_bits": 10}, [cmwb("10")], (False, False, 15, 10)),
    ({"client_max_window_bits": 10}, [cmwb("9")], (False, False, 15, 9)),
    ({"client_max_window_bits": 10}, [cmwb("11")], NegotiationError),
    # Everything.
    (
        {
            "server_no_context_takeover": True,
            "client_no_context_takeover": True,
            "server_max_window_bits": 12,
            "client_max_window_bits": 12,
        },
        [SNCT, CNCT, smwb("11"), cmwb("10")],
        (True, True, 11, 10),
    ),
    (
        {
            "server_no_context_takeover": True,
            "client_no_context_takeover": True,
            "server_max_window_bits": 12,
            "client_max_window_bits": 12,
        },
        [SNCT, smwb("12")],
        (True, True, 12, 12),
    ),
    # Parameters may come in any order.
    (
        {"server_max_window_bits": 12, "client_max_window_bits": True},
        [cmwb("9"), smwb("12"), CNCT, SNCT],
        (True, True, 12, 9),
    ),
]


@pytest.mark.parametrize(("kwargs", "params", "expected"), CLIENT_CASES)
def test_client_process_response_params(
    kwargs: Dict[str, Any], params: List[ExtensionParameter], expected: Expected
) -> None:
    factory = ClientPerMessageDeflateFactory(
        **kwargs, compress_settings={"memLevel": 5}
    )
    if isinstance(expected, type):
        with pytest.raises(expected):
            factory.process_response_params(params, [])
        return
    ext = factory.process_response_params(params, [])
    assert isinstance(ext, PerMessageDeflate)
    assert (
        ext.remote_no_context_takeover,
        ext.local_no_context_takeover,
        ext.remote_max_window_bits,
        ext.local_max_window_bits,
    ) == expected
    assert ext.compress_settings == {"memLevel": 5}


# Server: processing offers (RFC 7692, sections 5.1 and 7.1).

# (server kwargs, offer params, response params, expected
#  (remote_no_context_takeover, local_no_context_takeover,
#   remote_max_window_bits, local_max_window_bits))
SERVER_CASES: List[
    Tuple[
        Dict[str, Any],
        List[ExtensionParameter],
        List[ExtensionParameter],
        Tuple[bool, bool, int, int],
    ]
] = [
    # Default configuration: echo what the client asks.
    ({}, [], [], (False, False, 15, 15)),
    ({}, [SNCT], [SNCT], (False, True, 15, 15)),
    ({}, [CNCT], [CNCT], (True, False, 15, 15)),
    ({}, [smwb("8")], [smwb("8")], (False, False, 15, 8)),
    ({}, [smwb("10")], [smwb("10")], (False, False, 15, 10)),
    ({}, [cmwb(None)], [], (False, False, 15, 15)),
    ({}, [cmwb("10")], [cmwb("10")], (False, False, 10, 15)),
    (
        {},
        [SNCT, CNCT, smwb("10"), cmwb(None)],
        [SNCT, CNCT, smwb("10")],
        (True, True, 15, 10),
    ),
    # server_no_context_takeover: sent on the server's initiative (7.1.1.1).
    ({"server_no_context_takeover": True}, [], [SNCT], (False, True, 15, 15)),
    ({"server_no_context_takeover": True}, [SNCT], [SNCT], (False, True, 15, 15)),
    # client_no_context_takeover: required by the server (7.1.1.2).
    ({"client_no_context_takeover": True}, [], [CNCT], (True, False, 15, 15)),
    ({"client_no_context_takeover": True}, [CNCT], [CNCT], (True, False, 15, 15)),
    # server_max_window_bits: the smaller of the offer and the configuration,
    # sent even if not offered (7.1.2.1).
    ({"server_max_window_bits": 12}, [], [smwb("12")], (False, False, 15, 12)),
    (
        {"server_max_window_bits": 12},
        [smwb("10")],
        [smwb("10")],
        (False, False, 15, 10),
    ),
    (
        {"server_max_window_bits": 12},
        [smwb("12")],
        [smwb("12")],
        (False, False, 15, 12),
    ),
    (
        {"server_max_window_bits": 12},
        [smwb("14")],
        [smwb("12")],
        (False, False, 15, 12),
    ),
    ({"server_max_window_bits": 8}, [], [smwb("8")], (False, False, 15, 8)),
    # client_max_window_bits: only if offered (7.1.2.2); an offer without it
    # is declined (see test_server_requires_client_max_window_bits).
    (
        {"client_max_window_bits": 12},
        [cmwb(None)],
        [cmwb("12")],
        (False, False, 12, 15),
    ),
    (
        {"client_max_window_bits": 12},
        [cmwb("10")],
        [cmwb("10")],
        (False, False, 10, 15),
    ),
    (
        {"client_max_window_bits": 12},
        [cmwb("12")],
        [cmwb("12")],
        (False, False, 12, 15),
    ),
    (
        {"client_max_window_bits": 12},
        [cmwb("14")],
        [cmwb("12")],
        (False, False, 12, 15),
    ),
    ({"client_max_window_bits": 8}, [cmwb(None)], [cmwb("8")], (False, False, 8, 15)),
    # The configuration of compression="deflate".
    (
        {"server_max_window_bits": 12, "client_max_window_bits": 12},
        [cmwb(None)],
        [smwb("12"), cmwb("12")],
        (False, False, 12, 12),
    ),
    # Everything.
    (
        {
            "server_no_context_takeover": True,
            "client_no_context_takeover": True,
            "server_max_window_bits": 10,
            "client_max_window_bits": 10,
        },
        [smwb("9"), cmwb("11")],
        [SNCT, CNCT, smwb("9"), cmwb("10")],
        (True, True, 10, 9),
    ),
]


@pytest.mark.parametrize(("kwargs", "offer", "response", "expected"), SERVER_CASES)
def test_server_process_request_params(
    kwargs: Dict[str, Any],
    offer: List[ExtensionParameter],
    response: List[ExtensionParameter],
    expected: Tuple[bool, bool, int, int],
) -> None:
    factory = ServerPerMessageDeflateFactory(
        **kwargs, compress_settings={"memLevel": 5}
    )
    params, ext = factory.process_request_params(offer, [])
    assert params == response
    assert (
        ext.remote_no_context_takeover,
        ext.local_no_context_takeover,
        ext.remote_max_window_bits,
        ext.local_max_window_bits,
    ) == expected
    assert ext.compress_settings == {"memLevel": 5}


# End-to-end negotiation: every server response to every offer of our client
# is acceptable to that client, and the two extensions interoperate.

BITS_SAMPLE = (None, 8, 12, 15)
CLIENT_CONFIGS = [
    {
        "server_no_context_takeover": snct,
        "client_no_context_takeover": cnct,
        "server_max_window_bits": s,
        "client_max_window_bits": c,
    }
    for snct, cnct, s, c in itertools.product(
        (False, True), (False, True), BITS_SAMPLE, (*BITS_SAMPLE, True)
    )
]
SERVER_CONFIGS = [
    {
        "server_no_context_takeover": snct,
        "client_no_context_takeover": cnct,
        "server_max_window_bits": s,
        "client_max_window_bits": c,
    }
    for snct, cnct, s, c in itertools.product(
        (False, True), (False, True), BITS_SAMPLE, BITS_SAMPLE
    )
]


def negotiate(
    client_kwargs: Dict[str, Any], server_kwargs: Dict[str, Any]
) -> Tuple[PerMessageDeflate, PerMessageDeflate]:
    client_factory = ClientPerMessageDeflateFactory(**client_kwargs)
    server_factory = ServerPerMessageDeflateFactory(**server_kwargs)
    offer = client_factory.get_request_params()
    response, server_ext = server_factory.process_request_params(offer, [])
    client_ext = client_factory.process_response_params(response, [])
    return client_ext, server_ext


def check_agreement(
    client_kwargs: Dict[str, Any],
    server_kwargs: Dict[str, Any],
    client_ext: PerMessageDeflate,
    server_ext: PerMessageDeflate,
) -> None:
    """Check that both sides agree and that each one got what it asked for."""
    # Each side decompresses with a window at least as large as the peer's.
    assert client_ext.local_max_window_bits <= server_ext.remote_max_window_bits
    assert server_ext.local_max_window_bits <= client_ext.remote_max_window_bits
    # A side resets its decompressor only if the peer resets its compressor.
    if client_ext.remote_no_context_takeover:
        assert server_ext.local_no_context_takeover
    if server_ext.remote_no_context_takeover:
        assert client_ext.local_no_context_takeover
    # The client's offer.
    if client_kwargs["server_no_context_takeover"]:
        assert server_ext.local_no_context_takeover
    if client_kwargs["client_no_context_takeover"]:
        assert client_ext.local_no_context_takeover
    if client_kwargs["server_max_window_bits"] is not None:
        assert (
            server_ext.local_max_window_bits <= client_kwargs["server_max_window_bits"]
        )
    if client_kwargs["client_max_window_bits"] is None:
        # RFC 7692, section 7.1.2.2: the server can't limit the client.
        assert client_ext.local_max_window_bits == 15
    elif client_kwargs["client_max_window_bits"] is not True:
        assert (
            client_ext.local_max_window_bits <= client_kwargs["client_max_window_bits"]
        )
    # The server's configuration.
    if server_kwargs["server_no_context_takeover"]:
        assert server_ext.local_no_context_takeover
    if server_kwargs["client_no_context_takeover"]:
        assert server_ext.remote_no_context_takeover
    if server_kwargs["server_max_window_bits"] is not None:
        assert (
            server_ext.local_max_window_bits <= server_kwargs["server_max_window_bits"]
        )
    if (
        server_kwargs["client_max_window_bits"] is not None
        and client_kwargs["client_max_window_bits"] is not None
    ):
        assert (
            server_ext.remote_max_window_bits <= server_kwargs["client_max_window_bits"]
        )


def test_negotiation_matrix() -> None:
    for client_kwargs, server_kwargs in itertools.product(
        CLIENT_CONFIGS, SERVER_CONFIGS
    ):
        if (
            server_kwargs["client_max_window_bits"] is not None
            and client_kwargs["client_max_window_bits"] is None
        ):
            # The server declines: its limit couldn't apply (7.1.2.2).
            with pytest.raises(NegotiationError):
                negotiate(client_kwargs, server_kwargs)
            continue
        client_ext, server_ext = negotiate(client_kwargs, server_kwargs)
        check_agreement(client_kwargs, server_kwargs, client_ext, server_ext)


def test_default_compression_configuration() -> None:
    """compression="deflate" on both sides."""
    server_kwargs = {
        "server_max_window_bits": 12,
        "client_max_window_bits": 12,
        "compress_settings": {"memLevel": 5},
    }
    client_kwargs = {
        "client_max_window_bits": True,
        "compress_settings": {"memLevel": 5},
    }
    client_ext, server_ext = negotiate(client_kwargs, server_kwargs)
    for ext in (client_ext, server_ext):
        assert ext.local_max_window_bits == ext.remote_max_window_bits == 12
        assert not ext.local_no_context_takeover
        assert not ext.remote_no_context_takeover
    exchange(client_ext, server_ext)


@pytest.mark.parametrize(
    "offer",
    [
        [],  # e.g. Firefox: "permessage-deflate"
        [cmwb(None)],  # e.g. Chromium: "permessage-deflate; client_max_window_bits"
        [cmwb("15")],
    ],
)
def test_default_server_with_other_clients(offer: List[ExtensionParameter]) -> None:
    from websockets.serving import _enable_permessage_deflate

    (server_factory,) = _enable_permessage_deflate(None)
    response, server_ext = server_factory.process_request_params(offer, [])
    if offer:
        assert response == [smwb("12"), cmwb("12")]
        assert server_ext.remote_max_window_bits == 12
    else:
        # RFC 7692, section 7.1.2.2: no client_max_window_bits in the
        # response, and the client may use a 32 KiB window.
        assert response == [smwb("12")]
        assert server_ext.remote_max_window_bits == 15
        # A client compressing with zlib defaults (wbits=15).
        data = compressible(random.Random(2), 100_000)
        compressor = zlib.compressobj(wbits=-15)
        payload = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        frame = server_ext.decode(Frame(True, OP_TEXT, payload[:-4], rsv1=True))
        assert frame.data == data


def exchange(client_ext: PerMessageDeflate, server_ext: PerMessageDeflate) -> None:
    rng = random.Random(3)
    for _ in range(3):
        data = compressible(rng, rng.randrange(5000, 40000))
        frames = fragment(OP_BINARY, data, [len(data) // 3, len(data) // 2])
        assert send(client_ext, server_ext, frames) == data
        assert send(server_ext, client_ext, frames) == data


@given(
    client_kwargs=st.fixed_dictionaries(
        {
            "server_no_context_takeover": st.booleans(),
            "client_no_context_takeover": st.booleans(),
            "server_max_window_bits": st.none() | st.integers(8, 15),
            "client_max_window_bits": st.none() | st.just(True) | st.integers(8, 15),
        }
    ),
    server_kwargs=st.fixed_dictionaries(
        {
            "server_no_context_takeover": st.booleans(),
            "client_no_context_takeover": st.booleans(),
            "server_max_window_bits": st.none() | st.integers(8, 15),
            "client_max_window_bits": st.none() | st.integers(8, 15),
        }
    ),
)
def test_negotiation_then_exchange(
    client_kwargs: Dict[str, Any], server_kwargs: Dict[str, Any]
) -> None:
    if (
        server_kwargs["client_max_window_bits"] is not None
        and client_kwargs["client_max_window_bits"] is None
    ):
        # The server declines: its limit couldn't apply (7.1.2.2).
        with pytest.raises(NegotiationError):
            negotiate(client_kwargs, server_kwargs)
        return
    client_ext, server_ext = negotiate(client_kwargs, server_kwargs)
    check_agreement(client_kwargs, server_kwargs, client_ext, server_ext)
    exchange(client_ext, server_ext)


# Compression and decompression (RFC 7692, sections 6 and 7.2).


def test_rfc_example_single_message() -> None:
    # RFC 7692, section 7.2.3.1.
    sender, receiver = pair()
    frame = sender.encode(Frame(True, OP_TEXT, b"Hello"))
    assert frame == Frame(True, OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)
    assert receiver.decode(frame) == Frame(True, OP_TEXT, b"Hello")


def test_rfc_example_fragmented_message() -> None:
    # RFC 7692, section 7.2.3.1: the compressed "Hello" split in two frames.
    _, receiver = pair()
    first = Frame(False, OP_TEXT, bytes.fromhex("f248cd"), rsv1=True)
    second = Frame(True, OP_CONT, bytes.fromhex("c9c90700"))
    assert receiver.decode(first).data + receiver.decode(second).data == b"Hello"


def test_rfc_example_sharing_window() -> None:
    # RFC 7692, section 7.2.3.2: the second "Hello" refers to the first.
    sender, receiver = pair()
    first = sender.encode(Frame(True, OP_TEXT, b"Hello"))
    second = sender.encode(Frame(True, OP_TEXT, b"Hello"))
    assert first.data == bytes.fromhex("f248cdc9c90700")
    assert second.data == bytes.fromhex("f200110000")
    assert receiver.decode(first).data == receiver.decode(second).data == b"Hello"


def test_rfc_example_stored_block() -> None:
    # RFC 7692, section 7.2.3.3: a DEFLATE block with no compression.
    _, receiver = pair()
    frame = Frame(True, OP_TEXT, bytes.fromhex("000500faff48656c6c6f00"), rsv1=True)
    assert receiver.decode(frame).data == b"Hello"


def test_rfc_example_bfinal() -> None:
    # RFC 7692, section 7.2.3.4: a DEFLATE block with BFINAL set to 1.
    _, receiver = pair()
    frame = Frame(True, OP_TEXT, bytes.fromhex("f348cdc9c90700"), rsv1=True)
    assert receiver.decode(frame).data == b"Hello"
    # The next message starts a new DEFLATE stream.
    assert receiver.decode(frame).data == b"Hello"
    other = Frame(True, OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)
    assert receiver.decode(other).data == b"Hello"


@pytest.mark.parametrize(
    "payload",
    [
        # Flushed with Z_SYNC_FLUSH after "He": the sync marker stays inside.
        "f24805000000ffffcac9c90700",
        # Flushed with Z_BLOCK after "He": blocks not aligned on bytes.
        "f248052827271f00",
    ],
)
def test_two_blocks(payload: str) -> None:
    # RFC 7692, section 7.2.3.5: a message may contain several DEFLATE blocks.
    _, receiver = pair()
    frame = Frame(True, OP_TEXT, bytes.fromhex(payload), rsv1=True)
    assert receiver.decode(frame).data == b"Hello"


def test_empty_message() -> None:
    # RFC 7692, section 7.2.3.6: an empty message compresses to 0x00.
    sender, receiver = pair()
    for _ in range(2):
        frame = sender.encode(Frame(True, OP_BINARY, b""))
        assert frame == Frame(True, OP_BINARY, b"\x00", rsv1=True)
        assert receiver.decode(frame) == Frame(True, OP_BINARY, b"")


def test_empty_fragments() -> None:
    sender, receiver = pair()
    frames = [
        Frame(False, OP_TEXT, b""),
        Frame(False, OP_CONT, b"caf\xc3"),
        Frame(False, OP_CONT, b""),
        Frame(True, OP_CONT, b"\xa9"),
    ]
    assert send(sender, receiver, frames) == "café".encode()


@pytest.mark.parametrize("bits", WINDOW_BITS)
@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_round_trip_every_window(bits: int, no_context_takeover: bool) -> None:
    sender, receiver = pair(bits, no_context_takeover)
    rng = random.Random(bits)
    for size in (0, 1, 100, 1000, 70_000):
        data = compressible(rng, size)
        assert send(sender, receiver, [Frame(True, OP_BINARY, data)]) == data
        text = data.hex().encode()
        frames = fragment(OP_TEXT, text, rng.choices(range(len(text) + 1), k=3))
        assert send(sender, receiver, frames) == text


@pytest.mark.parametrize("bits", WINDOW_BITS)
def test_decompressor_honours_window_with_zlib_peer(bits: int) -> None:
    """Our compressor at N bits is decodable by zlib at N bits, across
    messages sharing the window; this covers the 8 bits special case, where
    zlib compresses with 9 bits but never reaches back more than 250 bytes."""
    sender = PerMessageDeflate(False, False, 15, bits)
    decompressor = zlib.decompressobj(wbits=-bits)
    rng = random.Random(bits)
    chunk = rng.randbytes(1 << bits)
    for message in (chunk, chunk, chunk[::-1] + chunk, chunk[: 1 << (bits - 1)]):
        frame = sender.encode(Frame(True, OP_BINARY, message))
        assert decompressor.decompress(frame.data + TAIL) == message


def test_window_too_small_for_peer() -> None:
    """A peer using a larger window than agreed fails the connection."""
    compressor = zlib.compressobj(wbits=-15)
    receiver = PerMessageDeflate(False, False, 9, 15)
    data = random.Random(4).randbytes(2000)
    for i in range(2):
        payload = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        frame = Frame(True, OP_BINARY, payload[:-4], rsv1=True)
        if i == 0:
            assert receiver.decode(frame).data == data
        else:  # refers to the previous message, 2000 bytes back
            with pytest.raises(ProtocolError, match="invalid compressed data"):
                receiver.decode(frame)


def test_context_takeover_shrinks_repeated_messages() -> None:
    data = compressible(random.Random(5), 2000)
    sizes = {}
    for no_context_takeover in (False, True):
        sender, receiver = pair(15, no_context_takeover)
        frames = [sender.encode(Frame(True, OP_TEXT, data)) for _ in range(3)]
        sizes[no_context_takeover] = [len(frame.data) for frame in frames]
        assert [receiver.decode(frame).data for frame in frames] == [data] * 3
    with_takeover, without_takeover = sizes[False], sizes[True]
    assert with_takeover[1] < with_takeover[0] // 5
    assert without_takeover[0] == without_takeover[1] == without_takeover[2]


def test_interop_zlib_to_extension() -> None:
    """A peer using zlib defaults with sync flush and tail stripping."""
    compressor = zlib.compressobj(wbits=-15)
    _, receiver = pair()
    rng = random.Random(6)
    for _ in range(5):
        data = compressible(rng, 20_000)
        payload = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert payload.endswith(TAIL)
        frame = Frame(True, OP_TEXT, payload[:-4], rsv1=True)
        assert receiver.decode(frame, max_size=len(data)).data == data


def test_interop_extension_to_zlib() -> None:
    sender, _ = pair()
    decompressor = zlib.decompressobj(wbits=-15)
    rng = random.Random(7)
    for _ in range(5):
        data = compressible(rng, 20_000)
        frames = fragment(OP_BINARY, data, [5000, 15000])
        encoded = [sender.encode(frame) for frame in frames]
        assert [frame.rsv1 for frame in encoded] == [True, False, False]
        assert not encoded[-1].data.endswith(TAIL)
        payload = b"".join(frame.data for frame in encoded) + TAIL
        assert decompressor.decompress(payload) == data


def test_control_frames_pass_through() -> None:
    sender, receiver = pair()
    for opcode in (OP_CLOSE, OP_PING, OP_PONG):
        frame = Frame(True, opcode, b"\x03\xe8hello hello hello")
        assert sender.encode(frame) is frame
        assert receiver.decode(frame) is frame
    assert sender._encoder is None and receiver._decoder is None


def test_control_frames_interleaved_in_fragmented_message() -> None:
    sender, receiver = pair()
    ping = Frame(True, OP_PING, b"ping")
    data = compressible(random.Random(8), 3000)
    frames = fragment(OP_TEXT, data, [1000, 2000])
    out = []
    for frame in frames:
        out.append(receiver.decode(sender.encode(frame)).data)
        assert receiver.decode(sender.encode(ping)) == ping
    assert b"".join(out) == data


def test_uncompressed_messages_pass_through() -> None:
    # RFC 7692, section 6: a message without RSV1 on its first frame isn't
    # compressed, even when the extension is active.
    sender, receiver = pair()
    single = Frame(True, OP_TEXT, b"plain")
    assert receiver.decode(single) is single
    frames = fragment(OP_BINARY, b"plain fragmented", [5, 10])
    for frame in frames:
        assert receiver.decode(frame) is frame
    # Compressed messages still work afterwards, and before.
    data = b"compressed" * 10
    assert send(sender, receiver, fragment(OP_BINARY, data, [3])) == data
    assert receiver.decode(single) is single


def test_new_message_after_interrupted_message() -> None:
    # A compressed fragmented message interrupted by an uncompressed message
    # is a protocol error for the connection; the extension stays consistent.
    sender, receiver = pair()
    receiver.decode(sender.encode(Frame(False, OP_TEXT, b"abc")))
    plain = Frame(False, OP_TEXT, b"plain")
    assert receiver.decode(plain) is plain
    continuation = Frame(True, OP_CONT, b"more")
    assert receiver.decode(continuation) is continuation


def test_rsv1_on_continuation_frame_of_compressed_message() -> None:
    # websockets 8.1 sets RSV1 on every frame of a compressed message: accept
    # it on the continuation frames of a message that started compressed.
    sender, receiver = pair()
    frames = [
        sender.encode(Frame(False, OP_TEXT, b"abc")),
        sender.encode(Frame(False, OP_CONT, b"def")),
        sender.encode(Frame(True, OP_CONT, b"ghi")),
    ]
    assert [frame.rsv1 for frame in frames] == [True, False, False]
    as_8_1 = [frame._replace(rsv1=True) for frame in frames]
    decoded = [receiver.decode(frame) for frame in as_8_1]
    assert b"".join(frame.data for frame in decoded) == b"abcdefghi"
    assert not any(frame.rsv1 for frame in decoded)
    # The next message is uncompressed: RSV1 on its continuation frame is
    # still an error, and so is RSV1 on a continuation frame out of the blue.
    assert receiver.decode(Frame(False, OP_TEXT, b"x")) == Frame(False, OP_TEXT, b"x")
    with pytest.raises(ProtocolError, match="continuation"):
        receiver.decode(Frame(True, OP_CONT, b"\x00", rsv1=True))


def test_rsv1_on_continuation_frame_without_message() -> None:
    _, receiver = pair()
    with pytest.raises(ProtocolError, match="continuation"):
        receiver.decode(Frame(True, OP_CONT, b"\x00", rsv1=True))


@pytest.mark.parametrize("opcode", [OP_CLOSE, OP_PING, OP_PONG])
def test_rsv1_on_control_frame(opcode: int) -> None:
    _, receiver = pair()
    with pytest.raises(ProtocolError, match="control"):
        receiver.decode(Frame(True, opcode, b"", rsv1=True))


def test_other_reserved_bits_are_preserved() -> None:
    sender, receiver = pair()
    frame = Frame(True, OP_TEXT, b"data", rsv2=True, rsv3=True)
    encoded = sender.encode(frame)
    assert (encoded.rsv1, encoded.rsv2, encoded.rsv3) == (True, True, True)
    assert receiver.decode(encoded) == frame


def test_encode_accepts_bytes_like() -> None:
    sender, receiver = pair()
    for data in (bytearray(b"abc"), memoryview(b"abc")):
        frame = sender.encode(Frame(True, OP_BINARY, data))  # type: ignore[arg-type]
        assert receiver.decode(frame).data == b"abc"


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff",  # reserved block type
        b"\x07",  # reserved block type, BFINAL set
        b"\x00\x05\x00\x00\x00",  # stored block with a bad length check
        bytes.fromhex("f200110000")[:-1] + b"\xff",
    ],
)
def test_invalid_data(payload: bytes) -> None:
    sender, receiver = pair()
    with pytest.raises(ProtocolError, match="invalid compressed data") as exc_info:
        receiver.decode(Frame(True, OP_TEXT, payload, rsv1=True))
    assert isinstance(exc_info.value.__cause__, zlib.error)
    # The decompressor is released; a new message starts from scratch.
    assert receiver._decoder is None
    assert receiver.decode(sender.encode(Frame(True, OP_TEXT, b"ok"))).data == b"ok"


def test_data_after_bfinal() -> None:
    compressor = zlib.compressobj(wbits=-15)
    ended = compressor.compress(b"Hello") + compressor.flush(zlib.Z_FINISH)
    _, receiver = pair()
    with pytest.raises(ProtocolError, match="after the end"):
        receiver.decode(Frame(True, OP_TEXT, ended + b"junk", rsv1=True))
    assert receiver._decoder is None
    # BFINAL before the last frame of the message.
    _, receiver = pair()
    with pytest.raises(ProtocolError, match="after the end"):
        receiver.decode(Frame(False, OP_TEXT, ended, rsv1=True))
    # BFINAL on the last frame is fine, with the appended tail ignored.
    _, receiver = pair()
    assert receiver.decode(Frame(True, OP_TEXT, ended, rsv1=True)).data == b"Hello"


# Memory: compressors and decompressors are created lazily and released
# between messages without context takeover.


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_lazy_allocation(no_context_takeover: bool) -> None:
    sender, receiver = pair(12, no_context_takeover)
    assert sender._encoder is None and sender._decoder is None
    assert receiver._encoder is None and receiver._decoder is None
    first = sender.encode(Frame(False, OP_TEXT, b"Hello, "))
    assert sender._encoder is not None
    receiver.decode(first)
    assert receiver._decoder is not None
    last = sender.encode(Frame(True, OP_CONT, b"world!"))
    assert (sender._encoder is None) is no_context_takeover
    receiver.decode(last)
    assert (receiver._decoder is None) is no_context_takeover
    # Encoding doesn't create a decompressor and vice versa.
    assert sender._decoder is None and receiver._encoder is None


# Bounded decompression.


def test_max_size() -> None:
    sender, receiver = pair()
    data = b"x" * 1000
    frame = sender.encode(Frame(True, OP_BINARY, data))
    assert receiver.decode(frame, max_size=1000).data == data
    frame = sender.encode(Frame(True, OP_BINARY, data))
    with pytest.raises(PayloadTooBig, match="999"):
        receiver.decode(frame, max_size=999)
    assert receiver._decoder is None


def test_max_size_zero() -> None:
    sender, receiver = pair()
    frame = sender.encode(Frame(True, OP_BINARY, b""))
    assert receiver.decode(frame, max_size=0).data == b""
    frame = sender.encode(Frame(True, OP_BINARY, b"x"))
    with pytest.raises(PayloadTooBig):
        receiver.decode(frame, max_size=0)


@pytest.mark.parametrize("prefix_size", [0, 10_000])
def test_max_size_reached_by_the_tail(prefix_size: int) -> None:
    """Output that zlib produces only once the empty block is appended.

    The payloads end with crafted data: their last symbol is completed by the
    bits of 0x00 0x00 0xff 0xff (RFC 7692, section 7.2.2). A prefix makes the
    payload large enough for the decoder to feed the empty block separately.
    """
    prefix = random.Random(9).randbytes(prefix_size)
    compressor = zlib.compressobj(wbits=-15)
    compressed = compressor.compress(prefix) + compressor.flush(zlib.Z_SYNC_FLUSH)
    one_more = Frame(
        True, OP_BINARY, compressed + bytes.fromhex("f248cdc9c90728"), True
    )
    many_more = Frame(
        True, OP_BINARY, compressed + bytes.fromhex("f248cdc9c90768"), True
    )
    assert zlib.decompressobj(wbits=-15).decompress(one_more.data) == prefix + b"Hello"
    _, receiver = pair()
    assert (
        receiver.decode(one_more, max_size=prefix_size + 6).data == prefix + b"HelloP"
    )
    _, receiver = pair()
    assert receiver.decode(one_more).data == prefix + b"HelloP"
    for frame, max_size in ((one_more, 5), (many_more, 5), (many_more, 10)):
        _, receiver = pair()
        with pytest.raises(PayloadTooBig):
            receiver.decode(frame, max_size=prefix_size + max_size)
        assert receiver._decoder is None


def make_bomb(megabytes: int) -> bytes:
    """DEFLATE data expanding to ``megabytes`` MiB of zeros.

    Compressing 1 MiB of zeros after 1 MiB of zeros always gives the same
    bytes, so the bomb is built by repetition instead of compressing it all.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    zeros = bytes(1 << 20)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    other = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return first + other * (megabytes - 1)


def test_make_bomb() -> None:
    bomb = make_bomb(4)
    assert zlib.decompressobj(wbits=-15).decompress(bomb) == bytes(4 << 20)
    assert len(make_bomb(1)) < 1100  # about 1 KiB for 1 MiB: DEFLATE's best


@pytest.mark.parametrize("fin", [True, False])
def test_deflate_bomb(fin: bool) -> None:
    """1 MiB of DEFLATE data expanding to 1 GiB fails after max_size bytes.

    DEFLATE can't compress better than about 1:1032, so a 1 GiB bomb weighs
    at least 1 MiB; the 1 KiB bomb expands to 1 MiB.
    """
    max_size = 1 << 20
    for megabytes, limit in ((1024, max_size), (1, 64 << 10)):
        bomb = make_bomb(megabytes)
        _, receiver = pair()
        frame = Frame(fin, OP_BINARY, bomb, rsv1=True)
        tracemalloc.start()
        try:
            with pytest.raises(PayloadTooBig):
                receiver.decode(frame, max_size=limit)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        print(f"bomb {len(bomb)} bytes -> {megabytes} MiB: peak {peak} bytes")
        assert peak < 4 * limit
        assert receiver._decoder is None


# Property tests.


@given(
    payload=st.binary(max_size=2000),
    fin=st.booleans(),
    max_size=st.none() | st.integers(0, 5000),
    bits=st.integers(8, 15),
)
def test_arbitrary_payload(
    payload: bytes, fin: bool, max_size: Optional[int], bits: int
) -> None:
    receiver = PerMessageDeflate(False, False, bits, 15)
    try:
        frame = receiver.decode(
            Frame(fin, OP_BINARY, payload, rsv1=True), max_size=max_size
        )
    except (ProtocolError, PayloadTooBig):
        return
    assert max_size is None or len(frame.data) <= max_size
    assert not frame.rsv1


@given(
    payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=4),
    max_size=st.none() | st.integers(0, 5000),
)
def test_arbitrary_fragmented_payload(
    payloads: List[bytes], max_size: Optional[int]
) -> None:
    _, receiver = pair()
    frames = [
        Frame(i == len(payloads) - 1, OP_CONT if i else OP_TEXT, payload, rsv1=not i)
        for i, payload in enumerate(payloads)
    ]
    try:
        for frame in frames:
            decoded = receiver.decode(frame, max_size=max_size)
            assert max_size is None or len(decoded.data) <= max_size
    except (ProtocolError, PayloadTooBig):
        pass


@st.composite
def messages(draw: st.DrawFn) -> Tuple[bytes, List[int]]:
    data = draw(
        st.binary(max_size=3000)
        | st.builds(
            compressible, st.builds(random.Random, st.integers()), st.integers(0, 5000)
        )
    )
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=5))
    return data, cuts


@given(
    msgs=st.lists(messages(), min_size=1, max_size=5),
    bits=st.integers(8, 15),
    no_context_takeover=st.booleans(),
    compress_settings=st.fixed_dictionaries(
        {"level": st.integers(-1, 9), "memLevel": st.integers(1, 9)}
    ),
)
def test_round_trip_arbitrary_messages(
    msgs: List[Tuple[bytes, List[int]]],
    bits: int,
    no_context_takeover: bool,
    compress_settings: Dict[str, int],
) -> None:
    sender = PerMessageDeflate(False, no_context_takeover, 15, bits, compress_settings)
    receiver = PerMessageDeflate(no_context_takeover, False, bits, 15)
    for data, cuts in msgs:
        frames = fragment(OP_BINARY, data, cuts)
        assert send(sender, receiver, frames, max_size=len(data)) == data
    # With a budget one byte short, the message fails, wherever it's cut.
    data, cuts = msgs[-1]
    if data:
        frames = fragment(OP_BINARY, data, cuts)
        with pytest.raises(PayloadTooBig):
            send(sender, receiver, frames, max_size=len(data) - 1)


def test_decode_does_not_mutate_bytearray_payload() -> None:
    sender, receiver = pair()
    payload = bytearray(sender.encode(Frame(True, OP_TEXT, b"Hello")).data)
    original = bytes(payload)
    frame = Frame(True, OP_TEXT, payload, rsv1=True)  # type: ignore[arg-type]
    assert receiver.decode(frame).data == b"Hello"
    assert payload == original


@pytest.mark.parametrize(
    "offer",
    [[], [SNCT], [smwb("10")], [CNCT, smwb("12")]],
)
def test_server_requires_client_max_window_bits(
    offer: List[ExtensionParameter],
) -> None:
    # Like websockets 8.1: a server configured with client_max_window_bits
    # declines an offer that doesn't include it, because RFC 7692, section
    # 7.1.2.2 forbids answering with it and the limit couldn't apply.
    factory = ServerPerMessageDeflateFactory(client_max_window_bits=12)
    with pytest.raises(NegotiationError, match="required client_max_window_bits"):
        factory.process_request_params(offer, [])


def test_server_default_configuration_accepts_offer_without_cmwb() -> None:
    # compression="deflate" limits the client's window when the offer allows
    # it, and otherwise accepts the offer, like 8.1's default configuration.
    from websockets.serving import _enable_permessage_deflate

    (factory,) = _enable_permessage_deflate(None)
    assert isinstance(factory, ServerPerMessageDeflateFactory)
    params, ext = factory.process_request_params([], [])
    assert params == [smwb("12")]
    assert (ext.remote_max_window_bits, ext.local_max_window_bits) == (15, 12)
    params, ext = factory.process_request_params([cmwb(None)], [])
    assert params == [smwb("12"), cmwb("12")]
    assert (ext.remote_max_window_bits, ext.local_max_window_bits) == (12, 12)
