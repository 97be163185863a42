"""What a run directory says about itself, typed: config.json and summary.json.

    RunConfig            config.json: written when training starts
      model              ModelConfig: the shape the weights have
      tokenizer          TokenizerInfo
      train              TrainSettings: optimizer, schedule, budget, precision, seed
      data               CorpusData (train) or ExampleData (finetune): what it learnt from
      task               TaskInfo, for a model fine-tuned for a task (else None)
      origin             Origin: where its first weights came from
      lora               LoraInfo: for LoRA adapters on a base (else None)
      distilled_from     DistillInfo: for a student distilled from a teacher (else None)
    RunSummary           summary.json: the figures, written when training finishes

Every reader goes through `load_config` and `load_summary`; `save_config` and
`save_summary` write atomically. No torch here: listing commands read these files.

Format 1 (llmcli before format_version existed) had the base model in task.base; it is
read as format 2 with that base as the origin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from llmcli.errors import UserError
from llmcli.model.config import ModelConfig
from llmcli.training import rundir

FORMAT_VERSION = 2


@dataclass
class TrainSettings:
    max_steps: int | None = None  # a budget in optimizer steps...
    max_seconds: float | None = None  # ...or in seconds of training loop
    max_passes: float | None = None  # with max_seconds, stop sooner after this many passes over the training text
    batch_size: int = 16
    grad_accum: int = 1
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup: float = 0.03  # share of the budget spent warming up
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    precision: str = "bf16"  # "bf16" or "fp32", already resolved from "auto"
    seed: int = 0
    eval_every_s: float = 20.0  # seconds between quick evaluations
    checkpoint_every_s: float = 120.0
    compile: bool = False  # torch.compile the training step
    checkpoint_activations: bool = False  # recompute each block's activations in the backward pass

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TokenizerInfo:
    """The run's tokenizer. `type` chooses the backend (llmcli.model.tokenizer_files):
    "bpe" or "unigram", a SentencePiece model llmcli trained (`tokenizer.model`); "hf", an
    imported model's Hugging Face tokenizer (`tokenizer.json`, `tokenizer_config.json`
    beside it). `file` is the file the type keeps it in."""

    vocab_size: int
    type: str = "bpe"
    file: str = rundir.TOKENIZER


@dataclass
class CorpusData:
    """A text file a language model was trained on."""

    path: str
    bytes: int
    sha256: str
    val_fraction: float


@dataclass
class ExampleData:
    """The task examples a model was fine-tuned on."""

    dataset: str  # a registered dataset's name, or an absolute path
    train_examples: int
    validation_examples: int
    sha256: str


@dataclass
class TaskInfo:
    name: str
    plugin: str
    head: str
    settings: dict = field(default_factory=dict)  # what the head learnt from the data (labels)
    prompt: str | None = None  # the user's prompt format (None: the task's)
    options: dict = field(default_factory=dict)  # the task options given: eval and run reuse them


@dataclass
class Origin:
    """Where the first weights came from: "scratch"; "base" (the run at `base`); or
    "import" (converted by `llmcli import` from the file or folder at `source`)."""

    start: str = "scratch"
    base: str | None = None  # the base run directory, absolute
    source: str | None = None  # an imported model's GGUF file or Hugging Face folder, absolute
    sha256: str | None = None  # of the imported GGUF file, or of the folder's weight files
    name: str | None = None  # the model's own name, where the source gives one
    license: str | None = None  # where the source says


@dataclass
class LoraInfo:
    """LoRA adapters trained on a frozen base: the run's model.safetensors holds only the
    adapters (and the task head's layers); the base is the run at `origin.base`, whose
    model.safetensors must still have `base_sha256`. `targets` are the adapted linears
    of every block, by the names llmcli.model.lora.TARGETS gives."""

    rank: int
    alpha: float
    dropout: float
    targets: list[str]
    base_sha256: str = ""  # set when training starts, from the base's weights file
    trainable_params: int | None = None  # the adapters' and the head's, set once attached


@dataclass
class DistillInfo:
    """A student trained by `llmcli distill`: the teacher is the run at `teacher` (its
    `name` then), whose model.safetensors must still have `sha256` for the run to resume;
    its weights are never copied into the student's directory. The loss was (1 - ratio)
    times the head's own plus ratio * temperature^2 times the KL to the teacher."""

    teacher: str  # the teacher's run directory, absolute
    name: str
    sha256: str
    ratio: float
    temperature: float
    teacher_outputs: bool = False  # the lm head's targets were the teacher's greedy outputs


@dataclass
class RunConfig:
    name: str
    preset: str  # "small", "auto:2x128", "finetuned:BASE"
    model: ModelConfig
    tokenizer: TokenizerInfo
    train: TrainSettings
    data: CorpusData | ExampleData | None  # None: an imported model (its training data is not known)
    created: str
    llmcli_version: str
    task: TaskInfo | None = None
    origin: Origin = field(default_factory=Origin)
    params: int | None = None
    lora: LoraInfo | None = None
    distilled_from: DistillInfo | None = None
    format_version: int = FORMAT_VERSION

    @property
    def data_name(self) -> str:
        """The corpus path or the dataset, as listings show it (an import's source)."""
        if self.data is None:
            return self.origin.source or ""
        return self.data.path if isinstance(self.data, CorpusData) else self.data.dataset

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "RunConfig":
        raw = upgrade(dict(raw))
        data = raw["data"]
        data_type = ExampleData if data and "dataset" in data else CorpusData
        task = raw.get("task")
        return cls(
            **{k: raw[k] for k in ("name", "preset", "created", "llmcli_version") if k in raw},
            model=ModelConfig.from_dict(raw["model"]),
            tokenizer=typed(TokenizerInfo, raw["tokenizer"]),
            train=typed(TrainSettings, raw["train"]),
            data=typed(data_type, data) if data else None,
            task=typed(TaskInfo, task) if task else None,
            origin=typed(Origin, raw.get("origin") or {}),
            params=raw.get("params"),
            lora=typed(LoraInfo, raw["lora"]) if raw.get("lora") else None,
            distilled_from=typed(DistillInfo, raw["distilled_from"]) if raw.get("distilled_from") else None,
        )


def typed(cls, values: dict):
    """A dataclass from its JSON object; an unknown key is an error (a newer llmcli's file)."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(unknown)}")
    return cls(**values)


def upgrade(raw: dict) -> dict:
    """A format-1 config as format 2: the base model moves from task.base to origin."""
    version = raw.pop("format_version", 1)
    if version > FORMAT_VERSION:
        raise UserError(f"config.json has format {version}, newer than this llmcli reads ({FORMAT_VERSION}): "
                        "upgrade llmcli")
    if version == 1:
        task = raw.get("task")
        base = task.pop("base", None) if task else None
        raw["task"] = task
        raw["origin"] = {"start": "base", "base": base} if base else {"start": "scratch"}
    return raw


def load_config(run: Path) -> RunConfig:
    path = run / rundir.CONFIG
    raw = rundir.read_json(path)
    try:
        return RunConfig.from_dict(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{path} is invalid ({type(exc).__name__}: {exc}): retrain the model") from None


def save_config(run: Path, config: RunConfig) -> None:
    from llmcli.files import atomic_write_json

    atomic_write_json(run / rundir.CONFIG, config.to_dict())


def has_config(run: Path) -> bool:
    return (run / rundir.CONFIG).is_file()


PERPLEXITY_NOTE = "depends on the tokenizer: compare models by bits per byte"
# an encoder's validation figures (val_masked_*): 15% of the tokens, each seen from both sides
MASKED_NOTE = "masked tokens only, seen from both sides: not comparable with a causal model's bits per byte"


@dataclass
class RunSummary:
    """The figures of a finished run; `figures` holds the final evaluation's (val_loss,
    val_bpb, ...) and what the run adds (train_tokens_per_epoch), flat in the file."""

    steps: int
    tokens: int
    train_seconds: float
    command_seconds: float
    finished: str
    figures: dict = field(default_factory=dict)

    @property
    def val_perplexity(self) -> float | None:
        """A language model's per-token validation perplexity (where its bits per byte, the
        figure to compare across tokenizers, is there too); None for a task's model."""
        from llmcli.metrics.basic import perplexity

        if "val_bpb" not in self.figures or "val_loss" not in self.figures:
            return None
        return round(perplexity(self.figures["val_loss"]), 3)

    def to_dict(self) -> dict:
        fixed = {k: getattr(self, k) for k in ("steps", "tokens", "train_seconds", "command_seconds")}
        return {**fixed, **self.figures, "finished": self.finished}

    @classmethod
    def from_dict(cls, raw: dict) -> "RunSummary":
        named = {f.name for f in fields(cls)} - {"figures"}
        return cls(**{k: raw[k] for k in named}, figures={k: v for k, v in raw.items() if k not in named})


def load_summary(run: Path) -> RunSummary | None:
    """The summary of a finished run; None while it is unfinished."""
    path = run / rundir.SUMMARY
    if not path.is_file():
        return None
    try:
        return RunSummary.from_dict(rundir.read_json(path))
    except (KeyError, TypeError) as exc:
        raise UserError(f"{path} is invalid ({exc}): retrain the model or restore the file") from None


def save_summary(run: Path, summary: RunSummary) -> None:
    from llmcli.files import atomic_write_json

    atomic_write_json(run / rundir.SUMMARY, summary.to_dict())
