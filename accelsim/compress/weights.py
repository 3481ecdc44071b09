"""Reading the weights to compress: one array per layer, by layer name.

- ``.npz``: one array per layer, keyed by the workload's layer names;
- a folder of ``<layer name>.npy`` files, or one ``.npy`` file for the layer its stem names;
- ``.onnx``: the weight initializer of each Conv, Gemm and MatMul node, under the names the
  ONNX workload loader gives those layers (needs the ``onnx`` extra).

Arrays are read when a layer asks for them; a truncated or unreadable file raises ConfigError
naming it. Pickled objects are never loaded.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from accelsim.errors import ConfigError, Problem

SUFFIXES = (".npz", ".npy", ".onnx")


class WeightFile(Mapping[str, NDArray]):
    """Layer name -> weight array, read lazily from a file or folder (see the module
    docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._files: dict[str, Path] = {}
        self._arrays: dict[str, NDArray] = {}
        if self.path.is_dir():
            self._files = {p.stem: p for p in sorted(self.path.glob("*.npy"))}
        elif not self.path.is_file():
            raise ConfigError(
                Problem(str(self.path), "", "an existing weights file or folder", show_got=False)
            )
        elif self.path.suffix == ".npy":
            self._files = {self.path.stem: self.path}
        elif self.path.suffix == ".npz":
            self._arrays = _read_npz(self.path)
        elif self.path.suffix == ".onnx":
            self._arrays = _read_onnx(self.path)
        else:
            expected = f"a weights file ending in {', '.join(SUFFIXES)}, or a folder of .npy files"
            raise ConfigError(
                Problem(str(self.path), "", expected, self.path.suffix or self.path.name)
            )

    def __getitem__(self, name: str) -> NDArray:
        if name not in self._arrays:
            self._arrays[name] = _read_npy(self._files[name])
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._files, *self._arrays}))

    def __len__(self) -> int:
        return len({*self._files, *self._arrays})

    def __contains__(self, name: object) -> bool:
        return name in self._files or name in self._arrays


def _numeric(array: NDArray, source: str, name: str) -> NDArray:
    if not np.issubdtype(array.dtype, np.number) or not np.isfinite(array).all():
        expected = "an array of finite numbers"
        raise ConfigError(Problem(source, name, expected, str(array.dtype)))
    return array


def _read_npy(path: Path) -> NDArray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        expected = f"a .npy array (the file is truncated or not .npy: {error})"
        raise ConfigError(Problem(str(path), "", expected, show_got=False)) from None
    return _numeric(array, str(path), path.stem)


def _read_npz(path: Path) -> dict[str, NDArray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        expected = f"a .npz archive of arrays (the file is truncated or not .npz: {error})"
        raise ConfigError(Problem(str(path), "", expected, show_got=False)) from None
    return {name: _numeric(array, str(path), name) for name, array in arrays.items()}


def _read_onnx(path: Path) -> dict[str, NDArray]:
    from accelsim.workload.onnx_loader import import_onnx, read_onnx_model, unique_node_names

    onnx = import_onnx()
    graph = read_onnx_model(onnx, path).graph
    constants = {init.name: init for init in graph.initializer}
    arrays = {}
    for node, name in zip(graph.node, unique_node_names(graph.node), strict=True):
        if node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1:
            weight = constants.get(node.input[1])
            if weight is not None:
                array = onnx.numpy_helper.to_array(weight)
                arrays[name] = _numeric(array, str(path), name)
    return arrays
