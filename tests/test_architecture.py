"""The structure the next products land on: no import cycles, short functions, typed and
documented public API, and GDAL's exception mode left as found."""

import ast
import inspect
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import IMPORT_PARENT, ROOT

#: cli/ is the command line and Dask path (docs/library.md): not in the plugin ZIP, held to the same rules.
PLUGIN_FOLDERS = ("core", "provider", "ui", "cli")
MAX_FUNCTION_LINES = 60
MAX_COMPLEXITY = 15
MAX_MODULE_LINES, MAX_DIALOG_MODULE_LINES = 500, 350


def plugin_modules():
    """{dotted name relative to the plugin: path} of every Python module of the plugin."""
    modules = {"": ROOT / "__init__.py", "plugin": ROOT / "plugin.py"}
    for folder in PLUGIN_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(name, path, modules):
    """Plugin modules imported by ``name`` anywhere in it (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
            candidates = [target] + [f"{target}.{a.name}" if target else a.name for a in node.names]
            found |= {c for c in candidates if c in modules and c != name}
    return found


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_import_walker_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    modules = plugin_modules()
    edges = imports_of("core.io.products.tags", modules["core.io.products.tags"], modules)
    assert {"core.io.model", "core.conventions.schema", "core.io.products.base", "core.conventions.geometry"} <= edges


def test_no_import_cycles_in_the_plugin():
    modules = plugin_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert sum(len(v) for v in graph.values()) > 40  # the walk really follows the imports
    assert find_cycle(graph) is None


def test_the_conventions_import_nothing_of_the_plugin():
    modules = plugin_modules()
    for name in (m for m in modules if m.startswith("core.conventions.")):
        assert imports_of(name, modules[name], modules) == set(), name


def _floor_of():
    from insar_decomposition.core import LAYERS

    return {package: floor for floor, packages in enumerate(LAYERS) for package in packages}


def test_core_holds_only_its_layered_packages():
    floors = _floor_of()
    core = ROOT / "core"
    assert {p.name for p in core.glob("*.py")} == {"__init__.py"}
    assert {p.name for p in core.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(floors)


def test_no_import_against_the_declared_order():
    """A core module imports its own package and the floors below, never its own floor or
    above (solve and io side by side)."""
    floors = _floor_of()
    modules = plugin_modules()
    wrong = []
    for name, path in modules.items():
        if not name.startswith("core."):
            continue
        package = name.split(".")[1]
        for target in imports_of(name, path, modules):
            if not target.startswith("core."):
                wrong.append(f"{name} -> {target} (outside core)")
                continue
            other = target.split(".")[1]
            if other != package and floors[other] >= floors[package]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_order_test_sees_an_upward_import():
    modules = plugin_modules()
    edges = imports_of("core.runs.engine", modules["core.runs.engine"], modules)
    floors = _floor_of()
    assert any(floors[e.split(".")[1]] < floors["runs"] for e in edges)


def _absolute_imports(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_cli_imports_core_only_and_core_never_imports_cli():
    """The command line (cli/) may import the core, never provider/, ui/, the plugin, QGIS
    or Qt; the core and the plugin never import cli/ (nor dask or xarray)."""
    modules = plugin_modules()
    wrong = []
    for name, path in modules.items():
        targets = imports_of(name, path, modules)
        if name.startswith("cli"):
            wrong += [f"{name} -> {t}" for t in targets if not t.startswith(("core", "cli"))]
            wrong += [f"{name} -> {m}" for m in _absolute_imports(path) & {"qgis", "PyQt5", "PyQt6", "sip"}]
        else:
            wrong += [f"{name} -> {t}" for t in targets if t.startswith("cli")]
            wrong += [f"{name} -> {m}" for m in _absolute_imports(path) & {"dask", "distributed", "xarray", "zarr"}]
    assert wrong == []
    assert any(t.startswith("core") for t in imports_of("cli.main", modules["cli.main"], modules))


def test_the_distribution_lists_every_package_it_ships():
    """pyproject.toml's explicit package list (the root mapped to insar_decomposition) holds
    every package of core/ and cli/, and nothing that imports QGIS."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"insar_decomposition"} | {
        "insar_decomposition." + ".".join(p.parent.relative_to(ROOT).parts)
        for folder in ("core", "cli") for p in (ROOT / folder).rglob("__init__.py")
    }  # fmt: skip
    assert listed == found


