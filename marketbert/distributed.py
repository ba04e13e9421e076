"""Data-parallel training on the stock engines: one process per device under `torchrun` or `accelerate launch`.

Nothing here starts processes; the launcher does, and `TrainingArguments` joins the process group it describes
(gloo on CPUs, NCCL on GPUs). What MarketBERT adds on top of the Trainer's DDP/FSDP:

- **The global batch stays the configured one**: the preset's `per_device_train_batch_size` is the batch of a
  one-process run; on N processes each gets 1/N of it (`per_process_batch`), so the optimiser sees the same number
  of firms per step and the learning-rate schedule means the same thing at any scale.
- **Independent randomness per process**: every process is seeded with `seed + rank` after the model is built
  (rank 0 keeps the one-process stream), so the masking objectives and dropout differ between the processes' shares
  of a batch; the data order is shared (accelerate synchronises the sampler's generator from rank 0 each epoch).
- **The fast training losses through the wrapper**: DDP synchronises gradients only when its own `forward()` runs,
  so the loss is computed inside that call (`forward_replaced`).
- **Only rank 0 writes, pushes and evaluates**; the others wait for its result (`broadcast_from_main`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


def _active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def launched_world_size() -> int:
    """The number of processes the launcher started (`WORLD_SIZE`, set by torchrun / accelerate launch), else 1."""
    return dist.get_world_size() if _active() else int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True on global rank 0 (and in a plain one-process run)."""
    return (dist.get_rank() if _active() else int(os.environ.get("RANK", "0"))) == 0


def broadcast_from_main(value: T) -> T:
    """Rank 0's `value` on every process (a barrier too: the others wait until rank 0 gets here)."""
    if not _active():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def leave_process_group() -> None:
    """Destroy the process group, once every process is past its last collective (`broadcast_from_main` of the
    results). Without it the interpreter exits with the group's threads alive, and rank 0 sometimes aborted there
    ("terminate called without an active exception", SIGABRT): the launcher failed a run that had finished."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def per_process_batch(global_batch: int, world_size: int) -> int:
    """The per-process share of `global_batch`; a ValueError that says what to change when it does not divide."""
    if world_size < 1 or global_batch % world_size:
        raise ValueError(
            f"per_device_train_batch_size={global_batch} (the global batch) cannot be split evenly over "
            f"{world_size} processes: use a multiple of {world_size}, or set keep_global_batch: false to give every "
            "process the configured batch."
        )
    return global_batch // world_size


@contextmanager
def forward_replaced(module: torch.nn.Module, forward: Callable[..., Any]) -> Iterator[None]:
    """Within the block, calling `module` (or a DDP/FSDP wrapper around it) runs `forward` instead of its own.

    The wrapper's hooks (gradient synchronisation, parameter gathering) still run around the call; an instance-level
    `forward` set before (accelerate's autocast wrapper) is put back afterwards.
    """
    saved = module.__dict__.get("forward")
    module.forward = forward
    try:
        yield
    finally:
        if saved is None:
            del module.forward
        else:
            module.forward = saved
