"""Cross-entropy over the vocabulary without materializing all the logits.

The output projection and the loss run chunk by chunk of tokens, and the gradients are
computed in the same pass. On a CPU this halves the cost of the loss: each chunk's
logits stay in cache, and the float32 copy, softmax and gradient of a (tokens x vocab)
matrix never go out to memory.
"""

from __future__ import annotations

import torch

from llmcli.model import training_kernels
from llmcli.model.row_split import product, weight_gradient

CHUNK_ELEMENTS = 1 << 21  # about 8 MB of float32 logits per chunk
# but never fewer tokens than this: with a 49,152-token vocabulary 8 MB is 42 tokens, and
# each chunk's (vocab x width) weight gradient, a matmul over only its tokens, cast and
# added to the total, took a SmolLM2-135M step 3.6 s instead of 2.2 s (256 tokens gave 2.24 s, 512 2.23)
# Each chunk past the first adds its bf16 weight gradient into the float32 total, which torch
# does through a float32 copy of it: on a Xeon with AMX, 1,024 tokens a chunk took that
# step's 8 x 127 tokens in one chunk and 1.7% off it (1.417 s against 1.441, alternating)
MIN_CHUNK_TOKENS = 1024


class ChunkedLinearCrossEntropy(torch.autograd.Function):
    """sum_i w_i * CE(hidden_i @ weight.T, target_i), with gradients computed in forward.

    The weight comes in its own dtype (float32 under autocast) and is cast to hidden's for
    the matmuls here, so that its gradient is summed and returned in float32: a bf16 copy
    of a (vocab x width) gradient, cast back to float32 by autocast's backward, cost
    SmolLM2-135M's step two passes over 28 M values more.
    """

    @staticmethod
    def forward(ctx, hidden, weight, targets, token_weights):
        n = hidden.shape[0]
        chunk = max(MIN_CHUNK_TOKENS, CHUNK_ELEMENTS // weight.shape[0])
        grad_hidden = torch.empty_like(hidden)
        # a frozen output layer (LoRA) needs no gradient: skip its (vocab x width) matmuls
        want_weight = ctx.needs_input_grad[1]
        grad_weight = None
        compute = weight.to(hidden.dtype)
        loss = torch.zeros((), dtype=torch.float32, device=hidden.device)
        native = training_kernels.fits(hidden, compute)
        for start in range(0, n, chunk):
            h = hidden[start : start + chunk]
            t = targets[start : start + chunk, None]
            w = token_weights[start : start + chunk, None]
            logits = product(h, compute.t())
            if native:  # the loss and its gradient in one kernel, the logits overwritten
                loss += training_kernels.ops().cross_entropy_(logits, t[:, 0], w[:, 0])
                grad = logits
            else:
                grad = _loss_and_gradient(logits, t, w, loss).to(h.dtype)
            grad_hidden[start : start + chunk] = product(grad, compute)
            if want_weight:
                part = weight_gradient(grad, h)
                if grad_weight is None:  # the first chunk's, widened: no zeros to add it to
                    grad_weight = part.to(torch.promote_types(part.dtype, torch.float32))
                else:
                    grad_weight += part
        if want_weight and grad_weight is None:  # no tokens at all
            grad_weight = torch.zeros_like(weight)
        grad_weight = grad_weight.to(weight.dtype) if want_weight else torch.zeros(())
        ctx.save_for_backward(grad_hidden, grad_weight)
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        grad_hidden, grad_weight = ctx.saved_tensors
        want_weight = ctx.needs_input_grad[1]
        # a plain loss.backward() gives 1: no pass over the gradients (a CPU reads it at no cost)
        if grad_loss.device.type == "cpu" and grad_loss.item() == 1.0:
            return grad_hidden, grad_weight if want_weight else None, None, None
        return grad_hidden * grad_loss, grad_weight * grad_loss if want_weight else None, None, None


def _loss_and_gradient(logits, targets, token_weights, loss):
    """d loss / d logits (float32) of a chunk; its loss is added to `loss`."""
    logits = logits.float()
    target_logit = logits.gather(1, targets)
    # one exp pass serves both the log-sum-exp and the softmax of the gradient
    peak = logits.amax(dim=-1, keepdim=True)
    grad = logits.sub_(peak).exp_()
    total = grad.sum(dim=-1, keepdim=True)
    loss += ((peak + total.log() - target_logit) * token_weights).sum()
    # d loss / d logits = w * (softmax - one_hot), built in place
    grad.div_(total)
    grad.scatter_add_(1, targets, torch.full_like(targets, -1, dtype=grad.dtype))
    return grad.mul_(token_weights)


def linear_cross_entropy(hidden, weight, targets, loss_mask=None):
    """Mean cross-entropy of `hidden @ weight.T` against targets over unmasked tokens.

    hidden: (..., C); weight: (V, C); targets and loss_mask: (...). Under autocast both
    operands are multiplied in the autocast dtype, as a matmul's would be; the weight's
    gradient is summed in float32 and returned in the weight's own dtype.
    """
    device_type = hidden.device.type
    if torch.is_autocast_enabled(device_type):
        hidden = hidden.to(torch.get_autocast_dtype(device_type))  # the weight is cast inside
    elif hidden.dtype != weight.dtype:
        hidden = hidden.to(weight.dtype)
    hidden = hidden.reshape(-1, hidden.shape[-1])
    targets = targets.reshape(-1)
    if loss_mask is None:
        token_weights = torch.full(targets.shape, 1.0 / targets.numel(), device=hidden.device)
    else:
        mask = loss_mask.reshape(-1).float()
        token_weights = mask / mask.sum().clamp(min=1)
    return ChunkedLinearCrossEntropy.apply(hidden, weight, targets, token_weights)
