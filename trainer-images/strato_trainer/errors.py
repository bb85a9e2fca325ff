"""The one error type the helper raises: what is wrong, and how to fix it."""

from __future__ import annotations

from typing import Optional


class StratoTrainerError(RuntimeError):
    """A problem with the trainer's environment or setup, with a hint at the fix."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message
