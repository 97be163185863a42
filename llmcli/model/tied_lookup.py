"""The embedding look-up of a tied model in training, with its gradient added into the rows
of the weight's gradient that the output layer already made.

Autograd gives the look-up a gradient of its own: a zero-filled (vocab x width) matrix with
the looked-up rows added, which it then adds to the output layer's. For SmolLM2-135M
(49,152 x 576 in float32) that is 113 MB filled and three times that read and written a
step, for 1,016 rows of gradient; the fresh buffer also faulted its pages in on some steps
(the fill took up to 95 ms). Here the look-up reads a detached weight, and a hook on its
output adds each row's gradient into weight.grad in place. Either order of the hook and the
output layer's gradient gives the same sum: whichever comes second adds to the first.

Only where nothing else watches the weight's gradient as it is made: not under
DistributedDataParallel, whose hooks average gradients as they arrive.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def fits() -> bool:
    """Whether a look-up can take its gradient this way in this process."""
    return not (torch.distributed.is_available() and torch.distributed.is_initialized())


def lookup(weight: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """weight[idx], its gradient added into weight.grad by row."""
    rows = F.embedding(idx, weight.detach()).requires_grad_()
    rows.register_hook(lambda grad: _add_rows(weight, idx, grad))
    return rows


def _add_rows(weight: torch.Tensor, idx: torch.Tensor, grad: torch.Tensor) -> None:
    with torch.no_grad():
        if weight.grad is None:  # the output layer's gradient comes after: it is added to this
            weight.grad = torch.zeros_like(weight)
        weight.grad.index_add_(0, idx.reshape(-1), grad.reshape(-1, grad.shape[-1]).to(weight.grad.dtype))