def test_no_cycles_between_packages():
    modules = plugin_modules()
    graph = {}
    for name, path in modules.items():
        package = ".".join(name.split(".")[:2]) if name.startswith("core.") else name.split(".")[0]
        targets = {".".join(t.split(".")[:2]) if t.startswith("core.") else t.split(".")[0]
                   for t in imports_of(name, path, modules)}  # fmt: skip
        graph.setdefault(package, set()).update(targets - {package})
    assert find_cycle(graph) is None


def test_no_function_longer_than_60_lines():
    long = []
    for path in plugin_modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_no_function_more_complex_than_15():
    """Cyclomatic complexity as radon counts it (boolean operators and comprehensions too)."""
    from radon.complexity import cc_visit

    complex_ = []
    for path in plugin_modules().values():
        for block in cc_visit(path.read_text()):
            for item in [block] + list(getattr(block, "methods", [])):
                if item.complexity > MAX_COMPLEXITY:
                    complex_.append(f"{path.relative_to(ROOT)}:{item.lineno} {item.name} ({item.complexity})")
    assert complex_ == []


def test_no_module_longer_than_500_lines_and_no_dialog_module_over_350():
    long = []
    for path in plugin_modules().values():
        limit = MAX_DIALOG_MODULE_LINES if path.relative_to(ROOT).parts[0] == "ui" else MAX_MODULE_LINES
        lines = len(path.read_text().splitlines())
        if lines > limit:
            long.append(f"{path.relative_to(ROOT)} ({lines} lines, limit {limit})")
    assert long == []


def _public_core_functions():
    for name, path in plugin_modules().items():
        if not name.startswith("core"):
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                yield path, node
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield path, item


def test_core_public_functions_have_type_hints():
    missing = []
    for path, fn in _public_core_functions():
        args = [a for a in fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
        if fn.returns is None or any(a.annotation is None for a in args):
            missing.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}")
    assert missing == []


def test_public_classes_have_docstrings():
    missing = []
    for path in plugin_modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []


def test_version_comes_from_metadata_txt():
    import configparser

    from insar_decomposition.core.conventions.version import VERSION

    meta = configparser.ConfigParser()
    meta.read(ROOT / "metadata.txt")
    assert VERSION == meta["general"]["version"]
    sources = [p for p in plugin_modules().values() if VERSION in p.read_text()]
    assert sources == []  # written nowhere else in the code


def test_a_product_family_is_one_module_and_one_registry_line():
    from insar_decomposition.core.io import products

    interface = ("PRODUCT", "recognise", "read", "siblings")
    for family in products.FAMILIES:
        assert all(hasattr(family, a) for a in interface), family.__name__
        assert inspect.signature(family.recognise).parameters.keys() == {"src", "md"}
    files = {p.stem for p in (ROOT / "core" / "io" / "products").glob("*.py")} - {"__init__", "base"}
    assert files == {f.__name__.rpartition(".")[2] for f in products.FAMILIES}


SESSION = textwrap.dedent(
    """
    import json, sys
    from osgeo import gdal, ogr, osr
    sys.path.insert(0, sys.argv[3])
    import synthetic_scene  # the test's own data, made before the mode is set
    paths = synthetic_scene.make_scene(sys.argv[4])
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    # set after QGIS's own start-up, which enables exceptions itself from QGIS 3.30 or so
    start_on = sys.argv[1] == "on"
    for m in (ogr, osr, gdal) if not start_on else (gdal, osr, ogr):
        m.UseExceptions() if start_on else m.DontUseExceptions()
    sys.path.insert(0, sys.argv[2])
    import insar_decomposition
    plugin = insar_decomposition.classFactory(None)
    plugin.initProcessing()
    after_import = [bool(m.GetUseExceptions()) for m in (gdal, osr, ogr)]
    ok = processing.run("losdecomp:decompose", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                        "OUTPUT_EAST": sys.argv[4] + "/e.tif", "OUTPUT_UP": sys.argv[4] + "/u.tif"})
    try:
        processing.run("losdecomp:decompose", {"ASCENDING": paths["asc"], "DESCENDING": sys.argv[4] + "/none.tif",
                       "OUTPUT_EAST": sys.argv[4] + "/e2.tif", "OUTPUT_UP": sys.argv[4] + "/u2.tif"})
    except Exception:
        pass
    after_run = [bool(m.GetUseExceptions()) for m in (gdal, osr, ogr)]
    print(json.dumps({"import": after_import, "run": after_run, "written": bool(ok["OUTPUT_UP"])}))
    """
)


@pytest.mark.parametrize("start", ["off", "on"])
def test_gdal_exception_mode_is_left_as_found(start, tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", SESSION, start, str(IMPORT_PARENT), str(ROOT / "scripts"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    expected = [start == "on"] * 3
    assert result == {"import": expected, "run": expected, "written": True}
