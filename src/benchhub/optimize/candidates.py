"""The variants `benchhub optimize` can make of a transformers model, and which of them this machine runs.

A candidate is an export (ONNX, fused for ONNX Runtime, optionally with int8 weights) or a PyTorch
variant (weights at another precision, optionally compiled). Exact candidates (fp32) must reproduce
the source's logits; reduced-precision ones must keep its metric within a tolerance. Which ones are
worth trying depends on the hardware: bf16 pays where the CPU has AMX or AVX-512 BF16 units (or on
a GPU); fp16 needs a GPU, and the ONNX fp16 graph ONNX Runtime's CUDA provider as well (the
`onnxruntime-gpu` package). On a GPU the other ONNX candidates run on the CUDA provider too, when it
is installed (`models.onnx_runtime`).
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from typing import Callable

from benchhub.errors import InvalidInputError


@dataclass(frozen=True)
class Machine:
    """What the candidates depend on: the CPU's instruction-set flags and the GPU torch sees, if any."""

    cpu: str
    flags: frozenset[str]
    gpu: str | None = None
    onnx_providers: frozenset[str] = frozenset({"CPUExecutionProvider"})

    @property
    def cpu_bf16(self) -> bool:
        return bool({"amx_bf16", "avx512_bf16"} & self.flags)

    def describe(self) -> str:
        units = [flag for flag in ("amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni", "avx2") if flag in self.flags]
        return f"{self.cpu} ({', '.join(units) or 'no AVX-512/AMX'}){'; GPU ' + self.gpu if self.gpu else '; no GPU'}"


def this_machine() -> Machine:
    """This machine's CPU model and flags (from /proc/cpuinfo), and the GPU when torch sees one."""
    from benchhub.engine.provenance import hardware

    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags.update(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    gpu = None
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        gpu = torch.cuda.get_device_name(0)
    import onnxruntime

    return Machine(cpu=hardware().get("cpu") or platform.processor() or "unknown", flags=frozenset(flags), gpu=gpu,
                   onnx_providers=frozenset(onnxruntime.get_available_providers()))


@dataclass(frozen=True)
class Candidate:
    """One variant: `engine` onnx or torch; `exact` fp32 variants are gated on logits, others on the metric."""

    name: str
    engine: str
    description: str
    precision: str = "fp32"
    quantization: str = "none"
    compiled: bool = False
    # Why this machine cannot run it (None: it can), and why `auto` leaves it out though it could run.
    unavailable: Callable[[Machine], str | None] = lambda machine: None
    not_worth: Callable[[Machine], str | None] = lambda machine: None

    @property
    def exact(self) -> bool:
        return self.precision == "fp32" and self.quantization == "none"


def _needs_gpu(machine: Machine) -> str | None:
    return None if machine.gpu else "needs a GPU (none seen by torch)"


def _needs_cuda_provider(machine: Machine) -> str | None:
    if not machine.gpu:
        return "needs a GPU (none seen by torch) and ONNX Runtime's CUDA provider"
    if "CUDAExecutionProvider" not in machine.onnx_providers:
        return "needs ONNX Runtime's CUDA provider, which this onnxruntime lacks (install onnxruntime-gpu)"
    return None


def _bf16_units(machine: Machine) -> str | None:
    if machine.gpu or machine.cpu_bf16:
        return None
    return "the CPU has no bf16 units (amx_bf16 or avx512_bf16), where bf16 is emulated and slower than fp32"


def _bf16_covers(machine: Machine) -> str | None:
    if machine.gpu or machine.cpu_bf16:
        return "torch-bf16-compile runs here instead (compiling fp32 as well would double the compile time)"
    return None


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("onnx-fp32", "onnx", "ONNX Runtime, fused graph, fp32"),
    Candidate("onnx-int8", "onnx", "ONNX Runtime, fused graph, dynamic int8 weights (per channel)", quantization="dynamic-int8"),
    Candidate("onnx-int8-static", "onnx", "ONNX Runtime, static int8 MatMuls (QDQ, calibrated on the train split)",
              quantization="static-int8"),
    Candidate("torch-bf16", "torch", "PyTorch, bf16 weights", precision="bf16", not_worth=_bf16_units),
    Candidate("torch-bf16-compile", "torch", "PyTorch, bf16 weights, torch.compile", precision="bf16", compiled=True,
              not_worth=_bf16_units),
    Candidate("torch-compile", "torch", "PyTorch, fp32, torch.compile", compiled=True, not_worth=_bf16_covers),
    Candidate("torch-fp16", "torch", "PyTorch, fp16 weights (GPU)", precision="fp16", unavailable=_needs_gpu),
    Candidate("onnx-fp16", "onnx", "ONNX Runtime on CUDA, fused graph, fp16 (inputs and outputs fp32)", precision="fp16",
              unavailable=_needs_cuda_provider),
)
BY_NAME = {candidate.name: candidate for candidate in CANDIDATES}


@dataclass(frozen=True)
class Selection:
    chosen: list[Candidate]
    skipped: list[tuple[str, str]]  # (candidate, why)


def select_candidates(variants: str, machine: Machine) -> Selection:
    """`auto`: every candidate this machine runs and that can pay here; else the comma-separated names, each
    of which must run here (a variant the CPU only emulates, like bf16 without bf16 units, runs when named)."""
    if variants.strip() == "auto":
        chosen, skipped = [], []
        for candidate in CANDIDATES:
            why = candidate.unavailable(machine) or candidate.not_worth(machine)
            if why is None:
                chosen.append(candidate)
            else:
                skipped.append((candidate.name, why))
        return Selection(chosen, skipped)
    names = [name.strip() for name in variants.split(",") if name.strip()]
    if not names:
        raise InvalidInputError("--variants is empty; give auto or names from: " + ", ".join(BY_NAME) + ".")
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise InvalidInputError(f"Unknown variant {unknown[0]!r}; use auto or names from: {', '.join(BY_NAME)}.")
    if len(set(names)) != len(names):
        raise InvalidInputError("--variants names a variant twice; give each once.")
    for name in names:
        why = BY_NAME[name].unavailable(machine)
        if why is not None:
            raise InvalidInputError(f"Variant {name!r} cannot run on this machine: it {why}. Leave it out, or use auto.")
    return Selection([BY_NAME[name] for name in names], [])
