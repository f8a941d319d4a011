"""The core as a command line (``losdecomp``) and on Dask: the plugin never imports this
package; it imports the core, never provider/, ui/ or QGIS (tests/test_architecture.py)."""
