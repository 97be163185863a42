"""The story task: an opening line in, the rest of a short story out.

The lm head learns to write the rest (the loss counts its tokens only). Predictions are
sampled, each example with a seed of its own so that `eval` gives the same figures every
time, and each carries the model's loss on the reference story for bits_per_byte.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from llmcli.errors import UserError
from llmcli.tasks import Prediction, Task

from llmcli_story.loaders import is_text_file, read_stories, record_story, text_split_files

BPB_BATCH = 16


class StoryTask(Task):
    name = "story"
    description = "write a short story that follows from its opening line"
    head = "lm"
    metrics = ("bits_per_byte", "distinct", "repetition_rate")
    default_dataset = "story-tales"
    fields = ("opening", "rest")
    prompt = "{opening}"
    target = " {rest}"
    zero_shot_prompt = ("Here is the first sentence of a short story for children:\n\n{opening}\n\n"
                        "Continue the story from there in a few short paragraphs.")
    input_field = "opening"
    decoding = {"temperature": 0.8, "top_p": 0.95, "max_new_tokens": 200}
    default_time = "2m30s"
    interactive_help = "Type the opening line of a story (\"Once upon a time, ...\") and press Enter."

    def read_input(self, text: str) -> dict:
        opening = " ".join(text.split())
        if not opening:
            raise UserError("type an opening line, such as \"Once upon a time, there was a little fox named Pip.\"")
        return {self.input_field: opening}

    # -- data ------------------------------------------------------------------------

    def splits_in(self, folder) -> dict:
        """train, validation and test files in the standard formats, or as plain text."""
        return {**text_split_files(Path(folder)), **super().splits_in(folder)}

    def read_file(self, path) -> list[dict]:
        """Plain text (stories separated by blank lines, or any text), or JSONL, JSON, TSV
        and CSV records with "opening" and "rest" (or a whole "text" to split)."""
        from llmcli.datasets.formats import read_records

        path = Path(path)
        if is_text_file(path):
            return read_stories(path)
        return [self.check_example(record_story(record, where), where) for where, record in read_records(path)]

    # -- predictions -----------------------------------------------------------------

    def predict(self, bundle, examples, *, decoding=None):
        texts = self.write(bundle, examples, decoding)
        scores = self.reference_bits(bundle, examples)
        return [Prediction(text, {"target_bits": bits, "target_bytes": nbytes, "target_tokens": tokens})
                for text, (bits, nbytes, tokens) in zip(texts, scores)]

    def write(self, bundle, examples, decoding) -> list[str]:
        """Sampled stories, each seeded by its opening (and the user's --seed): the same
        figures on every run, whatever the order or grouping of the examples."""
        decoding = dict(decoding or {})
        if {**self.decoding, **decoding}.get("temperature", 0) == 0:
            return [p.text for p in bundle.head.predict(bundle, examples, decoding=decoding)]
        base = decoding.get("seed") or 0
        texts = []
        for example in examples:
            seed = base + int.from_bytes(hashlib.blake2b(self.render_prompt(example, bundle.prompt).encode(),
                                                         digest_size=4).digest(), "big")
            texts.append(bundle.head.predict(bundle, [example], decoding={**decoding, "seed": seed})[0].text)
        return texts

    def reference_bits(self, bundle, examples) -> list[tuple[float, int, int]]:
        """(bits, bytes, tokens) of each reference continuation under the model, scored as
        it was trained: after the prompt, up to the model's window, its end token included."""
        import torch
        import torch.nn.functional as F

        head, model, tokenizer = bundle.head, bundle.model, bundle.tokenizer
        items = head.encode(task=self, examples=examples, tokenizer=tokenizer, context=model.config.context,
                            settings=bundle.settings, prompt=bundle.prompt)
        out = []
        with torch.no_grad():
            for start in range(0, len(items), BPB_BATCH):
                chunk = items[start : start + BPB_BATCH]
                x, y, mask = head.collate(chunk, tokenizer.pad_id)
                x, y, mask = (t.to(model.embed.weight.device) for t in (x, y, mask))
                logits = model(x)[0].float()
                nats = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")
                rows = (nats * mask).sum(dim=1) / math.log(2)
                counts = mask.sum(dim=1).tolist()
                for item, example, bits, tokens in zip(chunk, examples[start : start + BPB_BATCH], rows.tolist(),
                                                       counts):
                    out.append((bits, self.target_bytes(tokenizer, item, example), int(tokens)))
        return out

    def target_bytes(self, tokenizer, item: dict, example: dict) -> int:
        """UTF-8 bytes of the target text scored: all of it, or what the window kept."""
        target = self.render_target(example)
        kept = item["ids"][item["prompt"]:]
        if kept and kept[-1] == tokenizer.eos_id:
            return len(target.encode("utf-8"))
        return len(tokenizer.decode(kept).encode("utf-8"))
