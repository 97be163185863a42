"""The interactive session of `llmcli run TASK`: the model is loaded once; each input gets
its output (streamed, for generation tasks), with history, multi-line input, decoding
settings that can change, and a clean exit on Ctrl-D or :quit."""

from __future__ import annotations

import sys

from llmcli.errors import UserError

PROMPT = ">>> "
MORE = "... "
FENCE = '"""'
# :set names -> GenerationConfig fields
SETTINGS = {
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "beams": "num_beams",
    "max_tokens": "max_new_tokens",
    "seed": "seed",
    "repetition_penalty": "repetition_penalty",
    "no_repeat_ngram": "no_repeat_ngram",
}
NAMES = {field: name for name, field in SETTINGS.items()}  # and back: what :settings shows
HELP = f"""Commands:
  :help                 this help
  :set NAME VALUE       change a decoding setting ({', '.join(SETTINGS)}); VALUE "off" removes it
  :settings             the decoding settings in effect
  :reset                back to the task's decoding settings
  :history              what you typed in this session
  :attention [N]        the N input tokens (default 10) the last answer attended to most
  :quit                 leave (or Ctrl-D)
Multi-line input: end a line with \\ to continue it, or put {FENCE} alone on the lines before and after."""


def parse_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise UserError(f"{text!r} is not a number")


class Session:
    def __init__(self, tm, decoding: dict | None = None):
        from llmcli.cli.console import err_console, out_console

        self.tm = tm
        self.decoding = dict(decoding or {})
        self.inputs: list[str] = []
        self.out = out_console()
        self.err = err_console()
        self.history_file = None
        self.last: tuple[dict, str] | None = None  # the last input's example and answer, for :attention

    # -- input ---------------------------------------------------------------------------

    def start_history(self) -> None:
        """Arrow-key history across sessions (readline, where the platform has it)."""
        if not sys.stdin.isatty():
            return
        try:
            import readline
        except ImportError:  # Windows without pyreadline: plain input() still works
            return
        from llmcli.paths import home

        self.history_file = home() / "history" / f"{self.tm.task.name}.txt"
        try:
            readline.read_history_file(self.history_file)
        except OSError:
            pass
        readline.set_history_length(1000)

    def save_history(self) -> None:
        if self.history_file is None:
            return
        import readline

        try:
            self.history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(self.history_file)
        except OSError:
            pass  # history is a convenience: never fail a session over it

    def read(self) -> str:
        """One input, maybe of several lines (EOFError at the end of input)."""
        line = input(PROMPT)
        if line.strip() == FENCE:
            lines = []
            while (line := input(MORE)).strip() != FENCE:
                lines.append(line)
            return "\n".join(lines)
        lines = []
        while line.endswith("\\"):
            lines.append(line[:-1])
            line = input(MORE)
        lines.append(line)
        return "\n".join(lines)

    # -- the loop ------------------------------------------------------------------------

    def loop(self) -> None:
        tm = self.tm
        self.start_history()
        self.err.print(f"[bold]{tm.task.name}[/] with model [bold]{tm.name}[/]. {tm.task.interactive_help}",
                       highlight=False)
        self.err.print("Type :help for commands; Ctrl-D or :quit to leave.")
        try:
            while True:
                try:
                    text = self.read()
                except EOFError:
                    self.err.print()
                    return
                except KeyboardInterrupt:  # as in Python's prompt: drop the line, go on
                    self.err.print()
                    continue
                if not text.strip():
                    continue
                if text.strip().startswith(":"):
                    if not self.command(text.strip()):
                        return
                    continue
                self.inputs.append(text)
                try:
                    self.answer(text)
                except KeyboardInterrupt:
                    self.err.print("\n(stopped)")
                except (UserError, ValueError) as exc:
                    self.err.print(f"Error: {exc}", markup=False)
        finally:
            self.save_history()

    def answer(self, text: str) -> None:
        from llmcli.cli.answer import answer

        self.last = answer(self.tm, text, self.decoding, self.out, self.err) or self.last

    # -- commands ------------------------------------------------------------------------

    def command(self, text: str) -> bool:
        """Run a :command; False ends the session."""
        name, *args = text[1:].split()
        if name in ("quit", "exit", "q"):
            return False
        if name == "help":
            self.err.print(HELP, markup=False, highlight=False)
        elif name == "settings":
            self.show_settings()
        elif name == "reset":
            self.decoding.clear()
            self.show_settings()
        elif name == "history":
            for i, line in enumerate(self.inputs, 1):
                self.err.print(f"{i:3d}  {line}", markup=False, highlight=False)
        elif name == "set":
            self.set(args)
        elif name == "attention":
            self.attention(args)
        elif ":" + name in self.tm.task.session_commands:  # the task's own, read as input
            self.answer(text)
        else:
            self.err.print(f"Unknown command :{name}: type :help", markup=False)
        return True

    def attention(self, args: list[str]) -> None:
        from llmcli.cli.answer_attention import TOP, show_answer_attention

        if len(args) > 1 or (args and not (args[0].isdigit() and int(args[0]) > 0)):
            self.err.print("Usage: :attention [N], N a count of tokens to list", markup=False)
        elif self.last is None:
            self.err.print("No answer yet: type an input first, then :attention", markup=False)
        else:
            show_answer_attention(self.tm, *self.last, self.out, int(args[0]) if args else TOP)

    def set(self, args: list[str]) -> None:
        if not self.tm.head.generates:
            kind = self.tm.head.description.split(":")[0]
            self.err.print(f"{self.tm.task.name} is a {kind} model: decoding settings do not apply", markup=False)
            return
        name = NAMES.get(args[0], args[0]) if args else ""  # a field's own name works too
        if len(args) != 2 or name not in SETTINGS:
            self.err.print(f"Usage: :set NAME VALUE, NAME one of {', '.join(SETTINGS)}", markup=False)
            return
        field = SETTINGS[name]
        previous = dict(self.decoding)
        try:
            if args[1] == "off":
                self.decoding.pop(field, None)
            else:
                self.decoding[field] = parse_value(args[1])
            self.effective()  # validates
        except (UserError, ValueError, TypeError) as exc:
            self.decoding = previous
            self.err.print(f"Error: {exc}", markup=False)
            return
        self.show_settings()

    def effective(self) -> dict:
        head = self.tm.head
        if hasattr(head, "generation_config"):
            from dataclasses import asdict

            return asdict(head.generation_config(self.tm.task, self.decoding))
        return dict(self.decoding)

    def show_settings(self) -> None:
        settings = self.effective()
        shown = ", ".join(f"{NAMES.get(k, k)}={v}" for k, v in settings.items() if k != "use_cache") or "none"
        self.err.print(f"decoding: {shown}", markup=False, highlight=False)
