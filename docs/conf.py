"""Sphinx configuration for the websockets documentation.

Build it with ``make docs``; the HTML ends up in docs/_build/html.
"""

import datetime

from websockets.version import version as release

project = "websockets"
author = "websockets contributors"
copyright = f"2013-{datetime.date.today().year}, {author}"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []

# The API reference follows the order of the source, like the 8.1 reference.
autodoc_member_order = "bysource"
# Signatures and docstrings say what the types are; rendering the annotations
# would add links to typing internals that can't be resolved offline.
autodoc_typehints = "none"
add_module_names = False

# Every cross-reference must resolve, except those to the standard library:
# intersphinx would need network access to fetch Python's inventory.
nitpicky = True
_STDLIB = (
    "asyncio",
    "collections",
    "concurrent",
    "email",
    "functools",
    "http",
    "hmac",
    "logging",
    "os",
    "secrets",
    "signal",
    "socket",
    "uuid",
    "ssl",
    "typing",
    "urllib",
    "zlib",
)
_BUILTINS = (
    "AssertionError",
    "Any",
    "AsyncIterable",
    "Awaitable",
    "DeprecationWarning",
    "EOFError",
    "Exception",
    "LookupError",
    "NamedTuple",
    "RuntimeError",
    "TypeError",
    "UnicodeDecodeError",
    "ValueError",
    "bool",
    "bytearray",
    "bytes",
    "dict",
    "float",
    "int",
    "list",
    "memoryview",
    "str",
    "tuple",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_STDLIB)})(\..*)?"),
    (r"py:.*", rf"({'|'.join(_BUILTINS)})"),
]

html_theme = "alabaster"
html_theme_options = {
    "description": "WebSocket servers and clients with asyncio",
    "fixed_sidebar": True,
}
html_static_path: list[str] = []
html_show_sourcelink = False
