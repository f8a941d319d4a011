"""Plugin entry: the Processing provider, a toolbar button and a Raster menu entry."""

import os

from qgis.core import QgsApplication
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .provider.provider import LosDecompProvider

MENU = "InSAR LOS Decomposition"
ICON = os.path.join(os.path.dirname(__file__), "icons", "icon.svg")


class InsarDecompositionPlugin:
    """The plugin as QGIS loads it: provider, menu entry, toolbar button, dialog."""

    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.action = None
        self.toolbar = None
        self.dialog = None
        self.inspector_action = None
        self.inspector = None  # (dock, map tool), made on first use

        self.date_action = None
        self.date_slider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is not None:  # qgis_process calls this; the desktop calls initGui
            return
        self.provider = LosDecompProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS's name)
        self.initProcessing()
        self.action = QAction(QIcon(ICON), "InSAR LOS Decomposition...", self.iface.mainWindow())
        self.action.setObjectName("insarLosDecompositionAction")
        self.action.triggered.connect(self.open_dialog)
        # a toolbar of its own: the Raster toolbar is hidden in a fresh profile, so a button
        # there would be invisible to a new user
        self.toolbar = self.iface.addToolBar(MENU)
        self.toolbar.setObjectName("insarLosDecompositionToolbar")
        self.toolbar.addAction(self.action)
        self.iface.addPluginToRasterMenu(MENU, self.action)
        self._init_inspector()
        self._init_date_slider()

    def _init_inspector(self):
        """The time-series inspector: click the map, see every dated layer's series."""
        icon = QgsApplication.getThemeIcon("/mActionIdentify.svg")
        self.inspector_action = QAction(icon, "Inspect time series (click the map)", self.iface.mainWindow())
        self.inspector_action.setObjectName("insarTimeSeriesInspectorAction")
        self.inspector_action.triggered.connect(self.open_inspector)
        self.toolbar.addAction(self.inspector_action)
        self.iface.addPluginToRasterMenu(MENU, self.inspector_action)

    def _init_date_slider(self):
        """The date slider of dated stacks: a toolbar button and a Raster menu entry."""
        icon = QgsApplication.getThemeIcon("/propertyicons/temporal.svg")  # QGIS's own clock (3.14+)
        self.date_action = QAction(icon, "InSAR dates (time-series slider)...", self.iface.mainWindow())
        self.date_action.setObjectName("insarDateSliderAction")
        self.date_action.setToolTip("Step through the dates of the selected time-series layer")
        self.date_action.triggered.connect(self.open_date_slider)
        self.toolbar.addAction(self.date_action)
        self.iface.addPluginToRasterMenu(MENU, self.date_action)

    def open_date_slider(self):
        from .ui.date_slider import DateSlider

        if self.date_slider is None:
            self.date_slider = DateSlider(self.iface, parent=self.iface.mainWindow())
        self.date_slider.set_layer(self.iface.activeLayer())
        self.date_slider.show()
        self.date_slider.raise_()

    def open_dialog(self):
        from .ui.dialog import DecompositionDialog

        if self.dialog is None:
            self.dialog = DecompositionDialog(self.iface, parent=self.iface.mainWindow())
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def open_inspector(self):
        from .ui.inspector.dock import InspectorDock
        from .ui.inspector.tool import InspectorTool

        if self.inspector is None:
            from qgis.PyQt.QtCore import Qt

            dock, tool = InspectorDock(self.iface.mainWindow()), InspectorTool(self.iface.mapCanvas())
            dock.connect_tool(tool)
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.inspector = (dock, tool)
        self.inspector[0].show()
        self.iface.mapCanvas().setMapTool(self.inspector[1])

    def unload(self):
        if self.inspector is not None:
            self.iface.mapCanvas().unsetMapTool(self.inspector[1])
            self.iface.removeDockWidget(self.inspector[0])
            self.inspector[0].deleteLater()
            self.inspector = None
        if self.inspector_action is not None:
            self.iface.removePluginRasterMenu(MENU, self.inspector_action)
            self.inspector_action.deleteLater()
            self.inspector_action = None

        if self.date_slider is not None:
            self.date_slider.detach()
            self.date_slider.close()
            self.date_slider.deleteLater()
            self.date_slider = None
        if self.date_action is not None:
            self.iface.removePluginRasterMenu(MENU, self.date_action)
            self.date_action.deleteLater()
            self.date_action = None
        if self.action is not None:
            if self.toolbar is not None:
                self.toolbar.deleteLater()
                self.toolbar = None
            self.iface.removePluginRasterMenu(MENU, self.action)
            self.action.deleteLater()
            self.action = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
