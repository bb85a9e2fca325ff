"""tf.experimental.dtensor stand-in: meshes laid out over clients as create_distributed_mesh does."""

from __future__ import annotations

import itertools
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._core import Tensor, recorder

UNSHARDED = "unsharded"


class _State:
    device_type: Optional[str] = None


STATE = _State()


class Mesh:
    """Devices in row-major order over the dimensions; client c holds devices [c*n, (c+1)*n)."""

    def __init__(self, dims: List[Tuple[str, int]], device_type: str, client_id: int, num_clients: int) -> None:
        self.dims = dims
        self.device_type = device_type
        self.client_id = client_id
        self.num_clients = num_clients
        self.size = 1
        for _, size in dims:
            self.size *= size
        if self.size % num_clients:
            raise ValueError(f"a mesh of {self.size} devices does not split over {num_clients} clients")

    @property
    def dim_names(self) -> List[str]:
        return [name for name, _ in self.dims]

    def shape(self) -> List[int]:
        return [size for _, size in self.dims]

    def local_device_locations(self) -> List[Dict[str, int]]:
        per_client = self.size // self.num_clients
        first = self.client_id * per_client
        coordinates = list(itertools.product(*(range(size) for _, size in self.dims)))
        return [dict(zip(self.dim_names, coordinates[i])) for i in range(first, first + per_client)]

    def local_devices(self) -> List[str]:
        per_client = self.size // self.num_clients
        return [f"/job:worker/task:{self.client_id}/device:{self.device_type}:{i}" for i in range(per_client)]


class Layout:
    def __init__(self, sharding_specs: Sequence[str], mesh: Mesh) -> None:
        for spec in sharding_specs:
            if spec != UNSHARDED and spec not in mesh.dim_names:
                raise ValueError(f"{spec!r} is not a dimension of the mesh {mesh.dim_names}")
        self.sharding_specs = list(sharding_specs)
        self.mesh = mesh

    @staticmethod
    def batch_sharded(mesh: Mesh, batch_dim: str, rank: int, axis: int = 0) -> "Layout":
        specs = [UNSHARDED] * rank
        specs[axis] = batch_dim
        return Layout(specs, mesh)

    @staticmethod
    def replicated(mesh: Mesh, rank: int) -> "Layout":
        return Layout([UNSHARDED] * rank, mesh)


def initialize_accelerator_system(device_type: Optional[str] = None, enable_coordination_service: bool = True,
                                  num_logical_cpu_devices: Optional[int] = None, **kwargs: Any) -> str:
    STATE.device_type = device_type
    recorder.record("dtensor.initialize_accelerator_system", device_type)
    return device_type or "CPU"


def create_distributed_mesh(mesh_dims: Union[List[Tuple[str, int]], Dict[str, int]], mesh_name: str = "",
                            local_devices: Any = None, device_type: Optional[str] = None,
                            use_xla_spmd: bool = False) -> Mesh:
    if STATE.device_type is None:
        raise RuntimeError("call dtensor.initialize_accelerator_system() before creating a mesh")
    dims = list(mesh_dims.items()) if isinstance(mesh_dims, dict) else [tuple(d) for d in mesh_dims]
    # Like DTensor, the client's identity comes from the environment.
    mesh = Mesh(
        dims,  # type: ignore[arg-type]
        device_type or STATE.device_type,
        client_id=int(os.environ.get("DTENSOR_CLIENT_ID", "0")),
        num_clients=int(os.environ.get("DTENSOR_NUM_CLIENTS", "1")),
    )
    return recorder.built("Mesh", mesh, mesh_dims=dims, device_type=device_type)


def pack(tensors: Sequence[Tensor], layout: Layout) -> Tensor:
    locations = layout.mesh.local_device_locations()
    if len(tensors) != len(locations):
        raise ValueError(f"pack needs one component per local device ({len(locations)}), got {len(tensors)}")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"pack components differ in shape: {shapes}")
    recorder.record("dtensor.pack", list(tensors), layout)
    return Tensor(tensors[0].shape, tensors[0].dtype)


def unpack(tensor: Tensor) -> List[Tensor]:
    return [tensor]


class _Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


def module() -> _Namespace:
    return _Namespace(
        UNSHARDED=UNSHARDED,
        Layout=Layout,
        Mesh=Mesh,
        initialize_accelerator_system=initialize_accelerator_system,
        create_distributed_mesh=create_distributed_mesh,
        pack=pack,
        unpack=unpack,
    )
