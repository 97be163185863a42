"""Data-parallel training under torchrun: which process this is, and the few messages the
processes exchange.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK for every process it starts. Without them
(a plain `llmcli train`), this is process 0 of 1 and nothing here communicates. With
them, the processes join a group: gloo on CPUs, nccl on CUDA GPUs. Rank 0 plans the run,
trains the tokenizer, prints, logs and writes every file; the others receive its plan and
train their shard of each batch.

torch is imported inside the functions that need it: the command line asks this module
which process it runs in before anything heavy is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcli.errors import UserError

if TYPE_CHECKING:
    import torch


@dataclass
class Group:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


_group = Group()


def current() -> Group:
    return _group


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def process_rank() -> int:
    """This process's rank as torchrun set it (0 without torchrun), before any group is joined."""
    return int(os.environ.get("RANK", "0"))


def join(device_request: str = "auto") -> Group:
    """Join the process group torchrun started (once); a single process gets Group()."""
    global _group
    if not launched_by_torchrun() or _group.active:
        return _group
    import torch
    import torch.distributed as dist

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_request in ("auto", "cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(local_rank)
    backend = "nccl" if use_cuda else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    _group = Group(rank=rank, world=world, local_rank=local_rank)
    return _group


def leave() -> None:
    global _group
    if _group.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
    _group = Group()


def device_for(group: Group, device: torch.device) -> torch.device:
    """Each process on a machine gets its own GPU."""
    if group.active and device.type == "cuda":
        import torch

        return torch.device("cuda", group.local_rank)
    return device


def per_process_batch(batch_size: int, group: Group) -> int:
    """The share of the global batch one process trains on."""
    if batch_size % group.world:
        raise UserError(f"the batch of {batch_size} cannot be split evenly over {group.world} processes: "
                        f"give --batch-size a multiple of {group.world}")
    return batch_size // group.world


def splittable_batch(batch_size: int, group: Group) -> int:
    """batch_size rounded up to a multiple of the processes, so that it splits evenly."""
    return -(-batch_size // group.world) * group.world


def share_from_main(value, group: Group):
    """Rank 0's value (plain data: dicts, lists, strings, bytes, numbers), on every process."""
    if not group.active:
        return value
    import torch.distributed as dist

    box = [value if group.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def agree(progress: float, done: bool, stop: bool, group: Group, device) -> tuple[float, bool, bool]:
    """Rank 0's progress and decision to finish (its clock rules a time budget), and
    whether any process was asked to stop (Ctrl-C), the same on every process."""
    if not group.active:
        return progress, done, stop
    import torch
    import torch.distributed as dist

    mine = [progress, float(done)] if group.main else [0.0, 0.0]
    flags = torch.tensor(mine + [float(stop)], dtype=torch.float64, device=device)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return flags[0].item(), bool(flags[1].item()), bool(flags[2].item())


def mean_over_processes(value: float, group: Group, device) -> float:
    return sum_over_processes(value, group, device) / group.world


def sum_over_processes(value: float, group: Group, device) -> float:
    if not group.active:
        return value
    import torch
    import torch.distributed as dist

    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total.item()


def barrier(group: Group) -> None:
    if group.active:
        import torch.distributed as dist

        dist.barrier()
