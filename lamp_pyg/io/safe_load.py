"""Reading back ``torch.save`` files without running code.

Every file lamp-pyg writes with :func:`torch.save` (checkpoints, saved label graphs, the
processed-data cache) holds plain data only: tensors, numbers, strings, ``None``, lists,
tuples and dicts. :func:`load_plain` reads such a file with
``torch.load(weights_only=True)``, whose unpickler refuses any other Python object, so a
file with a payload (an object whose unpickling calls a function, e.g. ``os.system``) is
refused before the payload can run. There is no silent fallback to an unpickling load:
``trusted=True`` (for a file from a source you trust that holds other objects) is the
only way to get one, and every caller exposes it under that name.

Like the other readers in :mod:`lamp_pyg.io`, this module imports torch only when called.
"""
from __future__ import annotations

import os
import pickle
from typing import Any, Iterable, Optional

__all__ = ["UnsafeFileError", "UnreadableFileError", "load_plain"]


class UnreadableFileError(ValueError):
    """A file that cannot be read as a ``torch.save`` file: missing, truncated, corrupt,
    or not a torch file. ``path`` names it and ``reason`` says what went wrong."""

    def __init__(self, path, reason: str):
        self.path, self.reason = os.fspath(path), reason
        super().__init__(f"{self.path}: {reason}")


class UnsafeFileError(UnreadableFileError):
    """A file that holds more than plain data (a pickled object whose loading would call
    code): refused without loading it."""


def load_plain(path, *, trusted: bool = False, allow: Iterable[Any] = (),
               map_location: Optional[str] = "cpu") -> Any:
    """Loads a ``torch.save`` file holding plain data only.

    Args:
        path: the file.
        trusted: load with ``weights_only=False`` (any pickled object, which may run
            code): only for a file whose origin you trust.
        allow: extra globals (classes) the file may reference, passed to
            :func:`torch.serialization.safe_globals`.
        map_location: as for :func:`torch.load`.

    Raises:
        UnsafeFileError: the file references a Python object outside the plain types
            (named in the message); nothing in it was run.
        UnreadableFileError: missing, truncated, corrupt or not a torch file.
    """
    import torch  # only callers that read torch files need torch

    if not os.path.isfile(path):
        raise UnreadableFileError(path, "does not exist")
    try:
        if trusted:
            return torch.load(path, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(list(allow)):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        detail = _detail(e)
        if not trusted and "GLOBAL" in str(e):  # a reference to a Python object
            raise UnsafeFileError(path, f"holds a Python object that is not plain data "
                                        f"({detail}); it was not loaded, so nothing in "
                                        "it ran") from None
        raise UnreadableFileError(path, f"is truncated, corrupt or not a torch.save "
                                        f"file ({detail})") from None
    except Exception as e:  # truncated zip, not a torch file, bad pickle opcodes, ...
        raise UnreadableFileError(path, f"is truncated, corrupt or not a torch.save "
                                        f"file ({type(e).__name__}: {_detail(e)})") from None


def _detail(e: Exception) -> str:
    """The informative line of torch's (long, advice-laden) load error."""
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    line = next((l for key in ("GLOBAL", "Unsupported", "WeightsUnpickler error")
                 for l in lines if key in l), lines[0] if lines else type(e).__name__)
    return line.split(". Please use")[0].split(" Check the documentation")[0][:300]
