"""MintPy in a venv of its own, to run its ``asc_desc2horz_vert.py`` and
``timeseries2velocity.py`` beside this plugin
(the side-by-side test and the benchmark). Never imported by the plugin.

The venv lives in ``build/mintpy-venv`` and is made once: MintPy without its optional
heavy dependencies (cartopy, dask, ...), plus what ``asc_desc2horz_vert.py`` imports.
"""

import os
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "build", "mintpy-venv")
MINTPY = "mintpy==1.6.4"
DEPENDENCIES = (
    "numpy==2.4.6",
    "h5py==3.16.0",
    "scipy==1.17.1",
    "matplotlib==3.11.2",
    "pyproj==3.7.2",
    "lxml==6.1.3",
    "pyresample==1.35.0",
    "utm==0.9.0",
)
PYTHON = os.path.join(VENV, "bin", "python")


def ensure():
    """The venv's python, installing MintPy on first use."""
    stamp = os.path.join(VENV, ".installed")
    wanted = " ".join((MINTPY,) + DEPENDENCIES)
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return PYTHON
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--clear", VENV], check=True)
    pip = [PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["--no-deps", MINTPY], check=True)
    subprocess.run(pip + list(DEPENDENCIES), check=True)
    with open(stamp, "w") as f:
        f.write(wanted)
    return PYTHON


def run_python(code, *args):
    out = subprocess.run([ensure(), "-c", textwrap.dedent(code), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"MintPy venv script failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def write_geometry(velocity_h5, out_h5, incidence, azimuth):
    """A MintPy geometry file on the grid of ``velocity_h5`` with constant (scalars) or
    per-pixel (paths to .npy arrays) ``incidenceAngle`` and ``azimuthAngle`` (MintPy's
    convention: from north, anticlockwise)."""
    run_python(
        """
        import sys, h5py, numpy as np
        src, out, inc, az = sys.argv[1:5]
        with h5py.File(src, "r") as f:
            attrs = dict(f.attrs)
        length, width = int(attrs["LENGTH"]), int(attrs["WIDTH"])
        def field(v):
            if v.endswith(".npy"):
                return np.load(v).astype(np.float32)
            return np.full((length, width), float(v), np.float32)
        attrs["FILE_TYPE"] = "geometry"
        with h5py.File(out, "w") as f:
            f.create_dataset("incidenceAngle", data=field(inc))
            f.create_dataset("azimuthAngle", data=field(az))
            for k, v in attrs.items():
                f.attrs[k] = v
        """,
        velocity_h5,
        out_h5,
        str(incidence),
        str(azimuth),
    )


def decompose(asc_h5, desc_h5, out_dir, geometry=None):
    """Run MintPy's asc_desc2horz_vert.py; returns (east .npy, up .npy, wall seconds of the
    MintPy command itself)."""
    os.makedirs(out_dir, exist_ok=True)
    hz, up = os.path.join(out_dir, "mintpy_hz.h5"), os.path.join(out_dir, "mintpy_up.h5")
    script = os.path.join(VENV, "bin", "asc_desc2horz_vert.py")
    cmd = [ensure(), script, asc_h5, desc_h5, "-o", hz, up]
    if geometry:
        cmd += ["-g", *geometry]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=out_dir)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"asc_desc2horz_vert.py failed:\n{out.stdout}\n{out.stderr}")
    npys = []
    for h5, name in ((hz, "mintpy_east.npy"), (up, "mintpy_up.npy")):
        npy = os.path.join(out_dir, name)
        run_python(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                name = [k for k in f.keys()][0]
                np.save(sys.argv[2], f[name][()])
            """,
            h5,
            npy,
        )
        npys.append(npy)
    return npys[0], npys[1], seconds


def write_timeseries(out_h5, stack_npy, dates, attributes):
    """A ``timeseries.h5`` written by MintPy's own writer (``mintpy.utils.writefile``):
    the 3-D ``timeseries`` from ``stack_npy``, ``date`` from ``dates`` (YYYYMMDD) and the
    root ``attributes``."""
    import json

    run_python(
        """
        import sys, json, numpy as np
        from mintpy.utils import writefile
        out, npy, dates, attrs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
        data = np.load(npy).astype(np.float32)
        attrs.update(FILE_TYPE="timeseries", LENGTH=str(data.shape[1]), WIDTH=str(data.shape[2]),
                     START_DATE=dates[0], END_DATE=dates[-1], REF_DATE=dates[0])
        datasets = {"date": np.array(dates, dtype=np.bytes_), "bperp": np.zeros(len(dates), np.float32),
                    "timeseries": data}
        writefile.write(datasets, out_file=out, metadata=attrs)
        """,
        out_h5,
        stack_npy,
        json.dumps(list(dates)),
        json.dumps({k: str(v) for k, v in attributes.items()}),
    )


def timeseries2velocity(ts_h5, out_dir, options):
    """Run MintPy's ``timeseries2velocity.py`` on ``ts_h5`` with ``options`` (a list);
    returns {dataset: .npy path} of the file it writes."""
    os.makedirs(out_dir, exist_ok=True)
    out_h5 = os.path.join(out_dir, "velocity.h5")
    script = os.path.join(VENV, "bin", "timeseries2velocity.py")
    out = subprocess.run([ensure(), script, ts_h5, "-o", out_h5, *options], capture_output=True, text=True, cwd=out_dir)
    if out.returncode != 0:
        raise RuntimeError(f"timeseries2velocity.py failed:\n{out.stdout}\n{out.stderr}")
    return _datasets_to_npy(out_h5, out_dir)


def design_matrix(dates, model, out_npy):
    """MintPy's own design matrix (``time_func.get_design_matrix4time_func``) for ``dates``
    (YYYYMMDD) and ``model`` (MintPy's dict), saved to ``out_npy``."""
    import json

    run_python(
        """
        import sys, json, numpy as np
        from mintpy.utils import time_func
        A = time_func.get_design_matrix4time_func(json.loads(sys.argv[1]), model=json.loads(sys.argv[2]))
        np.save(sys.argv[3], A)
        """,
        json.dumps(list(dates)),
        json.dumps(model),
        out_npy,
    )
    return out_npy


def _datasets_to_npy(h5, out_dir):
    listing = run_python(
        """
        import os, sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "r") as f:
            for name, ds in f.items():
                if getattr(ds, "ndim", 0) >= 2:
                    np.save(os.path.join(sys.argv[2], name + ".npy"), ds[()])
                    print(name)
        """,
        h5,
        out_dir,
    )
    return {name: os.path.join(out_dir, name + ".npy") for name in listing.split()}


if __name__ == "__main__":
    print(ensure(), file=sys.stderr)
