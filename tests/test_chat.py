"""Chat templates are rendered in Jinja's sandbox: they frame a conversation, and a
template that reaches for Python's internals is stopped with one clear line."""

from __future__ import annotations

import pytest

from cli_helpers import one_line_error, run
from llmcli.errors import UserError
from llmcli.model.chat import render_chat

CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def test_a_conversation_is_framed_by_its_template():
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "2+2?"}]
    text = render_chat(CHATML, messages)
    assert text == ("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                    "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n")
    assert not render_chat(CHATML, messages, add_generation_prompt=False).endswith("assistant\n")


def test_template_helpers_work():
    template = "{{ bos_token }}{{ messages | tojson }}{% if messages|length > 1 %}{{ raise_exception('one only') }}{% endif %}"
    assert render_chat(template, [{"role": "user", "content": "é"}], bos_token="<s>") == '<s>[{"role": "user", "content": "é"}]'
    with pytest.raises(UserError, match="refused the conversation: one only"):
        render_chat(template, [{"role": "user", "content": "a"}] * 2)


@pytest.mark.parametrize("hostile", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ messages.__class__.__init__.__globals__ }}",
    "{% set x = messages.append({'role': 'system'}) %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
])
def test_a_template_cannot_reach_python(hostile):
    with pytest.raises(UserError, match="cannot be rendered"):
        render_chat(hostile, [{"role": "user", "content": "x"}])


def test_chat_with_a_model_without_a_template_is_one_line(trained_model):
    one_line_error(run("generate", "-m", "tiny", "--chat", "hello"), "has no chat template")
