"""Report pages a user changed after the build wrote them (issue 24.11).

A file the manifest lists whose SHA-256 no longer matches (notes appended to ``index.html``,
say) holds the user's work: it counts as foreign. Without ``--force`` the build refuses
(exit 2) and names it; with ``--force`` it is kept aside in the new report under a name of its
own, ``index.edited.html`` (``index.edited-2.html`` if that is taken), never deleted, and the
build says where. The manifest of the new report does not list it, so it stays the user's.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from mscreport.core.hashing import file_sha256 as file_sha


def changed_files(out: Path, manifest: dict) -> list[str]:
    """Files the manifest lists (with a hash) that are still there but changed since (sorted
    relative paths). A missing file is not a change; a symbolic link is foreign already."""
    changed = []
    for rel, sha in (manifest.get("files") or {}).items():
        p = out / rel
        if sha is not None and p.is_file() and not p.is_symlink() and file_sha(p) != sha:
            changed.append(rel)
    return sorted(changed)


def aside_name(rel: str, taken) -> str:
    """Where a changed file is kept: ``a/b.html`` -> ``a/b.edited.html`` (then ``b.edited-2.html``,
    ...), the first name for which ``taken(name)`` is false."""
    path = PurePosixPath(rel)
    n = 1
    while True:
        tag = "edited" if n == 1 else f"edited-{n}"
        candidate = str(path.with_name(f"{path.stem}.{tag}{path.suffix}"))
        if not taken(candidate):
            return candidate
        n += 1


def keep_changed(out: Path, report: Path, changed: list[str]) -> list[tuple[Path, Path]]:
    """Move each changed file of ``out`` into the new ``report`` under its aside name; returns
    the moves ``(from, to)``, to undo them if the install fails."""
    moves = []
    for rel in changed:
        aside = aside_name(rel, lambda name: os.path.lexists(report / name) or os.path.lexists(out / name))
        dst = report / aside
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(out / rel, dst)
        moves.append((out / rel, dst))
    return moves


def describe_changed(changed: list[str]) -> str:
    """The one-line refusal for pages changed since the build wrote them."""
    shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return (f"{shown} changed since mscreport wrote {'them' if len(changed) > 1 else 'it'} (the manifest's SHA-256 "
            "differs): move your edits away, or add --force to rebuild and keep the changed files aside "
            "as NAME.edited.html")
