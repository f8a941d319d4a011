"""The plugin's version, read from ``metadata.txt`` (its one place)."""

import configparser
import datetime
import os

_PLUGIN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # core/conventions/ -> plugin
METADATA = os.path.join(_PLUGIN, "metadata.txt")


def plugin_version() -> str:
    """``version`` of metadata.txt, or ``unknown`` when the file is not beside the package."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(METADATA, encoding="utf-8"):
        return "unknown"
    return parser.get("general", "version", fallback="unknown")


VERSION = plugin_version()
#: ``LOSDECOMP_SOFTWARE`` of every output
SOFTWARE = f"QGIS plugin InSAR LOS Decomposition {VERSION}"


def created() -> str:
    """``LOSDECOMP_CREATED`` of an output: now, UTC, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
