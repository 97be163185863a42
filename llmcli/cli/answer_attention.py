"""`:attention` in `llmcli run`'s session: which tokens of the last input its answer
attended to most, as the prompt with each token shaded by its share, and the top tokens
listed. Only a head that writes its answer (the lm head) has one to look at."""

from __future__ import annotations

from llmcli.cli.attention_drawing import colour, shown

TOP = 10  # tokens listed by default (`:attention N` for another count)


def show_answer_attention(tm, example: dict, answer: str, console, top: int = TOP) -> None:
    from llmcli.model.attention_maps import attention_to_prompt

    if not hasattr(tm.head, "answer_ids"):
        kind = tm.head.description.split(":")[0]
        console.print(f"{tm.task.name}'s model is a {kind} model: it writes no answer whose attention to show",
                      markup=False)
        return
    tokenizer = tm.tokenizer
    prompt_ids, answer_ids = tm.head.answer_ids(tm, example, answer)
    try:
        ids, shares = attention_to_prompt(tm.model, prompt_ids, answer_ids)
    except ValueError:  # the answer alone fills the window: no prompt token is left beside it
        console.print("The last answer fills the model's window: none of its input is left to show", markup=False)
        return
    tokens = [tokenizer.decode([i]) for i in ids]
    # the first token soaks up attention in most models (an "attention sink"): it is
    # left out of the shading's scale and of the list, as the attention command does
    rest = shares[1:] or shares
    peak = max(rest) or 1.0
    console.print(shaded(tokens, shares, peak))
    ranked = sorted(range(1, len(ids)) or range(len(ids)), key=lambda i: -shares[i])[:top]
    listed = ", ".join(f"{shown(tokens[i])!r} {100 * shares[i]:.1f}%" for i in ranked)
    written = f"{len(answer_ids)} answer tokens" if answer.strip() else "the answer was empty: its end token"
    console.print(f"most attended ({written}, mean of {tm.model.config.n_layer} layers' "
                  f"heads; the first token's {100 * shares[0]:.0f}% left out): {listed}", markup=False,
                  highlight=False)


def shaded(tokens: list[str], shares: list[float], peak: float):
    """The prompt's text, each token on a background from white (no attention) to blue
    (the most), square-rooted as the heatmap's so small shares still show."""
    from rich.text import Text

    text = Text()
    for token, share in zip(tokens, shares):
        value = min(1.0, share / peak) ** 0.5
        text.append(token, style=f"black on rgb{colour(value)}")
    return text
