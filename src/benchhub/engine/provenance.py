"""What produced a result: package versions, hardware, settings."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

PACKAGES = ("benchhub", "torch", "transformers", "tokenizers", "scikit-learn", "numpy", "onnxruntime", "datasets")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def hardware() -> dict[str, Any]:
    """CPU model and count, and the GPU when torch is loaded and sees one."""
    description: dict[str, Any] = {
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        description["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            description["gpu"] = torch.cuda.get_device_name(0)
    return description


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
