"""Masked-LM encoders: the masking's statistics and its loss mask, bidirectional attention
(and padding kept out of it), `train --objective mlm` end to end, fine-tuning an encoder
for classify and span tasks, the refusals of what needs the next token, `llmcli fill`,
and configs from before `causal` existed."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from cli_helpers import ok, one_line_error, run, tiny_finetune_args, tiny_train_args, write_splits

from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer
from llmcli.paths import models_dir
from llmcli.training.masking import AS_MASK, AS_RANDOM, chosen_count, mask_tokens

pytestmark = pytest.mark.usefixtures("one_thread")

MASK_ID, RANDOM_IDS = 3, (10, 500)


def masked(seed=0, shape=(128, 256)):
    ids = torch.randint(*RANDOM_IDS, shape, generator=torch.Generator().manual_seed(99))
    return mask_tokens(ids, MASK_ID, RANDOM_IDS, torch.Generator().manual_seed(seed))


def test_fifteen_percent_chosen_and_eighty_ten_ten_among_them():
    batch = masked()
    assert (batch.chosen.sum(1) == chosen_count(256)).all() and chosen_count(256) == round(0.15 * 256)
    chosen = batch.chosen.sum().item()
    as_mask = (batch.inputs == MASK_ID)[batch.chosen].sum().item() / chosen
    kept = (batch.inputs == batch.targets)[batch.chosen].sum().item() / chosen
    changed = ((batch.inputs != batch.targets) & (batch.inputs != MASK_ID))[batch.chosen].sum().item() / chosen
    assert as_mask == pytest.approx(AS_MASK, abs=0.02)
    assert changed == pytest.approx(AS_RANDOM, abs=0.015)  # a random token may be the original: counted kept
    assert kept == pytest.approx(1 - AS_MASK - AS_RANDOM, abs=0.015)
    assert torch.equal(batch.inputs[~batch.chosen], batch.targets[~batch.chosen])  # the rest untouched
    assert ((batch.inputs >= RANDOM_IDS[0]) | (batch.inputs == MASK_ID)).all()  # no control token drawn


def test_the_seed_repeats_the_masks_and_another_seed_does_not():
    a, b, c = masked(1, (4, 64)), masked(1, (4, 64)), masked(2, (4, 64))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.chosen, b.chosen)
    assert not torch.equal(a.chosen, c.chosen)


def test_masked_windows_resume_exactly_and_split_over_processes():
    from llmcli.training.batches import MaskedWindows

    tokens = torch.randint(10, 500, (5000,), dtype=torch.int16)

    def make(rank=0, world=1):
        return MaskedWindows(tokens, 32, 8, 0, MASK_ID, RANDOM_IDS, rank, world)

    whole = make()
    whole.next_batch()
    state = {k: v.clone() for k, v in whole.state_dict().items()}
    expected = whole.next_batch()
    again = make()
    again.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(again.next_batch(), expected))
    halves = [make(rank, 2) for rank in (0, 1)]
    for half in halves:
        half.load_state_dict(state)
    joined = [torch.cat(parts) for parts in zip(*(half.next_batch() for half in halves))]
    assert all(torch.equal(a, b) for a, b in zip(joined, expected))
    assert expected[0].shape == (8, 32) and (expected[2].sum(1) == chosen_count(32)).all()


def tiny(causal: bool) -> Transformer:
    torch.manual_seed(0)
    return Transformer(ModelConfig(vocab_size=64, n_layer=2, n_head=2, n_embd=32, context=16, causal=causal)).eval()


def test_the_loss_is_on_the_chosen_tokens_only():
    model = tiny(False)
    batch = mask_tokens(torch.randint(10, 64, (2, 16)), MASK_ID, (10, 64), torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits, loss = model(batch.inputs, batch.targets, batch.chosen)
        by_hand = torch.nn.functional.cross_entropy(logits[batch.chosen], batch.targets[batch.chosen])
        other = batch.targets.clone()
        other[~batch.chosen] = 5  # what is not chosen is no target
        _, same = model(batch.inputs, other, batch.chosen)
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-5) and same.item() == pytest.approx(loss.item())
    with torch.enable_grad():  # training's fused loss takes the same mask
        _, fused = model(batch.inputs, batch.targets, batch.chosen)
    assert fused.item() == pytest.approx(loss.item(), rel=1e-4)


def test_an_encoder_sees_later_tokens_and_a_causal_model_does_not():
    ids = torch.randint(10, 64, (1, 12), generator=torch.Generator().manual_seed(3))
    later = ids.clone()
    later[0, 9] = (later[0, 9] + 1 - 10) % 54 + 10
    for causal, changes in ((True, False), (False, True)):
        model = tiny(causal)
        with torch.no_grad():
            before, after = model(ids)[0][0, 4], model(later)[0][0, 4]
        assert (not torch.allclose(before, after, atol=1e-6)) is changes, causal


def test_padding_does_not_reach_an_encoders_real_tokens():
    model = tiny(False)
    ids = torch.randint(10, 64, (1, 6))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    padding = torch.arange(10)[None, :] >= 6
    with torch.no_grad():
        alone, with_pad = model.hidden_states(ids), model.hidden_states(padded, padding=padding)
    assert torch.allclose(alone, with_pad[:, :6], atol=1e-5)


@pytest.fixture(scope="module")
def encoder_template(tmp_path_factory, small_corpus):
    """A nano encoder trained once for this module, in a data directory of its own."""
    home = tmp_path_factory.mktemp("encoder-home")
    result = ok(run("train", small_corpus, "--name", "enc", "--objective", "mlm", *tiny_train_args(steps=40),
                    env={"LLMCLI_HOME": str(home)}))
    return home / "models" / "enc", result


@pytest.fixture
def encoder(encoder_template, llmcli_home):
    target = llmcli_home / "models" / "enc"
    shutil.copytree(encoder_template[0], target)
    return target


def test_train_objective_mlm_learns_and_reports_masked_figures(encoder_template, encoder):
    _, result = encoder_template
    config = json.loads((encoder / "config.json").read_text())
    summary = json.loads((encoder / "summary.json").read_text())
    assert config["model"]["causal"] is False
    vocab = config["model"]["vocab_size"]
    # an untrained model's loss is about ln(vocab); 40 steps take it well below
    assert summary["val_loss"] < torch.log(torch.tensor(float(vocab))).item() - 0.5
    assert 0 < summary["val_masked_accuracy"] <= 1 and summary["val_masked_bpb"] > 0
    assert "val_bpb" not in summary  # not a causal model's figure, not named as one
    assert "not comparable with a causal model" in result.stderr
    steps = [json.loads(line) for line in (encoder / "metrics.jsonl").read_text().splitlines()]
    losses = [m["loss"] for m in steps if m.get("event") == "step"]
    assert losses[-1] < losses[0]
    info = json.loads(ok(run("info", "enc", "--json")).stdout)
    listed = json.loads(ok(run("models", "--json")).stdout)
    assert info["objective"] == "mlm" and listed[0]["objective"] == "mlm"
    assert "encoder" in ok(run("models")).stdout


def test_a_resumed_encoder_keeps_its_objective(encoder, small_corpus):
    line = one_line_error(run("train", small_corpus, "--name", "enc", "--objective", "causal", "--resume",
                              "--steps", "50"), "--objective mlm")
    assert "resume" in line


def test_fill_shows_the_top_guesses_of_each_mask(encoder):
    out = json.loads(ok(run("fill", "-m", "enc", "the fox ran into the [MASK] and the [MASK]", "--json")).stdout)
    assert len(out["masks"]) == 2
    for mask in out["masks"]:
        probs = [g["probability"] for g in mask["guesses"]]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
        assert all(g["token"] != "[MASK]" for g in mask["guesses"])
    assert "probability" in ok(run("fill", "-m", "enc", "the [MASK] ran")).stdout
    one_line_error(run("fill", "-m", "enc", "no mask in it"), "has no [MASK]", alone=True)


def test_what_needs_the_next_token_refuses_an_encoder_in_one_line(encoder, trained_model):
    one_line_error(run("generate", "-m", "enc", "Once"), "masked-LM encoder", "llmcli fill", alone=True)
    one_line_error(run("finetune", "story", "--base", "enc", *tiny_finetune_args()),
                   "does not predict the next token", "lm head", alone=True)
    assert not (models_dir() / "story").exists()
    one_line_error(run("run", "sentiment", "-m", "enc", input="good\n"), "finetune sentiment --base enc")
    one_line_error(run("fill", "-m", "tiny", "the [MASK]"), "causal", alone=True)
    one_line_error(run("export", "enc", "--format", "gguf", encoder.parent / "enc.gguf"), "masked-LM encoder")
    assert not (encoder.parent / "enc.gguf").exists()


@pytest.fixture
def reviews(tmp_path):
    from llmcli_sentiment.generator import generate

    return write_splits(tmp_path / "reviews", generate, {"train": 200, "validation": 16, "test": 16})


def test_an_encoder_fine_tunes_for_sentiment_pooled_over_the_text(encoder, reviews):
    ok(run("finetune", "sentiment", "--base", "enc", "--data", reviews, "--name", "senc",
           *tiny_finetune_args(steps=4, preset=None)))
    config = json.loads((models_dir() / "senc" / "config.json").read_text())
    assert config["model"]["causal"] is False and config["task"]["settings"]["pooling"] == "mean"
    report = json.loads(ok(run("eval", "sentiment", "-m", "senc", "--data", reviews, "--json")).stdout)
    assert report["examples"] == 16 and 0 <= report["metrics"]["accuracy"] <= 100
    ok(run("finetune", "sentiment", "--base", "enc", "--data", reviews, "--name", "first", "--pooling", "first",
           *tiny_finetune_args(steps=2, preset=None)))
    assert json.loads((models_dir() / "first" / "config.json").read_text())["task"]["settings"]["pooling"] == "first"


def test_an_encoder_fine_tunes_for_qa_scoring_spans_straight_from_it(encoder, tmp_path):
    from llmcli_qa.generator import generate

    data = write_splits(tmp_path / "facts", generate, {"train": 60, "validation": 10, "test": 10})
    ok(run("finetune", "qa", "--base", "enc", "--data", data, "--name", "qenc",
           *tiny_finetune_args(steps=3, preset=None)))
    config = json.loads((models_dir() / "qenc" / "config.json").read_text())
    assert config["model"]["causal"] is False and config["task"]["settings"] == {"reader": False}
    report = json.loads(ok(run("eval", "qa", "-m", "qenc", "--data", data, "--json")).stdout)
    assert set(report["metrics"]) == {"squad_em", "squad_f1"}


def test_a_config_from_before_causal_loads_as_causal(trained_model):
    from llmcli.model.loading import load_model

    path = trained_model / "config.json"
    config = json.loads(path.read_text())
    del config["model"]["causal"]
    path.write_text(json.dumps(config))
    assert ModelConfig.from_dict(config["model"]).causal is True
    assert load_model(trained_model).model.config.causal is True
    assert json.loads(ok(run("info", "tiny", "--json")).stdout)["objective"] == "causal"


def test_new_tokenizers_have_a_mask_token(encoder):
    from llmcli.model.tokenizer import MASK, Tokenizer

    tok = Tokenizer.load(encoder / "tokenizer.model")
    assert tok.mask_id is not None and tok.encode(MASK) == [tok.mask_id]
    assert tok.decode(tok.encode(f"the {MASK} ran")) == f"the {MASK} ran"
