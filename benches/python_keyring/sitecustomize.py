"""Times every call a tool makes to the keyring library's module-level get_password and
get_credential, for benches/python_keyring (on PYTHONPATH of the measured Poetry runs only).

Active only when BENCH_KEYRING_LOG names a file; it then appends one line per call:
`FUNCTION<TAB>MILLISECONDS<TAB>ANSWERED(0|1)<TAB>SERVICE`. It imports nothing until the tool
imports keyring itself (a meta-path hook wraps keyring's loader), so a process that never asks
keyring pays only this file's own import.
"""

import os
import sys

_LOG = os.environ.get("BENCH_KEYRING_LOG")


def _patch(module):
    import time

    def wrap(name, real):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                answer = real(*args, **kwargs)
            except BaseException:
                _write(name, time.perf_counter() - start, "E", args)
                raise
            _write(name, time.perf_counter() - start, "1" if answer else "0", args)
            return answer

        timed.__wrapped__ = real
        return timed

    for name in ("get_password", "get_credential"):
        setattr(module, name, wrap(name, getattr(module, name)))


def _write(name, seconds, answered, args):
    service = str(args[0]) if args else ""
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{name}\t{seconds * 1000:.3f}\t{answered}\t{service}\n")


class _KeyringHook:
    """Finds keyring as usual, then patches it right after its module runs."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keyring":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec("keyring")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        real_exec = loader.exec_module

        def exec_module(module):
            real_exec(module)
            _patch(module)

        loader.exec_module = exec_module
        return spec


if _LOG:
    sys.meta_path.insert(0, _KeyringHook())
