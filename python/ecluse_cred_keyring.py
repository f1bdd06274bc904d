"""A keyring backend that asks ecluse-cred for the token of a package registry URL.

Poetry, twine, PDM and Hatch import the keyring library and ask its backends, in-process, for
the password of a registry URL. This backend answers by running `ecluse-cred keyring` (the
protocol pip and uv speak to ecluse-cred's `keyring` shim), which holds the cache, the lock and
the refresh policy: this module keeps nothing on disk, makes no network call and needs nothing
beyond keyring itself.

Within one process (one `poetry install`), an answer is reused until shortly before its
token's expiry, as the tool itself keeps it: a resolve that asks for the same URL dozens of
times starts ecluse-cred once per URL.

A service that is not an http(s) URL (a bare host, `poetry-repository-NAME`, another scheme), or
one no ecluse-cred target serves, gets None here, so the other backends keyring chains (Secret
Service, a file keyring, another plugin) still answer everything else. It never stores or
deletes anything: those calls raise NotImplementedError, which keyring's chainer skips.

`ecluse-cred setup poetry|twine|pdm|hatch` installs it (docs/clients/keyring-backend.md): it
writes this file, with EXECUTABLE set to the absolute path of ecluse-cred, into ecluse-cred's
data directory beside a `.dist-info` whose entry point registers it, and points keyring there
with `keyring-path` in `keyringrc.cfg`.
"""

import json
import subprocess
import sys
import threading
import time

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential

#: The ecluse-cred executable this backend runs. `setup` writes its absolute path here.
EXECUTABLE = "ecluse-cred"

#: Seconds one ask may take before ecluse-cred is killed and the ask answered with nothing. A
#: cached token comes back in milliseconds; this only bounds a mint the cache cannot serve,
#: which ecluse-cred itself bounds with the target's `mint_timeout` (at most 10 minutes).
TIMEOUT_SECONDS = 660

#: What a service must start with to be asked about: registries are http(s) URLs, and
#: ecluse-cred answers only a URL a target serves, over the scheme it was configured for.
URL_SCHEMES = ("https://", "http://")

#: An answer is reused in this process until this many seconds before its token expires.
REUSE_MARGIN_SECONDS = 60

#: ecluse-cred's exit status for "no target serves this URL" (keyring's "no credentials").
NO_CREDENTIALS = 1


class EcluseCredKeyring(KeyringBackend):
    """Registry tokens from ecluse-cred, for the URLs its targets serve; nothing else."""

    #: Above Secret Service (5) and libsecret (4.8), so keyring's chainer asks this backend
    #: first; it answers only URLs a target serves, so the others still answer the rest.
    priority = 9

    def __init__(self):
        super().__init__()
        #: (service, username) -> (username, token, expires_at) or None (no target serves it).
        self._answers = {}
        #: (service, username) -> the lock its ask holds; `_lock` guards this map.
        self._asking = {}
        self._lock = threading.Lock()

    def _ask(self, service, username):
        """(username, token) for `service`, or None when ecluse-cred serves no target there."""
        if not isinstance(service, str) or not service.startswith(URL_SCHEMES):
            return None
        key = (service, username or None)
        with self._lock:
            # One ask per URL at a time: the tool's threads that ask together share it.
            single = self._asking.setdefault(key, threading.Lock())
        with single:
            known = self._answers.get(key, False)
            if known is None:
                return None
            if known and time.time() < known[2] - REUSE_MARGIN_SECONDS:
                return known[0], known[1]
            found = self._run(service, username)
            if found is not False:
                self._answers[key] = found
            return None if not found else (found[0], found[1])

    def _run(self, service, username):
        """ecluse-cred's answer: (username, token, expires_at), None for "no target serves
        it", False for a failure (explained on stderr, not remembered)."""
        # After `--`, nothing the tool passes is read as an option (a username may start with -).
        args = [EXECUTABLE, "keyring", "--mode=creds", "--output=json", "--with-expiry", "--"]
        args += ["get", service] + ([username] if username else [])
        try:
            # stderr is the tool's own: ecluse-cred explains a failed mint there, token-free.
            child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        except OSError as error:
            sys.stderr.write(f"ecluse-cred keyring backend: cannot run {EXECUTABLE}: {error}\n")
            return False
        # A timer, not communicate(timeout=): that polls the child with sleeps, a millisecond
        # or more on every ask.
        timer = threading.Timer(TIMEOUT_SECONDS, child.kill)
        timer.daemon = True
        timer.start()
        try:
            out, _ = child.communicate()
        finally:
            timer.cancel()
        if child.returncode == NO_CREDENTIALS and not out:
            return None
        if child.returncode != 0:
            return False
        try:
            answer = json.loads(out)
            return answer["username"], answer["password"], float(answer["expires_at"])
        except (ValueError, KeyError, TypeError):
            sys.stderr.write("ecluse-cred keyring backend: unexpected answer from ecluse-cred\n")
            return False

    def get_password(self, service, username):
        found = self._ask(service, username)
        return None if found is None else found[1]

    def get_credential(self, service, username):
        found = self._ask(service, username)
        return None if found is None else SimpleCredential(*found)

    def set_password(self, service, username, password):
        raise NotImplementedError("ecluse-cred mints registry tokens; it stores nothing")

    def delete_password(self, service, username):
        raise NotImplementedError("ecluse-cred mints registry tokens; it stores nothing")
