"""Version of the websockets package."""

version = "8.1.0"
