"""The classify head pools each text by its own length: padding never reaches it."""

from __future__ import annotations

import pytest
import torch

from llmcli.errors import UserError
from llmcli.heads.classification import ClassificationHead
from llmcli.model.config import ModelConfig
from llmcli.model.loading import attach_head
from llmcli.model.transformer import Transformer


class Reviews:
    name = "reviews"
    labels = ("bad", "good")


def model_with(pooling: str):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=40, n_layer=1, n_head=2, n_embd=16, context=32)).eval()
    attach_head(model, ClassificationHead(), {"labels": ["bad", "good"], "pooling": pooling})
    return model


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_a_padded_row_scores_as_it_does_alone(pooling):
    head, model = ClassificationHead(), model_with(pooling)
    short, long = {"ids": [1, 5, 6, 2]}, {"ids": [1, 7, 8, 9, 10, 11, 2]}
    with torch.no_grad():
        alone = head.logits(model, *head.collate([short], pad_id=0)[:2])
        batched = head.logits(model, *head.collate([short, long], pad_id=0)[:2])
    assert torch.allclose(alone[0], batched[0], atol=1e-6)


def test_mean_pooling_averages_the_texts_states():
    head, model = ClassificationHead(), model_with("mean")
    ids, last, _ = head.collate([{"ids": [1, 5, 6, 2]}, {"ids": [1, 7, 2]}], pad_id=0)
    with torch.no_grad():
        hidden = model.hidden_states(ids)
        expected = model.task_head(hidden[1, :3].mean(0))
        assert torch.allclose(head.logits(model, ids, last)[1], expected, atol=1e-6)
        model.task_head.pooling = "last"
        assert not torch.allclose(head.logits(model, ids, last)[1], expected, atol=1e-4)


def test_the_task_chooses_the_pooling_and_the_model_keeps_it():
    task = Reviews()
    assert ClassificationHead().settings(task=task, examples=[])["pooling"] == "last"
    task.pooling = "mean"
    assert ClassificationHead().settings(task=task, examples=[])["pooling"] == "mean"
    task.pooling = "max"
    with pytest.raises(UserError, match="pooling 'max' is not one of last, mean"):
        ClassificationHead().settings(task=task, examples=[])
