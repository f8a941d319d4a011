"""`make install-plugin`: link this checkout into a QGIS profile's plugin folder as
``insar_decomposition``, never silently leaving another copy there.

- our link already there: nothing to do;
- a link to another folder (another checkout): replaced, and said;
- a real folder (an older install from a ZIP or the plugin manager): QGIS would go on
  running that old copy (and ``ln -sfn`` would put the link *inside* it), so it is moved
  out of the plugin folder to ``<profile>/python/insar_decomposition.replaced-<time>``
  (QGIS does not load plugins from there; delete it when no longer wanted), and said.
"""

import argparse
import os
import sys
import time

PACKAGE = "insar_decomposition"


def install(source: str, plugins: str, stamp: str = "") -> str:
    """Link ``source`` as ``plugins/insar_decomposition``; returns what was done, in words."""
    source = os.path.abspath(source)
    os.makedirs(plugins, exist_ok=True)
    target = os.path.join(plugins, PACKAGE)
    said = ""
    if os.path.islink(target):
        old = os.readlink(target)
        if os.path.abspath(os.path.join(plugins, old)) == source:
            return f"{target} already links to {source}"
        os.remove(target)
        said = f"replaced the link to {old}; "
    elif os.path.exists(target):
        aside = os.path.join(os.path.dirname(os.path.abspath(plugins)),
                             f"{PACKAGE}.replaced-{stamp or time.strftime('%Y%m%d-%H%M%S')}")  # fmt: skip
        os.rename(target, aside)
        said = (f"moved the plugin folder that was there (an older install QGIS would have kept running) to "
                f"{aside}; delete it when no longer wanted; ")  # fmt: skip
    os.symlink(source, target)
    return f"{said}{target} -> {source}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--plugins", required=True, help="the profile's python/plugins folder")
    args = parser.parse_args()
    try:
        print("install-plugin: " + install(args.source, args.plugins))
    except OSError as exc:
        sys.exit(f"install-plugin: could not link the plugin into {args.plugins}: {exc}")


if __name__ == "__main__":
    main()
