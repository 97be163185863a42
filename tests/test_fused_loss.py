"""The chunked output projection + cross-entropy equals the plain one, value and gradients."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from llmcli.model import fused_loss
from llmcli.model.fused_loss import linear_cross_entropy


def reference(hidden, weight, targets, mask=None):
    losses = F.cross_entropy((hidden @ weight.t()).flatten(0, 1), targets.flatten(), reduction="none")
    if mask is None:
        return losses.mean()
    m = mask.flatten().float()
    return (losses * m).sum() / m.sum()


def check(mask, monkeypatch):
    monkeypatch.setattr(fused_loss, "CHUNK_ELEMENTS", 3 * 50)  # force several chunks: 3 tokens each
    monkeypatch.setattr(fused_loss, "MIN_CHUNK_TOKENS", 1)
    torch.manual_seed(0)
    hidden = torch.randn(2, 7, 16, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(50, 16, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 50, (2, 7))
    expected = reference(hidden, weight, targets, mask)
    g_hidden, g_weight = torch.autograd.grad(expected, (hidden, weight))
    got = linear_cross_entropy(hidden, weight, targets, mask)
    f_hidden, f_weight = torch.autograd.grad(got, (hidden, weight))
    assert torch.allclose(got, expected.float(), atol=1e-5)
    assert torch.allclose(f_hidden, g_hidden, atol=1e-6)
    assert torch.allclose(f_weight, g_weight, atol=1e-6)


def test_matches_plain_cross_entropy(monkeypatch):
    check(None, monkeypatch)


def test_matches_with_a_loss_mask(monkeypatch):
    mask = torch.zeros(2, 7, dtype=torch.bool)
    mask[:, 3:] = True
    check(mask, monkeypatch)
