"""A tied model's look-up gradient added by row into the output layer's (model/tied_lookup.py):
the embedding's gradient is autograd's, in either order of the two, and over micro-batches."""

from __future__ import annotations

import pytest
import torch

from llmcli.model import tied_lookup, training_kernels
from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer

TIED = ModelConfig(vocab_size=300, n_layer=2, n_head=2, n_embd=32, context=16, family="llama", tied_output=True)


def embedding_gradient(model, batches, by_rows):
    model.zero_grad(set_to_none=True)
    real = tied_lookup.fits
    tied_lookup.fits = lambda: by_rows  # noqa: E731 (the switch under test)
    try:
        for x, y in batches:
            model(x, y)[1].backward()
    finally:
        tied_lookup.fits = real
    return model.embed.weight.grad.clone()


@pytest.mark.skipif(not training_kernels.load(), reason="no C++ compiler here")
def test_the_embeddings_gradient_is_autograds_also_over_micro_batches():
    torch.manual_seed(0)
    model = Transformer(TIED)
    batches = [(torch.randint(0, 300, (3, 16)), torch.randint(0, 300, (3, 16))) for _ in range(2)]
    ours, theirs = embedding_gradient(model, batches, True), embedding_gradient(model, batches, False)
    assert torch.allclose(ours, theirs, atol=1e-7)
    assert ours[batches[0][0][0, 0]].abs().sum() > 0  # a looked-up row got its share


def test_a_row_gradient_that_comes_first_is_kept():
    weight = torch.zeros(5, 3, requires_grad=True)
    idx = torch.tensor([[1, 1, 4]])
    rows = tied_lookup.lookup(weight, idx)
    rows.sum().backward()  # nothing else gave the weight a gradient before the hook
    assert torch.equal(weight.grad, torch.tensor([[0.0] * 3, [2.0] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3]))
    (weight * 1.0).sum().backward()  # a later gradient adds to it
    assert weight.grad[0, 0] == 1.0 and weight.grad[1, 0] == 3.0
