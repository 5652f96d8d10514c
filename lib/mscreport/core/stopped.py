"""A build stopped by the machine, not by its input: one line and an exit code of its own.

=====  ==========================================================================
code   meaning
=====  ==========================================================================
4      a worker process died (killed: ``kill -9``, or the system out of memory)
5      out of memory (``MemoryError``: ``ulimit -v``, a container's memory limit)
6      out of file descriptors (``ulimit -n`` too low, or the system's table full)
=====  ==========================================================================

(2 is bad input, 3 a chapter's own code failing, 130 an interruption: see ``cli``.) In each
case the report in the output folder is left as it was, and no traceback is printed.
"""

from __future__ import annotations

import errno
import signal

from mscreport.core.errors import safe_field

EXIT_WORKER_DIED, EXIT_OUT_OF_MEMORY, EXIT_TOO_MANY_FILES = 4, 5, 6
MIN_OPEN_FILES = 256  # descriptors a build needs per process (kernel sockets, pipes, fonts), with room to spare
WANTED_OPEN_FILES = 4096  # the soft limit is raised to this (or the hard limit) when lower


class BuildStopped(Exception):
    """The build cannot go on for a reason outside its input (``code``: the exit code)."""

    def __init__(self, code: int, where: str, message: str):
        self.code, self.where, self.message = code, where, message
        super().__init__(message)

    def report_kept(self) -> "BuildStopped":
        """The same stop, saying that the output folder was left as it was (the build's case)."""
        return BuildStopped(self.code, self.where, f"{self.message}; the report in {self.where} was left as it was")

    def __str__(self) -> str:
        return f"{safe_field(self.where)}:-:-: {' '.join(self.message.split())}"


def is_out_of_files(exc: BaseException) -> bool:
    """An OSError saying the process (EMFILE) or the system (ENFILE) has no descriptor left."""
    return isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE)


MEMORY_SIGNS = ("MemoryError", "failed to map segment", "Cannot allocate memory", "std::bad_alloc",
                "Failed to launch worker thread", "can't start new thread")
FILES_SIGNS = ("Too many open files", "Errno 24]", "Errno 23]")


def is_out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, or an error whose message says memory ran out: a library that could not be
    mapped, a thread that could not be started (its stack is memory too), whatever raised it."""
    return isinstance(exc, MemoryError) or any(sign in str(exc) for sign in MEMORY_SIGNS[1:])


def failure_stop(error: str, where: str) -> "BuildStopped | None":
    """The stop a chapter's failure stands for when its cause is the machine (its kernel out of
    memory or descriptors, as ``error``, the failure's text, says), else None."""
    if any(sign in error for sign in MEMORY_SIGNS):
        return out_of_memory(where)
    if any(sign in error for sign in FILES_SIGNS):
        return out_of_files(where)
    return None


def open_files_limit() -> int | None:
    """This process's soft limit on open files (None: unlimited or unknown)."""
    try:
        import resource
    except ImportError:  # not a POSIX system
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_open_files_limit(wanted: int = WANTED_OPEN_FILES) -> int | None:
    """Raise the soft limit on open files to ``wanted`` (at most the hard limit) when lower;
    the workers and kernels inherit it. Returns the soft limit now in force."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if new > soft:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            except (ValueError, OSError):
                pass
    return open_files_limit()


def ensure_open_files(where: str) -> None:
    """Before any chapter runs: raise the soft limit if it is low; BuildStopped (exit 6) when
    even the hard limit leaves fewer than ``MIN_OPEN_FILES`` descriptors."""
    limit = raise_open_files_limit()
    if limit is not None and limit < MIN_OPEN_FILES:
        raise BuildStopped(EXIT_TOO_MANY_FILES, where,
                           f"too few open files allowed (ulimit -n is {limit}, and cannot be raised here); a build "
                           f"needs {MIN_OPEN_FILES}: run `ulimit -n 1024` (or raise the container's limit) and build again")


def out_of_files(where: str, exc: OSError | None = None) -> BuildStopped:
    """The stop for a process that ran out of file descriptors (exit 6)."""
    limit = open_files_limit()
    what = "the system's table of open files is full" if exc is not None and exc.errno == errno.ENFILE else \
        f"too many open files (ulimit -n is {limit if limit is not None else 'unlimited'})"
    return BuildStopped(EXIT_TOO_MANY_FILES, where, f"stopped: {what}; raise it (ulimit -n 1024) and run again")


def out_of_memory(where: str) -> BuildStopped:
    """The stop for a MemoryError (exit 5)."""
    return BuildStopped(EXIT_OUT_OF_MEMORY, where,
                        "stopped: out of memory (a limit such as ulimit -v or the container's memory, or the machine's); "
                        "free memory or raise the limit and run again")


def worker_died(where: str, exitcodes: list[int | None]) -> BuildStopped:
    """The stop for a worker process that died (exit 4); ``exitcodes``: the workers' exit
    codes as ``multiprocessing`` gives them (negative: killed by that signal)."""
    signals = sorted({-c for c in exitcodes if c is not None and c < 0})
    if signals:
        names = ", ".join(_signal_name(s) for s in signals)
        how = f"was killed ({names}{': perhaps by the system, out of memory' if signal.SIGKILL in signals else ''})"
    else:
        how = "died (killed, or out of memory?)"
    return BuildStopped(EXIT_WORKER_DIED, where, f"stopped: a worker process {how} before the build finished")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
