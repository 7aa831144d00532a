"""Tests for websockets.extensions.base."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import pytest

import websockets.extensions
from websockets.extensions.base import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from websockets.framing import OP_TEXT, Frame
from websockets.typing import ExtensionName, ExtensionParameter


def test_package_reexports_base_classes() -> None:
    assert websockets.extensions.Extension is Extension
    assert websockets.extensions.ClientExtensionFactory is ClientExtensionFactory
    assert websockets.extensions.ServerExtensionFactory is ServerExtensionFactory


def test_abstract_methods_raise_not_implemented() -> None:
    frame = Frame(True, OP_TEXT, b"")
    with pytest.raises(NotImplementedError):
        Extension().decode(frame)
    with pytest.raises(NotImplementedError):
        Extension().decode(frame, max_size=1)
    with pytest.raises(NotImplementedError):
        Extension().encode(frame)
    with pytest.raises(NotImplementedError):
        ClientExtensionFactory().get_request_params()
    with pytest.raises(NotImplementedError):
        ClientExtensionFactory().process_response_params([], [])
    with pytest.raises(NotImplementedError):
        ServerExtensionFactory().process_request_params([], [])


class Rsv2Extension(Extension):
    """Toy extension that flags every data frame with RSV2 and XORs it."""

    name = ExtensionName("x-rsv2")

    def __init__(self) -> None:
        self.seen: List[Frame] = []

    def encode(self, frame: Frame) -> Frame:
        return frame._replace(data=bytes(b ^ 1 for b in frame.data), rsv2=True)

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        self.seen.append(frame)
        return frame._replace(data=bytes(b ^ 1 for b in frame.data), rsv2=False)


class Rsv2ClientFactory(ClientExtensionFactory):
    name = ExtensionName("x-rsv2")

    def get_request_params(self) -> List[ExtensionParameter]:
        return [("flag", None)]

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        return Rsv2Extension()


class Rsv2ServerFactory(ServerExtensionFactory):
    name = ExtensionName("x-rsv2")

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], Extension]:
        return list(params), Rsv2Extension()


def test_subclasses_implement_the_api() -> None:
    """Third-party extensions subclass the base classes and keep attributes."""
    client_factory = Rsv2ClientFactory()
    server_factory = Rsv2ServerFactory()
    offer = client_factory.get_request_params()
    response, server_ext = server_factory.process_request_params(offer, [])
    client_ext = client_factory.process_response_params(response, [])
    assert response == [("flag", None)]
    assert client_ext.name == server_ext.name == "x-rsv2"

    frame = Frame(True, OP_TEXT, b"hello")
    encoded = client_ext.encode(frame)
    assert encoded.rsv2 and encoded.data != b"hello"
    decoded = server_ext.decode(encoded, max_size=None)
    assert decoded == frame
    assert isinstance(server_ext, Rsv2Extension) and server_ext.seen == [encoded]
