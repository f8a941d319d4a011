"""Every error the core raises, in one place: each says what cannot be done, and its
message names the input (layer, file, track, date) and the problem. The modules that
raise one re-export it under its old name.

Imports nothing else of the plugin.
"""


class Cancelled(Exception):
    """The run was cancelled; no output was left behind."""


class NoResult(ValueError):
    """Not a single pixel could be resolved; no output was left behind."""


class TrackError(ValueError):
    """A track cannot be used as given; the message names the track and the problem."""


class GridError(ValueError):
    """The inputs do not define a usable common grid."""


class ReferenceAreaError(ValueError):
    """The reference area is unusable (outside the grid, or no data there)."""


class TimeSeriesError(ValueError):
    """A time series or a window that cannot give a velocity; names the problem."""


class ProjectionError(ValueError):
    """The projection cannot be made as asked."""


class StationError(ValueError):
    """The GNSS input cannot be used; the message names the input and the problem."""


class SurfaceError(ValueError):
    """The stations cannot determine the surface asked for."""


class PointError(ValueError):
    """Point data that cannot be used; the message names the input and the problem."""


class MintPyError(ValueError):
    """A MintPy file that cannot be used as asked."""


class LicsbasError(ValueError):
    """A file that is not a usable LiCSBAS time series."""


class ReadError(OSError):
    """A raster's data cannot be read (truncated or damaged file); names the file."""


class OutputError(OSError):
    """An output cannot be written where asked."""


class PlateError(ValueError):
    """A plate name or an Euler pole that cannot be used; names the value and the valid ones."""


class FrameError(ValueError):
    """Frames that cannot be merged (one overlaps no other, signs or units differ); names the frame."""
