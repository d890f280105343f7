"""The language-model seam: stream a chat answer, or weigh a yes/no question.

Two implementations:
- `OpenAICompatibleLLM`: any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's
  server) through LangChain's `ChatOpenAI`.
- `LlamaCppLLM`: a local GGUF model in this process through llama-cpp-python (the pulled Qwen
  by default). Its yes/no weighing reads the next-token logits straight after evaluating the
  prompt, which needs no `logits_all` buffer (gigabytes for a 150k-token vocabulary).

Both answer deterministically (temperature 0): the same question gets the same draft, which the
verifier then checks.
"""

from __future__ import annotations

import atexit
import math
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from vectorstore.errors import ModelError

YES_NO = {"yes": ("yes", "是"), "no": ("no", "否")}


class ChatLLM(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int = 400) -> Iterator[str]:
        """The answer's text, piece by piece as the model produces it."""
        ...

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        """P(yes) / (P(yes) + P(no)) for the first token of the answer."""
        ...


def complete(llm: ChatLLM, messages: list[dict[str, str]], max_tokens: int = 400) -> str:
    return "".join(llm.stream(messages, max_tokens)).strip()


def yes_share(token_logprobs: dict[str, float]) -> float:
    """From first-token log-probabilities: the yes mass over the yes and no masses.

    Tokens are compared stripped and case-folded ("Yes", " yes", "是"). With neither seen, 0.5.
    """
    mass = {"yes": 0.0, "no": 0.0}
    for token, logprob in token_logprobs.items():
        word = token.strip().lower()
        for side, words in YES_NO.items():
            if word in words:
                mass[side] += math.exp(logprob)
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total > 0 else 0.5


class OpenAICompatibleLLM:
    def __init__(self, base_url: str | None, model: str, api_key: str, timeout_s: float = 120.0) -> None:
        from langchain_openai import ChatOpenAI

        self.name = model
        self._chat = ChatOpenAI(
            base_url=base_url, model=model, api_key=api_key or "none", temperature=0,
            timeout=timeout_s, max_retries=1,
        )

    def stream(self, messages: list[dict[str, str]], max_tokens: int = 400) -> Iterator[str]:
        try:
            for chunk in self._chat.bind(max_tokens=max_tokens).stream(_langchain(messages)):
                if chunk.content:
                    yield chunk.content
        except Exception as exc:  # connection refused, 4xx/5xx: the user's server or settings
            raise ModelError(f"the LLM server failed: {type(exc).__name__}: {exc}") from None

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        try:
            reply = self._chat.bind(max_tokens=1, logprobs=True, top_logprobs=20).invoke(_langchain(messages))
        except Exception as exc:
            raise ModelError(f"the LLM server failed: {type(exc).__name__}: {exc}") from None
        content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
        if not content:
            raise ModelError("the LLM server returned no log-probabilities (the llm judge needs them)")
        first = content[0]
        candidates = {t["token"]: t["logprob"] for t in first.get("top_logprobs") or []}
        candidates.setdefault(first["token"], first["logprob"])
        return yes_share(candidates)


class LlamaCppLLM:
    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise ModelError(
                "the llamacpp generator needs llama-cpp-python: pip install 'paracite[llm]'"
            ) from None
        if not model_path.is_file():
            raise ModelError(f"no GGUF model at {model_path}; run `paracite models pull --llm` first")
        # A pulled model is DIR/model.gguf: its folder names it.
        self.name = model_path.parent.name if model_path.stem == "model" else model_path.stem
        self._llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        # Freed before the interpreter tears its modules down: Llama.__del__ at exit prints a
        # traceback ('NoneType' object is not callable) once llama_cpp's own module is gone. By
        # weak reference, so that a model no one uses any more is still freed at once (a strong
        # one kept every copy alive: a test run ran out of memory to fork).
        model = weakref.ref(self._llm)
        atexit.register(lambda: (llama := model()) is not None and llama.close())
        template = self._llm.metadata.get("tokenizer.chat_template")
        self._formatter = Jinja2ChatFormatter(
            template=template, eos_token=self._token_text(self._llm.token_eos()),
            bos_token=self._token_text(self._llm.token_bos()),
        ) if template else None
        self._lock = threading.Lock()  # one context: one generation at a time
        self._yes_no_ids = {
            side: {self._llm.tokenize(w.encode(), add_bos=False, special=False)[0]
                   for word in words for w in (word, word.capitalize(), " " + word)}
            for side, words in YES_NO.items()
        }

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", "ignore") if token >= 0 else ""

    def stream(self, messages: list[dict[str, str]], max_tokens: int = 400) -> Iterator[str]:
        with self._lock:
            for chunk in self._llm.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=max_tokens, stream=True
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        import llama_cpp
        import numpy as np

        prompt = self._prompt(messages)
        tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        with self._lock:
            self._eval_reusing_prefix(tokens)
            # Llama.eval keeps no logits unless logits_all; the context still holds the last row.
            last = llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
            logits = np.ctypeslib.as_array(last, shape=(self._llm.n_vocab(),)).astype(np.float64)
        logits = logits - logits.max()
        mass = {side: float(sum(math.exp(logits[i]) for i in ids)) for side, ids in self._yes_no_ids.items()}
        total = mass["yes"] + mass["no"]
        return mass["yes"] / total if total > 0 else 0.5

    def _eval_reusing_prefix(self, tokens: list[int]) -> None:
        """Evaluate the prompt, keeping the KV cache of the part it shares with the last one.

        The judge asks about several sentences against the same paragraphs, which come first in
        its prompt: only the sentence is evaluated again. This is what Llama.generate does for its
        own prompts (it uses the same private fields); Llama.eval alone would start over.
        """
        llm = self._llm
        cached = llm._input_ids[: llm.n_tokens]
        shared = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            shared += 1
        keep = shared - 1 if shared == len(tokens) else shared  # re-evaluate one token for fresh logits
        if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            llm.n_tokens = keep
            llm.eval(tokens[keep:])
        else:
            llm.reset()
            llm.eval(tokens)

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        if self._formatter is None:
            return "\n\n".join(m["content"] for m in messages) + "\n\n"
        return self._formatter(messages=messages).prompt


def _langchain(messages: list[dict[str, str]]):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]
