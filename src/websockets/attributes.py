"""The attributes that the mixins of a connection share, for type checking.

:class:`~websockets.protocol.WebSocketCommonProtocol` is assembled from
mixins, one job each (:mod:`~websockets.incoming`,
:mod:`~websockets.receiving`, :mod:`~websockets.sending`,
:mod:`~websockets.closing`, :mod:`~websockets.keepalive`), which use
attributes that the protocol's ``__init__`` sets and methods that other
mixins define. :class:`ConnectionAttributes` declares them once, for mypy; at
run time it's an empty class without instance storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    import logging
    from typing import Deque, List, Optional, Tuple, Union

    from .assembly import MessageAssembler, MessageStream
    from .close_frame import Close
    from .deadlines import Timer
    from .exceptions import ConnectionClosed
    from .extensions.base import Extension
    from .frame_parser import FrameParser
    from .framing import Frame
    from .log import ConnectionLogger
    from .state import State
    from .streams import StreamBuffer
    from .typing import BytesLike, Data
    from .utils import ParseWholeFrame

__all__ = ["ConnectionAttributes"]


class ConnectionAttributes:
    """Base class of the mixins of a connection: what they may use of each
    other and of :class:`~websockets.protocol.WebSocketCommonProtocol`."""

    if not TYPE_CHECKING:  # pragma: no branch
        __slots__ = ()

    if TYPE_CHECKING:
        _assembler: Optional[MessageAssembler]
        close_code: Optional[int]
        _close_deadline: Optional[float]
        _close_rcvd: Optional[Close]
        _close_rcvd_then_sent: Optional[bool]
        close_reason: str
        _close_sent: Optional[Close]
        close_timeout: float
        _close_timer: Optional[Timer]
        connection_lost_waiter: asyncio.Future[None]
        _data_seen: bool
        _debug: bool
        _discard_data: bool
        _drain_waiters: List[asyncio.Future[None]]
        _end_of_stream: bool
        extensions: List[Extension]
        _fragmented_message_waiter: Optional[asyncio.Future[None]]
        is_client: bool
        _keepalive_handle: Optional[Timer]
        legacy_recv: bool
        loop: asyncio.AbstractEventLoop
        _max_fragment: Optional[int]
        _max_message: Optional[int]
        max_queue: Optional[int]
        messages: Union[List[Data], Deque[Data]]
        _parse_frame: Optional[ParseWholeFrame]
        _parser: Optional[FrameParser]
        _paused_reading: int
        _paused_writing: bool
        _pending_failure: Optional[Tuple[int, str]]
        _pending_failure_handle: Optional[Timer]
        ping_interval: Optional[float]
        ping_timeout: Optional[float]
        read_limit: int
        reader: StreamBuffer
        _recv_resuming: bool
        _recv_waiter: Optional[asyncio.Future[None]]
        secure: Optional[bool]
        side: str
        state: State
        _stream: Optional[MessageStream]
        transport: asyncio.Transport

        def _log(self, default: logging.Logger) -> ConnectionLogger: ...

        def _fail_from_peer(self, code: int, reason: str) -> None: ...

        def fail_connection(self, code: int = 1006, reason: str = "") -> None: ...

        def _check_incomplete_text_frame(self, parser: FrameParser) -> None: ...

        def _handle_data_frame(self, frame: Frame) -> None: ...

        def _handle_close_frame(self, data: bytes) -> None: ...

        def _acknowledge_pings(self, data: bytes) -> None: ...

        def _write_frame(
            self, fin: bool, opcode: int, data: BytesLike, compress: bool = True
        ) -> None: ...

        def _execute_pending_failure(self) -> None: ...

        def _resume_reading(self, reasons: int) -> None: ...

        def connection_closed_exc(self) -> ConnectionClosed: ...

        async def ensure_open(self) -> None: ...

        def _set_state(self, state: State) -> None: ...

        def _set_end_of_stream(self) -> None: ...

        def connection_lost(self, exc: Optional[Exception]) -> None: ...

        async def _drain(self) -> None: ...
