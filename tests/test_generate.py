"""Tests for llmcli.model.generate: decoding paths agree, processors work, text streams cleanly."""

from types import SimpleNamespace

import pytest
import torch

from llmcli.model.batched_beams import beam_search
from llmcli.model.config import ModelConfig
from llmcli.model.generate import GenerationConfig, generate_ids, generate_text, stream_text
from llmcli.model.transformer import Transformer

PROMPT = [3, 14, 15, 92, 65]


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_model(vocab=97, context=32, seed=0):
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=vocab, n_layer=2, n_head=2, n_embd=64, context=context))
    with torch.no_grad():  # larger weights than the default init: clear-cut, varied greedy choices
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.2)
    return model.eval()


def run(model, prompt=PROMPT, eos_id=None, **kw):
    return list(generate_ids(model, prompt, GenerationConfig(**kw), eos_id))


def greedy(model, prompt=PROMPT, **kw):
    return run(model, prompt, temperature=0, **kw)


def seq_logprob(model, prompt, new):
    ids = torch.tensor([prompt + new])
    with torch.no_grad():
        logp = model(ids)[0].log_softmax(-1)[0]
    return sum(logp[len(prompt) - 1 + i, t].item() for i, t in enumerate(new))


def bigrams(seq):
    return list(zip(seq, seq[1:]))


class ByteTokenizer:
    """0 is eos, 1 is bos, 2..257 are bytes, then a few multi-character tokens."""

    eos_id, bos_id = 0, 1

    def __init__(self, words=("EN", "D!", "hello", " world"), sentencepiece_like=False):
        self.words = list(words)
        self.strip = sentencepiece_like  # decoding drops the text's leading space, as sentencepiece does
        self.vocab_size = 258 + len(self.words)

    def encode(self, text):
        ids, i = [], 0
        while i < len(text):
            word = next((j for j, w in enumerate(self.words) if text.startswith(w, i)), None)
            if word is None:
                ids.extend(b + 2 for b in text[i].encode())
                i += 1
            else:
                ids.append(258 + word)
                i += len(self.words[word])
        return ids

    def decode(self, ids):
        parts = [bytes([i - 2]) if 2 <= i < 258 else self.words[i - 258].encode() for i in ids if i >= 2]
        text = b"".join(parts).decode("utf-8", errors="replace")
        return text[1:] if self.strip and text.startswith(" ") else text


class ScriptedModel(torch.nn.Module):
    """Greedy decoding after a prompt of prompt_len tokens yields `script`, then eos (0)."""

    def __init__(self, script, prompt_len, vocab):
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab, context=512)
        self.script, self.prompt_len = list(script), prompt_len

    def new_cache(self, batch=1):
        return SimpleNamespace(length=0, reorder=lambda index: None)

    def forward(self, idx, cache=None):
        end = idx.shape[1] + (cache.length if cache is not None else 0)
        if cache is not None:
            cache.length = end
        i = end - self.prompt_len
        logits = torch.zeros(idx.shape[0], idx.shape[1], self.config.vocab_size)
        logits[:, -1, self.script[i] if i < len(self.script) else 0] = 10.0
        return logits, None


def scripted_stream(pieces, prompt="> ", tok=None, **kw):
    """Stream from a model scripted to produce `pieces` (strings or raw token ids)."""
    tok = tok or ByteTokenizer()
    script = [t for p in pieces for t in (tok.encode(p) if isinstance(p, str) else p)]
    model = ScriptedModel(script, len(tok.encode(prompt)), tok.vocab_size)
    return list(stream_text(model, tok, prompt, GenerationConfig(temperature=0, **kw)))


# --- the model's KV cache ---------------------------------------------------------------------


def test_kv_cache_logits_match_full_forward():
    model = tiny_model()
    ids = torch.randint(0, 97, (2, 32))
    with torch.no_grad():
        full = model(ids)[0]
        cache = model.new_cache(2)
        parts = [model(ids[:, :10], cache=cache)[0]]
        parts += [model(ids[:, t : t + 1], cache=cache)[0] for t in range(10, 32)]
        torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-4)
        with pytest.raises(ValueError):
            model(ids[:, :1], cache=cache)  # the cache is full


# --- greedy and sampling ------------------------------------------------------------------------


