"""Build script: only needed for the optional C accelerator.

Everything else lives in pyproject.toml. The extension is optional: when no
compiler is available, installation succeeds and websockets falls back to
pure Python (see websockets.utils).
"""

import os

from setuptools import Extension, setup

ext_modules = []
if os.environ.get("WEBSOCKETS_NO_SPEEDUPS") != "1":
    ext_modules.append(
        Extension(
            "websockets.speedups",
            sources=[
                "src/websockets/speedups.c",
                "src/websockets/speedups_deadlines.c",
                "src/websockets/speedups_head.c",
            ],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)
