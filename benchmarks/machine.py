"""What the numbers were measured on: they mean little without it."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def cpu_name() -> str:
    """The processor's model name (Linux), else what the platform module knows."""
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe() -> str:
    """One line: processor, cores, Python, torch, and the GPU where there is one."""
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"
    return (
        f"{cpu_name()}, {os.cpu_count()} cores{gpu}; "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )
