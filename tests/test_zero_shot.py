"""Zero-shot use of instruct models: every built-in task evaluated and run with a model
never fine-tuned for it (its instruction framed by the model's chat template), sentiment
chosen by the likelihood of its label words, several models scored side by side,
`finetune --chat`, and `run`'s choice of how to get a model when there is none."""

from __future__ import annotations

import json
import shutil

import pytest

from cli_helpers import ok, one_line_error, run, tiny_finetune_args
from test_chat import CHATML

transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.usefixtures("one_thread")

TASKS = ("sentiment", "qa", "summarize", "translate", "story", "code")
REVIEWS = "sentence\tlabel\n" + "".join(f"{text}\t{label}\n" for text, label in [
    ("a wonderful , moving film", 1), ("dull and far too long", 0), ("i loved every minute", 1),
    ("a waste of time", 0), ("great acting and a clever plot", 1), ("boring , predictable , flat", 0)] * 4)


@pytest.fixture(scope="module")
def instruct_template(tmp_path_factory):
    """A tiny random Llama with a byte-level tokenizer and a ChatML template, imported
    once into a data directory of its own (as `llmcli pull` would leave an instruct model)."""
    from test_hf_tokenizer import train_tiny

    folder = train_tiny(tmp_path_factory.mktemp("tok"), digits=True, vocab_size=600)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "chat_template": CHATML}))
    vocab = len(json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"])
    hf = transformers.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                                  tie_word_embeddings=True)
    import torch

    torch.manual_seed(0)
    transformers.LlamaForCausalLM(hf).save_pretrained(folder)
    home = tmp_path_factory.mktemp("instruct-home")
    ok(run("import", folder, "--name", "tiny-instruct", env={"LLMCLI_HOME": str(home)}))
    return home / "models" / "tiny-instruct"


@pytest.fixture
def instruct(instruct_template, llmcli_home):
    target = llmcli_home / "models" / "tiny-instruct"
    shutil.copytree(instruct_template, target)
    return target


