"""Products with their rows in one block per thread (model/row_split.py,
kernels/row_split_matmul.cpp): torch's numbers either way, the linear layers' gradients
unchanged, and torch's own path wherever the blocks do not apply; and the weight gradients'
products with their left operand transposed block by block (kernels/transpose.cpp)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from llmcli.model import row_split, training_kernels
from llmcli.model.lora import LoRALinear

needs_kernels = pytest.mark.skipif(not training_kernels.load(), reason="no C++ compiler here")


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@needs_kernels
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("parts", [1, 2, 3, 700])
def test_the_blocks_give_torchs_product(dtype, parts):
    torch.manual_seed(0)
    a, b = torch.randn(301, 96).to(dtype), torch.randn(40, 96).to(dtype).t()  # b as a weight is
    ours = training_kernels.ops().row_split_mm(a, b, parts)
    assert ours.shape == (301, 40) and ours.dtype == dtype
    assert torch.allclose(ours.float(), (a @ b).float(), rtol=1e-2 if dtype == torch.bfloat16 else 1e-5, atol=1e-3)


@needs_kernels
@pytest.mark.parametrize("rows, cols", [(1016, 3072), (33, 1001), (5, 7), (4096, 40), (64, 16)])
def test_transposed_mm_is_the_product_of_the_transpose(two_threads, rows, cols):
    """Whole 16 x 16 tiles, ragged edges of both kinds, and more blocks than threads."""
    torch.manual_seed(0)
    a, b = torch.randn(rows, cols).bfloat16(), torch.randn(rows, 24).bfloat16()
    ours = training_kernels.ops().transposed_mm(a, b)
    assert ours.shape == (cols, 24) and ours.dtype == torch.bfloat16
    # the same as torch's product of the transpose, within a bf16 rounding of the largest entry
    exact = a.double().t() @ b.double()
    assert (ours.double() - exact).abs().max() <= 1e-2 * exact.abs().max()
    assert torch.allclose(ours.float(), (a.t() @ b).float(), rtol=1e-2, atol=1e-2 * exact.abs().max().item())


@needs_kernels
def test_transposed_mm_of_no_rows_or_columns():
    empty_sum = training_kernels.ops().transposed_mm(torch.zeros(0, 5).bfloat16(), torch.zeros(0, 3).bfloat16())
    assert empty_sum.shape == (5, 3) and not empty_sum.any()
    assert training_kernels.ops().transposed_mm(torch.zeros(4, 0).bfloat16(), torch.ones(4, 3).bfloat16()).shape == (0, 3)


@needs_kernels
def test_transposed_mm_takes_a_view_of_wider_rows(two_threads):
    """The loss's chunks and strided slices: rows further apart than their width."""
    torch.manual_seed(0)
    wide, b = torch.randn(100, 80).bfloat16(), torch.randn(100, 8).bfloat16()
    a = wide[:, 16:56]
    assert torch.equal(training_kernels.ops().transposed_mm(a, b), training_kernels.ops().transposed_mm(a.contiguous(), b))
    with pytest.raises(RuntimeError, match="contiguous"):
        training_kernels.ops().transposed_mm(wide.t(), torch.randn(80, 8).bfloat16())
    with pytest.raises(RuntimeError, match="bf16"):  # fp32 keeps torch's product, faster there
        training_kernels.ops().transposed_mm(a.float(), b.float())


@needs_kernels
def test_a_shapes_first_calls_try_both_ways_then_keep_the_faster(two_threads, monkeypatch):
    monkeypatch.setattr(row_split, "_split", {})
    monkeypatch.setattr(row_split, "_trials", {})
    b = torch.randn(32, 24)
    for call in range(2 * row_split.TRIALS):
        rows = 260 if call % 2 else 300  # 260 and 300 rows share a bucket of 128
        a = torch.randn(rows, 32)
        assert torch.allclose(row_split.product(a, b), a @ b, atol=1e-5)
        assert bool(row_split._split) == (call == 2 * row_split.TRIALS - 1)
    assert not row_split._trials and list(row_split._split.values())[0] in (True, False)
    row_split.product(torch.randn(600, 32), b)  # another bucket: tried afresh
    assert len(row_split._trials) == 1


class Always(dict):
    """A choice already made, the same for every shape."""

    def __init__(self, split):
        super().__init__()
        self.split = split

    def get(self, key, default=None):
        return self.split


@needs_kernels
@pytest.mark.parametrize("split", [False, True])
def test_a_linear_layer_has_torchs_output_and_gradients(two_threads, monkeypatch, split):
    monkeypatch.setattr(row_split, "_split", Always(split))
    torch.manual_seed(0)
    layer = nn.Linear(48, 72, bias=False)
    x = torch.randn(3, 90, 48, requires_grad=True)
    ours = row_split.linear(layer, x)
    assert ours.grad_fn is not None and "RowSplitLinear" in type(ours.grad_fn).__name__
    grad = torch.randn_like(ours)
    ours_x, ours_w = torch.autograd.grad(ours, (x, layer.weight), grad)
    theirs = F.linear(x, layer.weight)
    their_x, their_w = torch.autograd.grad(theirs, (x, layer.weight), grad)
    for a, b in ((ours, theirs), (ours_x, their_x), (ours_w, their_w)):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)


@needs_kernels
def test_a_bf16_layers_weight_gradient_is_the_transposed_product(two_threads):
    torch.manual_seed(0)
    layer = nn.Linear(64, 96, bias=False).bfloat16()
    x = torch.randn(4, 50, 64).bfloat16().requires_grad_()
    out = row_split.linear(layer, x)
    grad = torch.randn_like(out)
    (ours,) = torch.autograd.grad(out, (layer.weight,), grad)
    exact = grad.reshape(-1, 96).double().t() @ x.detach().reshape(-1, 64).double()
    assert (ours.double() - exact).abs().max() <= 1e-2 * exact.abs().max()


@needs_kernels
def test_other_layers_and_inference_keep_their_own_path():
    x = torch.randn(2, 5, 16)
    with_bias = nn.Linear(16, 8)
    lora = LoRALinear(nn.Linear(16, 8, bias=False), rank=2, alpha=4.0, dropout=0.0)
    plain = nn.Linear(16, 8, bias=False)
    for layer in (with_bias, lora):
        assert "RowSplit" not in type(row_split.linear(layer, x).grad_fn).__name__
    with torch.autocast("cpu", torch.bfloat16):  # an fp32 weight under autocast: autocast's cast serves
        assert "RowSplit" not in type(row_split.linear(plain, x.bfloat16()).grad_fn).__name__
    with torch.no_grad():
        assert row_split.linear(plain, x).grad_fn is None
        assert torch.equal(row_split.linear(plain, x), plain(x))
