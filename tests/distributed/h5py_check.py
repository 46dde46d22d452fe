#!/usr/bin/env python3
"""Opens the checkpoint weft wrote at 3 ranks (the [h5py] test case of
weft_hdf5_tests) with h5py, as any tool would, and checks shapes, values,
attributes and the XDMF sidecars.

    python3 h5py_check.py <dir holding weft.h5>
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np

failures = []


def check(condition, what):
    print(("ok      " if condition else "FAILED  ") + what)
    if not condition:
        failures.append(what)


directory = Path(sys.argv[1])
path = directory / "weft.h5"
check(path.exists(), f"{path} exists")
check(not list(directory.glob("weft.h5.tmp.*")), "no temporary files are left")

with h5py.File(path, "r") as f:
    check(f.attrs["step"] == 1000, "file attribute step = 1000")
    check(f.attrs["title"] == "weft h5py check", "file attribute title")

    v = f["vector"]
    check(v.shape == (1000,) and v.dtype == np.int64, f"vector: shape {v.shape}, dtype {v.dtype}")
    check(np.array_equal(v[...], 3 * np.arange(1000) - 7), "vector: values 3 i - 7")
    check(list(v.attrs["extents"]) == [1000], "vector: extents attribute")
    check(v.attrs["value_type"] == "int64", "vector: value_type attribute")
    check(v.attrs["weft_object"] == "distributed_vector", "vector: weft_object attribute")
    check(v.attrs["step"] == 1000 and v.attrs["time"] == 0.5 and v.attrs["units"] == "m", "vector: user attributes")
    check(isinstance(v.attrs["weft_version"], str), "vector: weft_version is a string")

    u = f["grid2d"]
    i, j = np.meshgrid(np.arange(37), np.arange(23), indexing="ij")
    check(u.shape == (37, 23) and u.dtype == np.float64, f"grid2d: shape {u.shape}, dtype {u.dtype}")
    check(np.array_equal(u[...], i * 100 + j + 0.25), "grid2d: values i*100 + j + 0.25, row-major, no halo")
    check(u.id.get_create_plist().get_layout() == h5py.h5d.CONTIGUOUS, "grid2d: contiguous layout")

    w = f["fields/grid3d"]
    i, j, k = np.meshgrid(np.arange(9), np.arange(8), np.arange(7), indexing="ij")
    check(w.shape == (9, 8, 7) and w.dtype == np.float32, f"fields/grid3d: shape {w.shape}, dtype {w.dtype}")
    check(np.array_equal(w[...], (i * 10000 + j * 100 + k).astype(np.float32)), "fields/grid3d: values")
    check(list(w.attrs["extents"]) == [9, 8, 7], "fields/grid3d: extents attribute")

    c = f["complex"]
    n = np.arange(10)
    check(c.dtype == np.complex128, f"complex: read as {c.dtype}")
    check(np.array_equal(c[...], n - 0.5j * n), "complex: values i - 0.5 i j")

    p = f["particles"]
    check(p.dtype.names == ("position", "mass", "id", "flags"), f"particles: members {p.dtype.names}")
    check(p.shape == (5,), "particles: shape")
    n = np.arange(5)
    check(np.array_equal(p["position"], np.stack([n, 2.0 * n, 3.0 * n], axis=1)), "particles: position")
    check(np.array_equal(p["mass"], (0.5 * n).astype(np.float32)), "particles: mass")
    check(np.array_equal(p["id"], 100 + n) and np.array_equal(p["flags"], n % 2), "particles: id and flags")

    vel = f["velocity"]
    check(vel.shape == (6, 5) and vel.dtype.subdtype == (np.dtype(np.float32), (3,)),
          f"velocity: shape {vel.shape}, dtype {vel.dtype}")
    data = vel[...]
    i, j = np.meshgrid(np.arange(6), np.arange(5), indexing="ij")
    check(data.shape == (6, 5, 3) and np.array_equal(data[..., 0], i) and np.array_equal(data[..., 1], j)
          and np.all(data[..., 2] == 1), "velocity: values")

# XDMF sidecars: the grids of scalar and 3-vector types, pointing at existing datasets.
for name, dims, kind in [("grid2d", "37 23", "Scalar"), ("fields.grid3d", "9 8 7", "Scalar"),
                         ("velocity", "6 5", "Vector")]:
    sidecar = directory / f"weft.{name}.xmf"
    check(sidecar.exists(), f"sidecar {sidecar.name} exists")
    if not sidecar.exists():
        continue
    root = ET.parse(sidecar).getroot()
    grid = root.find("Domain/Grid")
    topology = grid.find("Topology")
    check(topology.get("TopologyType") == f"{len(dims.split())}DCoRectMesh" and topology.get("Dimensions") == dims,
          f"{sidecar.name}: {topology.get('TopologyType')} {topology.get('Dimensions')}")
    attribute = grid.find("Attribute")
    check(attribute.get("AttributeType") == kind, f"{sidecar.name}: {kind} attribute")
    item = attribute.find("DataItem")
    file_name, dataset = item.text.split(":")
    with h5py.File(directory / file_name, "r") as f:
        check(dataset in f and " ".join(map(str, f[dataset].shape)) == dims,
              f"{sidecar.name}: refers to {file_name}:{dataset} of shape {dims}")
for name in ["vector", "complex", "particles"]:
    check(not (directory / f"weft.{name}.xmf").exists(), f"no sidecar for {name}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
