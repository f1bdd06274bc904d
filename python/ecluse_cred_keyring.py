"""A keyring backend that asks ecluse-cred for the token of a package registry URL.

Poetry, twine, PDM and Hatch import the keyring library and ask its backends, in-process, for
the password of a registry URL. This backend answers by running `ecluse-cred keyring` (the
protocol pip and uv speak to ecluse-cred's `keyring` shim), which holds the cache, the lock and
the refresh policy: this module holds no token, makes no network call and needs nothing beyond
keyring itself.

A service that is not an http(s) URL (a bare host, `poetry-repository-NAME`, another scheme), or
one no ecluse-cred target serves, gets None here, so the other backends keyring chains (Secret
Service, a file keyring, another plugin) still answer everything else. It never stores or
deletes anything: those calls raise NotImplementedError, which keyring's chainer skips.

`ecluse-cred setup poetry|twine|pdm|hatch` installs it (docs/clients/python-tools.md): it
writes this file, with EXECUTABLE set to the absolute path of ecluse-cred, into ecluse-cred's
data directory beside a `.dist-info` whose entry point registers it, and points keyring there
with `keyring-path` in `keyringrc.cfg`.
"""

import json
import subprocess
import sys

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential

#: The ecluse-cred executable this backend runs. `setup` writes its absolute path here.
EXECUTABLE = "ecluse-cred"

#: Seconds one ask may take before it is given up (and answered with nothing). A cached token
#: comes back in milliseconds; this only bounds a mint the cache cannot serve, which
#: ecluse-cred itself bounds with the target's `mint_timeout` (at most 10 minutes).
TIMEOUT_SECONDS = 660

#: What a service must start with to be asked about: registries are http(s) URLs, and
#: ecluse-cred answers only a URL a target serves, over the scheme it was configured for.
URL_SCHEMES = ("https://", "http://")


class EcluseCredKeyring(KeyringBackend):
    """Registry tokens from ecluse-cred, for the URLs its targets serve; nothing else."""

    #: Above Secret Service (5) and libsecret (4.8), so keyring's chainer asks this backend
    #: first; it answers only URLs a target serves, so the others still answer the rest.
    priority = 9

    def _ask(self, service, username):
        """(username, token) for `service`, or None when ecluse-cred serves no target there."""
        if not isinstance(service, str) or not service.startswith(URL_SCHEMES):
            return None
        # After `--`, nothing the tool passes is read as an option (a username may start with -).
        args = [EXECUTABLE, "keyring", "--mode=creds", "--output=json", "--", "get", service]
        if username:
            args.append(username)
        try:
            # stderr is the tool's own: ecluse-cred explains a failed mint there, token-free.
            done = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            sys.stderr.write(f"ecluse-cred keyring backend: cannot run {EXECUTABLE}: {error}\n")
            return None
        # Exit 1 with nothing on stdout: no target serves the URL (or not for this username).
        # Any other failure was explained on stderr; the tool goes on without a credential.
        if done.returncode != 0:
            return None
        try:
            answer = json.loads(done.stdout)
            return answer["username"], answer["password"]
        except (ValueError, KeyError, TypeError):
            sys.stderr.write("ecluse-cred keyring backend: unexpected answer from ecluse-cred\n")
            return None

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
