"""Processing group "Import": other software's files to the plugin's GeoTIFFs
(``losdecomp:import_mintpy``, ``losdecomp:import_licsbas``)."""

from ..base import Group

IMPORTS = Group("imports", "Import")