def test_cache_and_no_cache_agree_past_the_context():
    model = tiny_model()
    for kw in (dict(temperature=0), dict(temperature=1.0, seed=5, top_k=20)):
        cached = run(model, max_new_tokens=90, **kw)
        plain = run(model, max_new_tokens=90, use_cache=False, **kw)
        assert len(cached) == 90 and cached == plain


def test_prompt_longer_than_context():
    model = tiny_model()
    prompt = [(7 * i) % 97 for i in range(50)]
    assert greedy(model, prompt, max_new_tokens=20) == greedy(model, prompt, max_new_tokens=20, use_cache=False)


def test_seed_reproducible_and_global_rng_untouched():
    model = tiny_model()
    state = torch.get_rng_state()
    a = run(model, temperature=1.0, seed=1, max_new_tokens=30)
    assert a == run(model, temperature=1.0, seed=1, max_new_tokens=30)
    assert a != run(model, temperature=1.0, seed=2, max_new_tokens=30)
    assert torch.equal(state, torch.get_rng_state())


def test_top_k_1_and_tiny_top_p_are_greedy():
    model = tiny_model()
    expected = greedy(model, max_new_tokens=40)
    assert run(model, temperature=1.0, top_k=1, seed=3, max_new_tokens=40) == expected
    assert run(model, temperature=1.0, top_p=1e-6, seed=3, max_new_tokens=40) == expected


def test_top_k_and_top_p_restrict_the_choices():
    model = tiny_model()
    with torch.no_grad():
        probs = model(torch.tensor([PROMPT]))[0][0, -1].softmax(-1)
    order = probs.argsort(descending=True).tolist()
    cum = probs[order].cumsum(0)
    nucleus = set(order[: int((cum < 0.5).sum()) + 1])
    top3 = set(order[:3])
    firsts_k = {run(model, temperature=1.0, top_k=3, seed=s, max_new_tokens=1)[0] for s in range(30)}
    firsts_p = {run(model, temperature=1.0, top_p=0.5, seed=s, max_new_tokens=1)[0] for s in range(30)}
    assert firsts_k <= top3 and len(firsts_k) > 1
    assert firsts_p <= nucleus


def test_no_repeat_ngram():
    model = tiny_model()
    plain = PROMPT + greedy(model, max_new_tokens=60)
    assert len(set(bigrams(plain))) < len(bigrams(plain))  # the random model does loop
    for kw in (dict(temperature=0), dict(temperature=1.0, seed=0)):
        seq = PROMPT + run(model, no_repeat_ngram=2, max_new_tokens=60, **kw)
        assert len(seq) == 65 and len(set(bigrams(seq))) == len(bigrams(seq))


def test_repetition_penalty_changes_greedy_output():
    model = tiny_model()
    plain = greedy(model, max_new_tokens=40)
    penalized = greedy(model, max_new_tokens=40, repetition_penalty=1.5)
    assert penalized != plain
    assert len(set(penalized)) > len(set(plain))


def test_eos_and_max_new_tokens():
    model = tiny_model()
    ids = greedy(model, max_new_tokens=30)
    k = next(k for k in range(1, 30) if ids[k] not in ids[:k])
    assert greedy(model, eos_id=ids[k], max_new_tokens=30) == ids[:k]
    assert greedy(model, max_new_tokens=7) == ids[:7]
    assert greedy(model, max_new_tokens=0) == []


def test_training_mode_is_restored():
    model = tiny_model().train()
    greedy(model, max_new_tokens=3)
    assert model.training


def test_validation():
    bad = [
        dict(top_p=0.0),
        dict(top_p=1.5),
        dict(temperature=-1),
        dict(top_k=0),
        dict(num_beams=0),
        dict(repetition_penalty=0),
        dict(no_repeat_ngram=-1),
        dict(max_new_tokens=-1),
        dict(stop="x"),
        dict(stop=("",)),
    ]
    for kw in bad:
        with pytest.raises(ValueError):
            GenerationConfig(**kw).validate()
    with pytest.raises(ValueError, match="top_p"):
        generate_ids(tiny_model(), PROMPT, GenerationConfig(top_p=0))  # eagerly, before iterating
    with pytest.raises(ValueError):
        generate_ids(tiny_model(), [], GenerationConfig())


# --- beam search --------------------------------------------------------------------------------


