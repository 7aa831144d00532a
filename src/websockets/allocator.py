"""Keep asyncio's read buffers off ``mmap()``: a one-time allocator warm-up.

asyncio's socket transports read with ``sock.recv(262144)``: every read
allocates a 256 KiB :class:`bytes` object, then shrinks it to what arrived.
glibc's malloc serves blocks of 128 KiB or more with ``mmap()``, unless a
larger block served that way has been freed once: its threshold then rises to
that block's size (glibc's "dynamic mmap threshold"). Which of the two a
process gets depends on its history. With ``mmap()``, each read costs
``mmap()``, ``mremap()`` and ``munmap()`` system calls and one or two page
faults: on the benchmark's handshake (three reads per connection on the
server), 6 page faults and about 60 µs of CPU time per connection, a third of
the whole. Processes that happen to have freed a large block first don't pay
it, and the same program measures 25% faster or slower from one run to the
next.

The same rise doubles glibc's trim threshold: how much free memory the top
of the heap may keep before glibc returns it to the system (128 KiB at
first). Under uvloop, which reads until the message queue is full in one turn
of its loop, a queue of 32 messages of 64 KiB fills and drains at every turn:
with a low trim threshold, the 2 MiB are returned and taken back each time,
a page fault per 4 KiB page (in the benchmark, 164 faults per MB received
and nearly three times the CPU time per MB of the default loop).

:func:`warm_up` allocates and frees one block of 4 MiB, once, when a process
makes its first WebSocket connection: glibc raises its thresholds the way it
would the first time the program freed such a block (its own limit is 32
MiB), blocks under 4 MiB come from the heap, and up to 8 MiB freed at its top
stay there for reuse. ``bytes()`` gets the block zeroed from ``mmap()``
without writing it: no page is touched. Elsewhere (other C libraries, or
glibc with ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` set,
which fix the thresholds), it's one allocation of no consequence.
"""

from __future__ import annotations

__all__ = ["warm_up", "warmed_up"]

# Above asyncio's read size (256 KiB), and half of it above a full queue of
# 64 KiB messages (2 MiB), with margin; glibc's limit for its dynamic
# threshold is 32 MiB on 64-bit systems.
WARM_UP_SIZE = 4 * 1024 * 1024


#: Whether :func:`warm_up` ran in this process.
warmed_up = False


def warm_up() -> None:
    """Allocate and free one block of :data:`WARM_UP_SIZE` bytes."""
    global warmed_up
    bytes(WARM_UP_SIZE)
    warmed_up = True
