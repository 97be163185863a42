"""llmcli's own int4/int8 matrix-vector kernels (model/native_kernels.py): the products of
the weights they were packed from, for shapes that don't fill whole tiles or blocks, for
bf16 and float activations and several rows; and a build that fails is remembered, leaving
torch's kernels in use."""

import pytest
import torch

from llmcli.model import native_kernels
from llmcli.model.quantize import Int4Linear, Int8Linear

needs_kernels = pytest.mark.skipif(not native_kernels.load(), reason="no C++ compiler or no AVX-512 VNNI here")

SHAPES = [(960, 576), (13, 96), (8, 64), (3, 32)]  # rows, inputs: whole tiles and blocks, and not


def close(ours, reference, within=0.02):
    # the activations are rounded to 8 bits: about 1% of the largest product
    return (ours.float() - reference).abs().max() <= within * reference.abs().max()


@needs_kernels
@pytest.mark.parametrize("rows, inputs", SHAPES)
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_int4_products_are_those_of_the_packed_weights(rows, inputs, dtype):
    torch.manual_seed(rows)
    codes = torch.randint(0, 16, (rows, inputs))
    scale = (torch.rand(rows, inputs // 32) * 0.01 + 0.001).half()
    minimum = (torch.randn(rows, inputs // 32) * 0.05).half()
    weight = codes * scale.float().repeat_interleave(32, 1) + minimum.float().repeat_interleave(32, 1)
    x = torch.randn(3, inputs).to(dtype)
    out = native_kernels.int4_matvec(x, native_kernels.pack_int4(codes, scale, minimum), rows)
    assert out.shape == (3, rows) and out.dtype == dtype
    assert close(out, x.float() @ weight.T)


@needs_kernels
@pytest.mark.parametrize("rows, inputs", SHAPES)
def test_int8_products_are_those_of_the_packed_weights(rows, inputs):
    torch.manual_seed(rows)
    codes = torch.randint(-127, 128, (rows, inputs), dtype=torch.int8)
    scale = torch.rand(rows) * 0.01
    x = torch.randn(2, inputs).bfloat16()
    out = native_kernels.int8_matvec(x, native_kernels.pack_int8(codes), scale, rows)
    assert out.shape == (2, rows)
    assert close(out, x.float() @ (codes.float() * scale[:, None]).T)


@needs_kernels
def test_quantized_layers_use_the_kernels_and_stay_close_to_their_weights():
    torch.manual_seed(0)
    weight = torch.randn(40, 128) * 0.05
    x = torch.randn(1, 5, 128)
    for layer, within in ((Int4Linear(weight), 0.1), (Int8Linear(weight), 0.02)):  # 16 levels, or 255
        assert layer.native
        assert close(layer(x), x @ weight.T, within)


def test_a_failed_build_is_remembered_and_torch_kernels_stay(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMCLI_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setattr(native_kernels, "_compiler", lambda: "c++")
    monkeypatch.setattr(native_kernels, "_command", lambda *args: ["false"])
    assert native_kernels._load() is False
    assert list((tmp_path / "kernels").glob("*.failed"))
    monkeypatch.setattr(native_kernels, "_command", lambda *args: pytest.fail("built again"))
    assert native_kernels._load() is False
    assert not list((tmp_path / "kernels").glob("*.so"))


@needs_kernels
@pytest.mark.parametrize("positions", [1, 5, 64, 300])
@pytest.mark.parametrize("d", [16, 32, 64, 128])
def test_decode_attention_is_softmax_attention_over_the_cache(positions, d):
    torch.manual_seed(positions)
    rows, kv_heads, group, room = 2, 3, 3, 320
    q = torch.randn(rows, kv_heads, group, d)
    k, v = torch.randn(rows, kv_heads, room, d) * 2, torch.randn(rows, kv_heads, room, d)
    ours = native_kernels.decode_attention(q, k[:, :, :positions], v[:, :, :positions])  # views of a room
    theirs = torch.nn.functional.scaled_dot_product_attention(q, k[:, :, :positions], v[:, :, :positions])
    assert torch.allclose(ours, theirs, atol=1e-5, rtol=1e-4)
    assert native_kernels.decode_attention_fits(q, k[:, :, :positions])


@needs_kernels
@pytest.mark.parametrize("rows, inputs", SHAPES)
def test_the_packed_weights_come_back_for_many_rows_at_once(rows, inputs):
    """A prompt's many rows go through a bf16 matmul of the weights unpacked."""
    torch.manual_seed(rows)
    codes = torch.randint(0, 16, (rows, inputs))
    scale, minimum = torch.rand(rows, inputs // 32).half(), torch.randn(rows, inputs // 32).half()
    weight = codes * scale.float().repeat_interleave(32, 1) + minimum.float().repeat_interleave(32, 1)
    unpacked = native_kernels.int4_weights(native_kernels.pack_int4(codes, scale, minimum), rows, inputs)
    assert torch.allclose(unpacked.float(), weight, rtol=1e-2, atol=1e-2)
    codes8, scale8 = torch.randint(-127, 128, (rows, inputs), dtype=torch.int8), torch.rand(rows)
    unpacked8 = native_kernels.int8_weights(native_kernels.pack_int8(codes8), scale8, rows, inputs)
    assert torch.allclose(unpacked8.float(), codes8 * scale8[:, None], rtol=1e-2, atol=1e-6)
    for layer in (Int4Linear(weight), Int8Linear(weight)):
        many = torch.randn(native_kernels.MATMUL_ROWS, inputs)
        one_at_a_time = torch.cat([layer(row[None]) for row in many[:4]])  # the int8-activation products
        assert close(layer(many)[:4], one_at_a_time.float())


def test_an_unwritable_cache_leaves_torch_kernels(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the cache's folder would go
    monkeypatch.setenv("LLMCLI_KERNEL_CACHE", str(blocked))
    monkeypatch.setattr(native_kernels, "_compiler", lambda: "c++")
    assert native_kernels._load() is False
