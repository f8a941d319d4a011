# Two commands set everything up on a fresh Debian bookworm machine:
#   make demo   the decomposition on bundled synthetic data, through QGIS's qgis_process
#               (velocity pair, GNSS referencing, time series; a quick-look PNG)
#   make test   the whole test suite (lint included)
# Both install what is missing (Debian packages, a venv) and are safe to re-run.

SHELL := /bin/bash
PLUGIN := insar_decomposition
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
APT_PACKAGES := qgis python3-qgis gdal-bin python3-gdal xvfb xauth
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
BUILD := $(ROOT)/build
# A folder holding the plugin under its package name, for QGIS_PLUGINPATH.
PLUGIN_PATH := $(BUILD)/pluginpath
PROFILE_PLUGINS := $(HOME)/.local/share/QGIS/QGIS3/profiles/default/python/plugins

export QT_QPA_PLATFORM := offscreen
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: all demo screenshots test test-library test-matrix lint system-deps venv plugin-path install-plugin package e2e bench bench-scripts bench-summary clean

all: test

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements-dev.txt | system-deps
	@[ -x $(PY) ] && $(PY) -c "import qgis.core" 2>/dev/null || { rm -rf $(VENV); /usr/bin/python3 -m venv --system-site-packages $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: system-deps $(VENV)/.installed

plugin-path:
	@mkdir -p $(PLUGIN_PATH)
	@ln -sfn $(ROOT) $(PLUGIN_PATH)/$(PLUGIN)

lint: venv
	$(VENV)/bin/ruff check $(ROOT)
	$(VENV)/bin/flake8 --select=QGS --extend-ignore=QGS105 --exclude=.venv,build $(ROOT)

test: venv plugin-path lint
	cd $(ROOT) && $(PY) -m pytest tests
	$(MAKE) test-library

# The core as a library and the losdecomp command line, outside QGIS (docs/library.md): a venv
# of its own in build/lib-venv beside the system's GDAL bindings (--system-site-packages; QGIS
# is hidden from its tests), `pip install -e .[dask]`, then tests/library. Re-run: the install is
# skipped while pyproject.toml is unchanged. The system numpy's major version picks the
# constraints (numpy<2 beside bookworm's GDAL). LIBRARY_TESTS=optional (scripts/test_matrix.sh)
# turns a venv that cannot be made (no PyPI, no wheel for that Python) into a skip, said so.
LIB_VENV := $(BUILD)/lib-venv
LIBRARY_TESTS ?= required
$(LIB_VENV)/.installed: pyproject.toml constraints/bookworm.txt
	@rm -rf $(LIB_VENV) && /usr/bin/python3 -m venv --system-site-packages $(LIB_VENV)
	@cons=""; /usr/bin/python3 -c "import numpy, sys; sys.exit(int(numpy.__version__.split('.')[0]) >= 2)" \
	  && cons="-c $(ROOT)/constraints/bookworm.txt"; \
	$(LIB_VENV)/bin/pip install -q --disable-pip-version-check $$cons -e "$(ROOT)[dask,test]" pytest-timeout
	touch $@

test-library: system-deps
	@if $(MAKE) --no-print-directory $(LIB_VENV)/.installed; then \
	  cd $(ROOT) && $(LIB_VENV)/bin/python -m pytest -p no:qgis -c tests/library/pytest.ini tests/library; \
	elif [ "$(LIBRARY_TESTS)" = optional ]; then \
	  echo "test-library: skipped: the library venv could not be made here (LIBRARY_TESTS=optional)"; \
	else exit 1; fi

# The same suite on QGIS 3.40 (Debian trixie) and 3.44 (sid), each in a chroot (root needed).
test-matrix:
	bash $(ROOT)/scripts/test_matrix.sh

# Links this checkout into the default profile; an older real plugin folder there is moved
# aside (out of the plugin folder) with a message, never left to run instead (see the script).
install-plugin: system-deps plugin-path
	@/usr/bin/python3 $(ROOT)/scripts/install_plugin.py --source $(ROOT) --plugins $(PROFILE_PLUGINS)
	@/usr/bin/qgis_process.bin plugins enable $(PLUGIN) >/dev/null 2>&1 || true

demo: venv install-plugin
	$(PY) $(ROOT)/scripts/demo.py --out $(BUILD)/demo --plugin-path $(PLUGIN_PATH)

# Screenshots for docs/img/ from the real desktop (Xvfb, 1366 x 768, a fresh profile): the dialog,
# and the inspector (its dock's data checked against the rasters).
screenshots: venv package
	$(PY) $(ROOT)/scripts/screenshots.py --zip $(BUILD)/$(PLUGIN).zip --out $(ROOT)/docs/img
	$(PY) $(ROOT)/scripts/inspector_screenshot.py --zip $(BUILD)/$(PLUGIN).zip --out $(ROOT)/docs/img

package: venv
	$(PY) $(ROOT)/scripts/package.py --out $(BUILD)/$(PLUGIN).zip

e2e: venv package
	$(PY) $(ROOT)/scripts/e2e.py --zip $(BUILD)/$(PLUGIN).zip --out $(BUILD)/e2e

# `make bench`: one run of every benchmark, each printing its tables and a FIGURE line per
# figure an issue sets a target for (bench/figures.py). BENCH_*_ARGS scale each script's sizes.
bench: venv install-plugin
	@$(MAKE) --no-print-directory bench-scripts

bench-scripts:
	$(PY) $(ROOT)/bench/bench.py $(BENCH_ARGS)
	$(PY) $(ROOT)/bench/bench_timeseries.py $(BENCH_TS_ARGS)
	$(PY) $(ROOT)/bench/bench_memory.py $(BENCH_MEMORY_ARGS)
	$(PY) $(ROOT)/bench/bench_points.py $(BENCH_POINTS_ARGS)
	$(PY) $(ROOT)/bench/bench_time_functions.py $(BENCH_TF_ARGS)
	$(PY) $(ROOT)/bench/bench_merge_frames.py $(BENCH_MERGE_ARGS)
	$(PY) $(ROOT)/bench/bench_inspector.py $(BENCH_INSPECTOR_ARGS)

# `make bench-summary`: the bench scripts RUNS times (the same BENCH_*_ARGS), then one Markdown
# table of every figure: each run's value, the median, the target, met in how many runs; printed
# and written to build/bench-summary.md (the README's tables come from it). Each run's whole
# output and figures stay in build/bench-runs/.
RUNS ?= 3
bench-summary: venv install-plugin
	$(PY) $(ROOT)/bench/summary.py --runs $(RUNS) --folder $(BUILD)/bench-runs --out $(BUILD)/bench-summary.md \
	  -- $(MAKE) --no-print-directory -C $(ROOT) bench-scripts

clean:
	rm -rf $(BUILD) $(VENV)