def test_beam_search_one_beam_is_greedy():
    model = tiny_model()
    assert beam_search(model, PROMPT, GenerationConfig(num_beams=1, max_new_tokens=20)) == greedy(model, max_new_tokens=20)


def test_beam_search_beats_greedy():
    model = tiny_model(seed=1)
    for prompt in (PROMPT, [1, 2, 3]):
        beam = beam_search(model, prompt, GenerationConfig(num_beams=4, max_new_tokens=15))
        best = greedy(model, prompt, max_new_tokens=15)
        assert len(beam) == 15
        assert seq_logprob(model, prompt, beam) >= seq_logprob(model, prompt, best) - 1e-4


def test_beam_search_processors_eos_and_context():
    model = tiny_model()
    seq = PROMPT + beam_search(model, PROMPT, GenerationConfig(num_beams=3, max_new_tokens=25, no_repeat_ngram=2))
    assert len(set(bigrams(seq))) == len(bigrams(seq))
    assert len(beam_search(model, list(range(30)), GenerationConfig(num_beams=3, max_new_tokens=10))) <= 3
    eos = greedy(model, max_new_tokens=1)[0]  # the likeliest first token ends every top hypothesis
    assert eos not in beam_search(model, PROMPT, GenerationConfig(num_beams=2, max_new_tokens=10), eos_id=eos)
    assert list(generate_ids(model, PROMPT, GenerationConfig(num_beams=2, max_new_tokens=5))) == beam_search(
        model, PROMPT, GenerationConfig(num_beams=2, max_new_tokens=5)
    )


# --- streamed text ------------------------------------------------------------------------------


def test_stream_plain_pieces():
    assert scripted_stream(["hello", " world", "!"]) == ["hello", " world", "!"]


def test_leading_spaces_survive_sentencepiece_style_decoding():
    tok = ByteTokenizer(sentencepiece_like=True)
    # bos (1) decodes to nothing: a window starting there would lose the space of " world"
    pieces = scripted_stream([" hello", [1], " world", " ", "x"], prompt="Say:", tok=tok)
    assert "".join(pieces) == " hello world x"


def test_stop_string_is_never_emitted():
    assert scripted_stream(["hello", "EN", "D!", "more"], stop=("END",)) == ["hello"]
    # a false start is held back, then released
    assert scripted_stream(["hello", "EN", "x", "D!"], stop=("END",)) == ["hello", "ENx", "D!"]
    # the earliest of several stop strings wins, even inside one token
    assert "".join(scripted_stream(["abc hello world"], stop=("world", "llo"))) == "abc he"
    assert scripted_stream(["hello", "EN"], stop=("END",)) == ["hello", "EN"]  # flushed at the end


def test_multibyte_characters_are_never_split():
    text = "héllo, 日本語 ✓!"
    pieces = scripted_stream([text])  # byte fallback: every non-ASCII character spans 2-3 tokens
    assert "".join(pieces) == text
    assert not any("\ufffd" in p for p in pieces)
    # a stop string made of one multi-byte character, split across tokens
    assert "".join(scripted_stream([text], stop=("語",))) == "héllo, 日本"


def test_stream_matches_full_decode_on_random_model():
    tok = ByteTokenizer()
    model = tiny_model(vocab=tok.vocab_size, context=32)
    config = GenerationConfig(temperature=1.0, seed=4, max_new_tokens=60)
    ids = list(generate_ids(model, tok.encode("héllo"), config, tok.eos_id))
    full = tok.decode(ids)
    assert generate_text(model, tok, "héllo", config) == full
    clean = [i for i in range(3, len(full) - 2) if "\ufffd" not in full[i : i + 2]]
    for i in clean[:3]:
        stop = full[i : i + 2]
        config = GenerationConfig(temperature=1.0, seed=4, max_new_tokens=60, stop=(stop,))
        assert generate_text(model, tok, "héllo", config) == full[: full.find(stop)]


def test_stream_with_beams_applies_stop():
    tok = ByteTokenizer()
    script = tok.encode("hello world")
    model = ScriptedModel(script, len(tok.encode("> ")), tok.vocab_size)
    config = GenerationConfig(num_beams=2, max_new_tokens=20, stop=(" wor",))
    assert list(stream_text(model, tok, "> ", config)) == ["hello"]
