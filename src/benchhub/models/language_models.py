"""Loading a generative checkpoint (a causal or a seq2seq language model) for the families that run one.

A language model is loaded by what its config says it is: `is_encoder_decoder` picks `AutoModelForSeq2SeqLM`,
anything else `AutoModelForCausalLM`. Like every checkpoint, it is vetted first (safetensors only, no remote
code) and loaded only when every weight it needs comes from the checkpoint. A tokenizer without a padding
token pads with its end-of-sequence token (attention masks hide the padding, so the choice changes no score).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.checkpoints import folder_size, quiet_transformers, vet_checkpoint
from benchhub.models.loaded_runtime import TORCH_PRECISIONS, default_threads
from benchhub.models.runtime import parse_torch_runtime
from benchhub.models.trained_weights import load_trained

# The architectures of generative checkpoints, by the end of their names.
CAUSAL_SUFFIXES = ("ForCausalLM", "LMHeadModel")
SEQ2SEQ_SUFFIXES = ("ForConditionalGeneration", "MTModel", "ForSeq2SeqLM")


@dataclass
class LanguageModel:
    """A loaded language model: its tokenizer, the network (in eval mode on `device`), whether it is an
    encoder-decoder, and the facts every evaluation reports."""

    tokenizer: Any
    network: Any
    encoder_decoder: bool
    device: Any
    info: ModelInfo

    @property
    def config(self) -> Any:
        return self.network.config


def load_language_model(folder: Path, *, runtime: str = "torch", device: str | None = None,
                        threads: int | None = None) -> LanguageModel:
    """Loads the vetted checkpoint at `folder` as a causal or seq2seq language model on PyTorch (`runtime`
    "torch" or a precision variant such as "torch-bf16"; ONNX Runtime does not run generation)."""
    import torch
    import transformers

    variant = parse_torch_runtime(runtime)
    if variant is None or variant[1]:
        raise InvalidInputError(f"Runtime {runtime!r} does not run language models; use torch, torch-bf16 or torch-fp16 "
                                "(generation runs on PyTorch, uncompiled).")
    precision = variant[0]
    vet_checkpoint(folder)
    started = time.perf_counter()
    torch.set_num_threads(threads or default_threads())
    chosen = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    with quiet_transformers():
        config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=False)
        encoder_decoder = bool(getattr(config, "is_encoder_decoder", False))
        auto_class = transformers.AutoModelForSeq2SeqLM if encoder_decoder else transformers.AutoModelForCausalLM
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        try:
            network = load_trained(auto_class, folder)
        except InvalidInputError:  # untrained weights: load_trained's own message (it is a ValueError too)
            raise
        except ValueError as error:  # a config transformers maps to no language-model class
            raise InvalidInputError(f"{folder} is not a language model transformers can load as {auto_class.__name__} "
                                    f"({str(error).splitlines()[0][:160]}).") from None
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token_id is None:
            raise InvalidInputError(f"{folder}: the tokenizer has neither a padding nor an end-of-sequence token, so "
                                    "batches cannot be padded; add a pad_token to its tokenizer_config.json.")
        tokenizer.pad_token = tokenizer.eos_token
    network.to(chosen, dtype=getattr(torch, TORCH_PRECISIONS[precision])).eval()
    info = ModelInfo(
        parameters=sum(p.numel() for p in network.parameters()),
        size_bytes=folder_size(folder),
        load_seconds=time.perf_counter() - started,
        extra={"architecture": type(network).__name__, "device": str(chosen), "runtime": "torch",
               "precision": precision, "compiled": False, "encoder_decoder": encoder_decoder},
    )
    return LanguageModel(tokenizer, network, encoder_decoder, chosen, info)
