"""Published plate-motion models, shipped as data: the Cartesian rotation rates of each plate
(ITRF no-net-rotation frame), in milli-arcseconds per year, as their authors tabulate them.

ITRF2014-PMM: Altamimi, Z., Métivier, L., Rebischung, P., Rouby, H. and Collilieux, X. (2017),
ITRF2014 plate motion model, Geophys. J. Int. 209(3), 1906-1912, doi:10.1093/gji/ggx136,
Table 1 (the table MintPy ships in ``mintpy/objects/euler_pole.py``). No origin rate bias is
added with this model (MintPy adds none either).

ITRF2020-PMM: Altamimi, Z., Métivier, L., Rebischung, P., Collilieux, X., Chanard, K. and
Barnéoud, J. (2023), ITRF2020 plate motion model, Geophys. Res. Lett. 50, e2023GL106373,
doi:10.1029/2023GL106373, Table 1 (poles, mas/yr) and the origin rate bias (ORB) of Table 2,
(0.37, 0.35, 0.74) mm/yr in X, Y, Z; the authors advise users to add the ORB to the horizontal
velocities the poles predict. The values here agree with the ITRF product file
``ITRF2020-PMM.dat`` (deg/Myr, x 3.6 = mas/yr) to its rounding: the test suite checks it.

Each row: plate name -> (abbreviation, wx, wy, wz in mas/yr, WRMS east, WRMS north in mm/yr).
The WRMS are the scatter of the sites about the plate's rotation: the model's precision.
"""

ITRF2014_PMM = {
    "Antarctica": ("ANTA", -0.248, -0.324, 0.675, 0.20, 0.16),
    "Arabia": ("ARAB", 1.154, -0.136, 1.444, 0.36, 0.43),
    "Australia": ("AUST", 1.510, 1.182, 1.215, 0.24, 0.20),
    "Eurasia": ("EURA", -0.085, -0.531, 0.770, 0.23, 0.19),
    "India": ("INDI", 1.154, -0.005, 1.454, 0.21, 0.21),
    "Nazca": ("NAZC", -0.333, -1.544, 1.623, 0.13, 0.19),
    "NorthAmerica": ("NOAM", 0.024, -0.694, -0.063, 0.23, 0.28),
    "Nubia": ("NUBI", 0.099, -0.614, 0.733, 0.28, 0.36),
    "Pacific": ("PCFC", -0.409, 1.047, -2.169, 0.36, 0.31),
    "SouthAmerica": ("SOAM", -0.270, -0.301, -0.140, 0.34, 0.35),
    "Somalia": ("SOMA", -0.121, -0.794, 0.884, 0.32, 0.30),
}

ITRF2020_PMM = {
    "Amur": ("AMUR", -0.131, -0.551, 0.837, 0.17, 0.18),
    "Antarctica": ("ANTA", -0.269, -0.312, 0.678, 0.16, 0.24),
    "Arabia": ("ARAB", 1.129, -0.146, 1.438, 0.15, 0.11),
    "Australia": ("AUST", 1.487, 1.175, 1.223, 0.19, 0.17),
    "Caribbean": ("CARB", 0.207, -1.422, 0.726, 0.18, 0.56),
    "Eurasia": ("EURA", -0.085, -0.519, 0.753, 0.19, 0.21),
    "India": ("INDI", 1.137, 0.013, 1.444, 0.41, 0.33),
    "Nazca": ("NAZC", -0.327, -1.561, 1.605, 0.05, 0.10),
    "NorthAmerica": ("NOAM", 0.045, -0.666, -0.098, 0.23, 0.31),
    "Nubia": ("NUBI", 0.090, -0.585, 0.717, 0.18, 0.21),
    "Pacific": ("PCFC", -0.404, 1.021, -2.154, 0.32, 0.30),
    "SouthAmerica": ("SOAM", -0.261, -0.282, -0.157, 0.30, 0.29),
    "Somalia": ("SOMA", -0.081, -0.719, 0.864, 0.41, 0.21),
}

#: ITRF2020-PMM origin rate bias, mm/yr along the ITRF X, Y, Z axes (Altamimi et al. 2023, Table 2).
ITRF2020_ORB = (0.37, 0.35, 0.74)

#: Model name -> (table, origin rate bias in mm/yr or None, citation).
MODELS = {
    "ITRF2014-PMM": (ITRF2014_PMM, None, "Altamimi et al. (2017), GJI 209, 1906-1912, Table 1"),
    "ITRF2020-PMM": (ITRF2020_PMM, ITRF2020_ORB, "Altamimi et al. (2023), GRL 50, e2023GL106373, Tables 1-2"),
}
DEFAULT_MODEL = "ITRF2014-PMM"
