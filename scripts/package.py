"""`make package`: the installable plugin ZIP (runtime files only), for "Install from ZIP"."""

import argparse
import os
import subprocess
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "insar_decomposition"
TOP_FILES = ("metadata.txt", "__init__.py", "plugin.py", "LICENSE", "README.md")
FOLDERS = {"core": (".py",), "provider": (".py",), "ui": (".py", ".ui"), "icons": (".svg",), "examples": (".model3",)}


def runtime_files():
    """Tracked files that the plugin needs at run time (no tests, scripts or dev tools)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    tracked = set(tracked)
    files = [f for f in TOP_FILES if f in tracked]
    for folder, endings in FOLDERS.items():
        files += sorted(f for f in tracked if f.startswith(folder + "/") and f.endswith(endings))
    return files


def build(out):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".partial"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in runtime_files():
            z.write(os.path.join(ROOT, rel), f"{PACKAGE}/{rel}")
    os.replace(tmp, out)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(ROOT, "build", f"{PACKAGE}.zip"))
    path = build(parser.parse_args().out)
    with zipfile.ZipFile(path) as z:
        print(f"{path}: {len(z.namelist())} files")
