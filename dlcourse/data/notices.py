"""Banners for data stand-ins, printed where a student will see them."""

from __future__ import annotations


def banner(title: str, body: str) -> None:
    line = "=" * 78
    print(f"{line}\n{title}\n{body}\n{line}", flush=True)


def missing_message(what: str, staged_name: str, reason: str) -> str:
    return (
        f"{what} is not available: {reason}\n"
        "Fix it in one of two ways:\n"
        f"  1. connect to the internet, and Keras will download it into ~/.keras on first use; or\n"
        f"  2. stage a copy offline: `dlcourse data stage --from DIR` where DIR holds {staged_name}\n"
        "     (or set DLCOURSE_DATA_DIR=DIR). `dlcourse data status` shows what is found where."
    )
