"""Text-overlap metrics by the libraries everyone quotes: corpus BLEU and chrF with
sacrebleu (with their signatures, so that figures can be compared), and ROUGE-1, ROUGE-2
and ROUGE-L F1 with rouge-score (stemming on, the best over several references)."""

from __future__ import annotations

from llmcli.metrics import Metric


def reference_streams(references: list[list[str]]) -> list[list[str]]:
    """sacrebleu's layout: one stream per reference position. Examples with fewer
    references repeat their first: a duplicate changes neither n-gram counts nor the
    closest reference length."""
    most = max((len(refs) for refs in references), default=1)
    return [[refs[k] if k < len(refs) else refs[0] for refs in references] for k in range(most)]


def bleu(predictions, references, examples=None) -> dict:
    from sacrebleu.metrics import BLEU

    metric = BLEU()
    score = metric.corpus_score(list(predictions), reference_streams(references))
    return {"bleu": score.score, "bleu_signature": str(metric.get_signature())}


def chrf(predictions, references, examples=None) -> dict:
    from sacrebleu.metrics import CHRF

    metric = CHRF()
    score = metric.corpus_score(list(predictions), reference_streams(references))
    return {"chrf": score.score, "chrf_signature": str(metric.get_signature())}


ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def rouge(predictions, references, examples=None) -> dict:
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, refs in zip(predictions, references):
        scores = [scorer.score(ref, prediction) for ref in refs]
        for kind in ROUGE_TYPES:
            totals[kind] += max(s[kind].fmeasure for s in scores)
    count = max(1, len(predictions))
    return {kind: 100.0 * total / count for kind, total in totals.items()}


TEXT_METRICS = [
    Metric("bleu", bleu, "corpus BLEU (sacrebleu, 13a tokens), 0-100; its signature is reported"),
    Metric("chrf", chrf, "corpus chrF (sacrebleu), 0-100; its signature is reported"),
    Metric("rouge", rouge, "ROUGE-1, ROUGE-2 and ROUGE-L F1 (rouge-score, stemmed), best over references, %"),
]
