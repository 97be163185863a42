"""--preset auto: bigger budgets get bigger models; the vocabulary follows the width."""

from __future__ import annotations

import torch

from llmcli.training import autoconfig, machine_rate
from llmcli.training.autoconfig import AUTO_SHAPES, plan_auto, vocab_for


def params_of(plan):
    return autoconfig.shape_cost(plan.shape, plan.vocab_size)[1]


def test_larger_step_budgets_choose_larger_models():
    sizes = [params_of(plan_auto(10**7, 2048, torch.device("cpu"), "bf16", steps=s)) for s in (10, 1000, 100_000)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_larger_time_budgets_choose_larger_models(monkeypatch):
    monkeypatch.setattr(machine_rate, "matmul_flops", lambda device, precision, seconds=0.15: 4e11)
    small = plan_auto(10**8, 2048, torch.device("cpu"), "bf16", seconds=10)
    large = plan_auto(10**8, 2048, torch.device("cpu"), "bf16", seconds=36000)
    assert small.shape == AUTO_SHAPES[0]
    assert params_of(large) > 10 * params_of(small)


def test_a_small_corpus_caps_the_model(monkeypatch):
    monkeypatch.setattr(machine_rate, "matmul_flops", lambda device, precision, seconds=0.15: 4e11)
    tiny_text = plan_auto(20_000, 448, torch.device("cpu"), "bf16", seconds=36000)
    assert tiny_text.shape == AUTO_SHAPES[0]


def test_a_time_budget_plan_stops_after_its_passes(monkeypatch):
    monkeypatch.setattr(machine_rate, "matmul_flops", lambda device, precision, seconds=0.15: 4e11)
    assert plan_auto(10**6, 2048, torch.device("cpu"), "bf16", seconds=133).max_passes == autoconfig.MAX_PASSES
    assert plan_auto(10**6, 2048, torch.device("cpu"), "bf16", steps=1000).max_passes is None


def test_a_faster_matmul_reaches_less_of_its_rate():
    """The passes over memory between the multiplies do not speed up with them."""
    cpu = torch.device("cpu")
    fitted = autoconfig.training_efficiency(128, cpu)
    assert 0.2 < autoconfig.training_efficiency(128, cpu, 2.75 * autoconfig.FITTED_RATE) < 0.6 * fitted
    assert autoconfig.training_efficiency(128, cpu, 0.2 * autoconfig.FITTED_RATE) == fitted


def test_vocabulary_is_capped_by_width():
    assert vocab_for(128, 2048) == 1536
    assert vocab_for(512, 2048) == 2048
    assert vocab_for(64, 300) == 384


def test_the_machine_rate_is_measured_once_and_kept(monkeypatch, llmcli_home):
    """The same command plans the same model on a busy machine as on the idle one that
    first measured it; a damaged file is measured again."""
    import json

    from llmcli.training.machine_rate import FILE

    rates = iter([1e11, 4e11, 2e11, 3e11, 1e11] + [1e9] * 10)
    monkeypatch.setattr(machine_rate, "matmul_flops", lambda device, precision, seconds=0.15: next(rates))
    first = plan_auto(10**8, 2048, torch.device("cpu"), "bf16", seconds=300)
    assert "400 GFLOP/s" in first.reason  # the best of the timings
    again = plan_auto(10**8, 2048, torch.device("cpu"), "bf16", seconds=300)  # the machine now slow: 1 GFLOP/s
    assert again == first
    kept = json.loads((llmcli_home / FILE).read_text())
    assert [entry["flops"] for entry in kept.values()] == [4e11]
    (llmcli_home / FILE).write_text("{not json")
    assert "1 GFLOP/s" in plan_auto(10**8, 2048, torch.device("cpu"), "bf16", seconds=300).reason
