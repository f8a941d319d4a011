"""The plugin's version, read from ``metadata.txt`` (its one place)."""

import configparser
import os

METADATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metadata.txt")


def plugin_version() -> str:
    """``version`` of metadata.txt, or ``unknown`` when the file is not beside the package."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(METADATA, encoding="utf-8"):
        return "unknown"
    return parser.get("general", "version", fallback="unknown")


VERSION = plugin_version()