@pytest.fixture
def reviews(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text(REVIEWS, encoding="utf-8")
    return path


@pytest.mark.parametrize("task", TASKS)
def test_each_builtin_task_is_scored_zero_shot(task, instruct):
    report = json.loads(ok(run("eval", task, "-m", "tiny-instruct", "--limit", 2, "--json")).stdout)
    assert report["kind"] == "zero-shot" and report["model"] == "tiny-instruct" and report["examples"] == 2
    assert report["metrics"] and all(isinstance(v, float) for v in report["metrics"].values())
    assert len(report["predictions"]) == 2


@pytest.mark.parametrize("task, text", [("sentiment", "a lovely film"), ("summarize", "Ann met Bob. They ate."),
                                        ("translate", "the house is red"), ("code", "return the larger of a and b")])
def test_run_answers_zero_shot_with_no_training(task, text, instruct, llmcli_home):
    ok(run("run", task, "-m", "tiny-instruct", text))
    assert sorted(p.name for p in (llmcli_home / "models").iterdir()) == ["tiny-instruct"]


def test_the_instruction_is_the_users_turn_in_the_chat_template(instruct):
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    tm = load_task_model("tiny-instruct", get_task("summarize"))
    assert tm.zero_shot and tm.settings["chat"] and tm.prompt == tm.task.zero_shot_prompt
    ids = tm.head.prompts(tm.tokenizer, [tm.task.render_prompt({"document": "Ann met Bob."}, tm.prompt)], 500, True)[0]
    expected = f"<|im_start|>user\n{tm.task.zero_shot_prompt.format(document='Ann met Bob.')}<|im_end|>\n" \
               "<|im_start|>assistant\n"
    assert ids == tm.tokenizer.encode_template(expected)


def test_an_overlong_message_loses_its_middle_and_keeps_its_frame(instruct):
    from llmcli.heads.chat_prompts import chat_prompt
    from llmcli.scoring import load_task_model
    from llmcli.registry import get_task

    tm = load_task_model("tiny-instruct", get_task("summarize"))
    words = " ".join(f"w{i}" for i in range(400))
    text = f"Summarize the following text.\n\n{words} and the last words"
    ids = chat_prompt(tm.tokenizer, text, 200)
    assert len(ids) <= 200
    shown = tm.tokenizer.decode(ids)  # the template's special tokens left out
    assert shown.startswith("user\nSummarize the following text.\n\nw0 w1")  # the instruction kept...
    assert shown.endswith("w399 and the last words\nassistant\n")  # ...and the end
    assert " [...] " in shown and "w200" not in shown  # the middle went, marked
    assert ids[-5:] == tm.tokenizer.encode_template("<|im_end|>\n<|im_start|>assistant\n")[-5:]  # the frame whole


def label_log_prob(tm, example, word):
    """The label word's summed log-probability after the chat-framed instruction, computed
    directly from the model's logits over the whole sequence."""
    import torch

    from llmcli.model.chat import chat_ids

    prompt = chat_ids(tm.tokenizer, [{"role": "user", "content": tm.task.render_prompt(example, tm.prompt)}], "x")
    word_ids = tm.tokenizer.encode(word)
    with torch.inference_mode():
        logits = tm.model(torch.tensor([prompt + word_ids]))[0][0].float().log_softmax(-1)
    return sum(logits[len(prompt) - 1 + i, t].item() for i, t in enumerate(word_ids))


def test_sentiment_is_chosen_by_the_likelihood_of_its_label_words(instruct):
    import math

    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    tm = load_task_model("tiny-instruct", get_task("sentiment"))
    examples = [{"text": "a wonderful film", "label": "positive"}, {"text": "dull and long", "label": "negative"}]
    for example, p in zip(examples, tm.task.predict(tm, examples)):
        expected = {label: math.log(sum(math.exp(label_log_prob(tm, example, w)) for w in words))
                    for label, words in tm.task.label_words.items()}
        # the task scores its rows together (a bf16 matmul of the int8 weights, native_kernels.MATMUL_ROWS),
        # label_log_prob one sequence at a time (activations rounded to 8 bits): the same to 1e-4 of the value
        assert p.details["log_probs"] == pytest.approx(expected, rel=1e-4, abs=1e-4)
        assert p.text == max(expected, key=expected.get)
        assert sum(p.details["probabilities"].values()) == pytest.approx(1.0)


def test_the_likelier_label_word_wins(instruct, reviews, monkeypatch):
    from llmcli.heads.label_likelihood import LabelLikelihood

    def scores(self, bundle, examples, words):  # "positive" likelier exactly where the review says "a"
        return [{"negative": -1.0, "positive": -0.5 if " a " in f" {e['text']} " else -2.0} for e in examples]

    monkeypatch.setattr(LabelLikelihood, "scores", scores)
    report = json.loads(ok(run("eval", "sentiment", "-m", "tiny-instruct", "--data", reviews, "--json")).stdout)
    predicted = [p["prediction"] for p in report["predictions"]]
    assert predicted[:6] == ["positive", "negative", "negative", "positive", "positive", "negative"]


def test_several_models_are_scored_side_by_side(instruct, reviews, llmcli_home):
    ok(run("finetune", "sentiment", "--base", "tiny-instruct", "--data", reviews, "--name", "sent",
           *tiny_finetune_args(steps=2, preset=None)))
    entries = json.loads(ok(run("eval", "sentiment", "-m", "sent", "-m", "tiny-instruct", "--data", reviews,
                                "--json")).stdout)
    assert [(e["model"], e["kind"]) for e in entries] == [("sent", "fine-tuned"), ("tiny-instruct", "zero-shot")]
    assert all(e["examples"] == 24 and set(e["metrics"]) == {"accuracy", "macro_f1"} for e in entries)
    shown = ok(run("eval", "sentiment", "-m", "sent", "-m", "tiny-instruct", "--data", reviews, "--show", 2)).stdout
    table = shown.split("\n\n")[0]
    assert "sent" in table and "tiny-instruct" in table and "zero-shot" in table and "fine-tuned" in table
    single = json.loads(ok(run("eval", "sentiment", "-m", "sent", "--data", reviews, "--json")).stdout)
    assert isinstance(single, dict) and single["model"] == "sent"  # one model: the object it always was
    one_line_error(run("eval", "sentiment", "-m", "sent", "--data", reviews, "--prompt", "{text}?"), "zero-shot")


def test_a_users_instruction_replaces_the_tasks(instruct, reviews):
    report = json.loads(ok(run("eval", "sentiment", "-m", "tiny-instruct", "--data", reviews, "--limit", 2,
                               "--prompt", "Good or bad? {text}", "--json")).stdout)
    assert report["kind"] == "zero-shot"
    one_line_error(run("eval", "sentiment", "-m", "tiny-instruct", "--data", reviews, "--prompt", "{review}"),
                   "{review}")


@pytest.fixture
def dialogues(tmp_path):
    path = tmp_path / "dialogues.jsonl"
    lines = [{"document": f"#Person1#: Shall we meet at {h}? #Person2#: Yes, at {h}.", "summary": f"They meet at {h}."}
             for h in range(1, 13)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_finetune_with_chat_records_the_framing_and_reuses_it(instruct, dialogues, llmcli_home):
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    ok(run("finetune", "summarize", "--base", "tiny-instruct", "--data", dialogues, "--chat", "--name", "chat-sum",
           *tiny_finetune_args(steps=2, preset=None)))
    task_info = json.loads((llmcli_home / "models" / "chat-sum" / "config.json").read_text())["task"]
    task = get_task("summarize")
    assert task_info["settings"]["chat"] is True and task_info["prompt"] == task.zero_shot_prompt
    tm = load_task_model("chat-sum", task)
    assert not tm.zero_shot and tm.settings["chat"]
    item = tm.head.encode(task=task, examples=[{"document": "A met B.", "summary": "They met."}],
                          tokenizer=tm.tokenizer, context=200, settings=tm.settings, prompt=tm.prompt)[0]
    framed = tm.tokenizer.encode_template(f"<|im_start|>user\n{task.zero_shot_prompt.format(document='A met B.')}"
                                          "<|im_end|>\n<|im_start|>assistant\n")
    assert item["ids"][: item["prompt"]] == framed
    assert item["ids"][item["prompt"]:] == tm.tokenizer.encode("They met.") + tm.tokenizer.encode_template("<|im_end|>")
    report = json.loads(ok(run("eval", "summarize", "-m", "chat-sum", "--data", dialogues, "--limit", 2,
                               "--json")).stdout)
    assert report["kind"] == "fine-tuned"
    # generate frames a prompt as the fine-tune learnt it, so it writes what run does
    ran = ok(run("run", "summarize", "-m", "chat-sum", "--beams", 1, "--max-new-tokens", 6, "A met B."))
    generated = ok(run("generate", "-m", "chat-sum", "--greedy", "--no-echo", "-n", 6,
                       task.zero_shot_prompt.format(document="A met B.")))
    assert "chat template" in generated.stderr
    assert generated.stdout.strip() == ran.stdout.strip()


def test_chat_is_the_default_where_the_task_suits_an_instruct_base(instruct, dialogues, reviews, llmcli_home):
    def settings(name):
        return json.loads((llmcli_home / "models" / name / "config.json").read_text())["task"]["settings"]

    args = tiny_finetune_args(steps=1, preset=None)
    ok(run("finetune", "summarize", "--base", "tiny-instruct", "--data", dialogues, "--name", "a", *args))
    ok(run("finetune", "summarize", "--base", "tiny-instruct", "--data", dialogues, "--name", "b", "--no-chat", *args))
    assert settings("a").get("chat") is True and "chat" not in settings("b")
    one_line_error(run("finetune", "sentiment", "--base", "tiny-instruct", "--data", reviews, "--chat", *args),
                   "--chat", "classify")


def test_chat_without_a_template_is_one_line(trained_model, dialogues):
    one_line_error(run("finetune", "summarize", "--base", "tiny", "--data", dialogues, "--chat",
                       *tiny_finetune_args(steps=1, preset=None)), "--chat needs a --base with a chat template")


def test_data_show_gives_the_zero_shot_prompt():
    info = json.loads(ok(run("data", "show", "sentiment-reviews", "-n", 1, "--json")).stdout)
    assert info["zero_shot_prompt_format"].startswith("Classify the sentiment")
    assert "Classify the sentiment" in info["rendered"][0]["zero_shot_prompt"]
    assert "zero-shot prompt" in ok(run("data", "show", "qa-facts", "-n", 1)).stdout


def test_run_without_a_model_says_which_start_it_chose(toy_tasks, instruct, monkeypatch, llmcli_home):
    monkeypatch.setattr(toy_tasks.Reverse, "default_time", "6s")
    result = ok(run("run", "reverse", "apple tree"))  # not a terminal: from scratch, as before
    said = " ".join(result.stderr.split())
    assert "training the default one on reverse-gen (about 6s)" in said
    assert "--start finetune would fine-tune tiny-instruct" in said
    assert (llmcli_home / "models" / "reverse" / "summary.json").is_file()
    one_line_error(run("run", "bird", "--start", "zero-shot", "a bird"), "--start zero-shot", "no zero-shot prompt")


def test_run_can_start_from_the_base_zero_shot(instruct, llmcli_home):
    result = ok(run("run", "sentiment", "--start", "zero-shot", "a lovely film"))
    assert "tiny-instruct zero-shot" in " ".join(result.stderr.split())
    assert result.stdout.split()[0] in ("positive", "negative")
    assert sorted(p.name for p in (llmcli_home / "models").iterdir()) == ["tiny-instruct"]


def test_the_choice_on_a_terminal_lists_each_way_with_its_time(instruct, monkeypatch):
    from llmcli.cli import run_start
    from llmcli.registry import get_task

    task = get_task("sentiment")
    ways = run_start.starts_for(task, run_start.newest_base())
    assert list(ways) == ["scratch", "finetune", "zero-shot"]
    assert "about 2m30s" in ways["scratch"] and "about 2m30s" in ways["finetune"] and "no training" in ways["zero-shot"]
    monkeypatch.setattr("click.prompt", lambda *a, **k: 3)
    assert run_start.ask(task, ways) == "zero-shot"


def test_code_answers_are_read_as_the_functions_body():
    from llmcli_code.zero_shot import body_of

    fenced = 'Sure:\n```python\ndef add(a, b):\n    """Add."""\n    return a + b\n```\nDone.'
    assert body_of(fenced, "add") == "    return a + b"
    assert body_of("    return a + b", "add") == "    return a + b"
    assert body_of("def add(a,\n        b):\n    s = a + b\n    return s\nprint(add(1, 2))", "add") == \
        "    s = a + b\n    return s"


def test_code_zero_shot_keeps_writing_past_a_def_line(instruct):
    """An instruct model's answer is often the whole function in a fence: the completion's
    stop at the next "def" would cut it right after the fence's first line."""
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    tm = load_task_model("tiny-instruct", get_task("code"))
    assert tm.zero_shot and tm.head.generation_config(tm.task, None).stop == ()
    assert "\ndef " in get_task("code").decoding["stop"]  # a fine-tuned model still stops there
