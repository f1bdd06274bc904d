
use builtin;
use str;

set edit:completion:arg-completer[ecluse-cred] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ecluse-cred'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ecluse-cred'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand token 'Print a valid token for a target (cached when possible)'
            cand init 'Write a starter config file (a target that works offline, an example of each backend)'
            cand status 'Show each target''s cached token times and breaker state (never the token)'
            cand refresh 'Mint a new token now, under the lock'
            cand clear 'Forget cached tokens and breaker state'
            cand exec 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)'
            cand npmrc 'Write or update one registry''s _authToken line in an .npmrc'
            cand kube-credential 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)'
            cand keyring 'Answer pip''s and uv''s `keyring` subprocess protocol (as the `keyring` symlink does)'
            cand git-credential 'Answer git''s credential helper protocol (as the `git-credential-ecluse` symlink does)'
            cand docker-credential 'Answer docker''s credential helper protocol (as `docker-credential-ecluse` does)'
            cand setup 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)'
            cand doctor 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)'
            cand goauth 'Answer Go''s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)'
            cand bazel-credential 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does'
            cand terraform-credentials 'Answer Terraform''s credentials helper protocol, as `terraform-credentials-ecluse` does'
            cand kubelet-credential 'Answer the kubelet''s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin'
            cand kubelet-config 'Print a kubelet CredentialProviderConfig (YAML) for the targets'' registries, for the node''s administrator to install (nothing is written)'
            cand install 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse'
            cand completions 'Print a shell completion script'
            cand generate-docs 'Internal: regenerate completions/ and man/ under DIR from this definition'
            cand background-refresh 'Internal: the detached process that refreshes a due token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ecluse-cred;token'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --format 'raw: the token and a newline; json: {"token","expires_at","target","source"}; env: `export NAME=''TOKEN''`; github: mask the token and add NAME to $GITHUB_ENV'
            cand --env 'The variable name for --format env|github'
            cand --min-ttl 'Require the token to stay valid at least this long (e.g. "2h" for a long build); raises the target''s min_ttl for this call'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --no-background 'Refresh a due token in this process instead of a detached background process (also ECLUSE_CRED_BACKGROUND=0), for environments that kill stray processes'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;init'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --print 'Print the starter config on stdout instead of writing the config file'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;status'= {
            cand --target 'Only this target (a configured name or a derived target''s host)'
            cand --format 'format'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;refresh'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --force 'Mint even while the circuit breaker is open'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;clear'= {
            cand --target 'Forget this target''s token and breaker'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --all 'Forget every target''s token and breaker'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;exec'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --env 'Put the token in this environment variable (repeatable) [default: ECLUSE_CRED_TOKEN]'
            cand --npm-registry 'Also pass the token to npm as `npm_config_//host/path/:_authToken` for this registry'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;npmrc'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --registry 'The registry URL whose `//host/path/:_authToken` line to write'
            cand --scope 'Also point this scope at the registry (`@scope:registry=URL`)'
            cand --file 'The .npmrc to update [default: ~/.npmrc]'
            cand --pnpm-token-helper 'For pnpm: write a `tokenHelper` line instead of the token, pointing at an `ecluse-pnpm-token-TARGET` symlink made in DIR [default: next to this executable]. pnpm then asks for a fresh token on every run (it reads tokenHelper from ~/.npmrc only)'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;kube-credential'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;keyring'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
        }
        &'ecluse-cred;git-credential'= {
            cand --target 'Serve this target instead of resolving the one for git''s URL'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;docker-credential'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;setup'= {
            cand --target 'Target name, as in [targets.NAME] in the config (or a derived target''s host)'
            cand --url 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL'
            cand --file 'Edit this file instead of the client''s own user config'
            cand --registry 'cargo, poetry, twine, pdm, hatch: the registry''s name in the client''s config [default: the target''s name]'
            cand --id 'maven: the server (and repository or mirror) id in settings.xml [default: ecluse-TARGET]'
            cand --scope 'npm, pnpm, yarn: use the registry for this scope only (`@scope:registry=URL`)'
            cand --user 'kubectl: the kubeconfig user to create [default: ecluse-TARGET]'
            cand --context 'kubectl: an existing context whose user becomes the new one'
            cand --bin-dir 'pip, uv, pdm, docker: where to put the shim they run from PATH [default: the first writable directory on PATH under your home]; bazel: where its shim goes [default: as for pip, else ecluse-cred''s data directory]; pnpm: where its helper link goes'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --dry-run 'Print the unified diff of what would change; write nothing, mint nothing'
            cand --undo 'Remove what setup added for this registry, and nothing else'
            cand --extra 'pip, uv, pdm: add the registry as an extra index instead of the default one'
            cand --proxy 'go: also make the URL go''s GOPROXY (ahead of what it was)'
            cand --mirror 'maven: a <mirror> of every repository (mirrorOf *) instead of a repository in a profile'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ecluse-cred;doctor'= {
            cand --target 'Check this target (a configured name or a derived target''s host), and its clients'
            cand --url 'Check the target that serves this URL, and whether each client routes it to ecluse-cred'
            cand --format 'text: one line per check; json: [{check, status, detail, fix}]'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand --mint 'Also mint once through the policy (as `refresh` does, breaker respected) and time it'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;goauth'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;bazel-credential'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;terraform-credentials'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
        }
        &'ecluse-cred;kubelet-credential'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;kubelet-config'= {
            cand --target 'Only this target''s registries (repeatable; a configured name or a derived target''s host) [default: every configured target''s https registries, and the derived cloud hosts]'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;install'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand shims 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ecluse-cred;install;shims'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;install;help'= {
            cand shims 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ecluse-cred;install;help;shims'= {
        }
        &'ecluse-cred;install;help;help'= {
        }
        &'ecluse-cred;completions'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;generate-docs'= {
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;background-refresh'= {
            cand --target 'target'
            cand --settings-hash 'The backend settings hash of the target the caller meant: refuse another'
            cand --lock-fd 'The lock descriptor inherited from the process that took the lock'
            cand --config 'Configuration file [default: ~/.config/ecluse-cred/config.toml]'
            cand --cache-dir 'Cache directory [default: ~/.cache/ecluse-cred]'
            cand --log-format 'Format of stderr lines: text, or one JSON object per line (events and errors alike)'
            cand -v 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand --verbose 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
            cand -q 'Print only errors on stderr'
            cand --quiet 'Print only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ecluse-cred;help'= {
            cand token 'Print a valid token for a target (cached when possible)'
            cand init 'Write a starter config file (a target that works offline, an example of each backend)'
            cand status 'Show each target''s cached token times and breaker state (never the token)'
            cand refresh 'Mint a new token now, under the lock'
            cand clear 'Forget cached tokens and breaker state'
            cand exec 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)'
            cand npmrc 'Write or update one registry''s _authToken line in an .npmrc'
            cand kube-credential 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)'
            cand keyring 'Answer pip''s and uv''s `keyring` subprocess protocol (as the `keyring` symlink does)'
            cand git-credential 'Answer git''s credential helper protocol (as the `git-credential-ecluse` symlink does)'
            cand docker-credential 'Answer docker''s credential helper protocol (as `docker-credential-ecluse` does)'
            cand setup 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)'
            cand doctor 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)'
            cand goauth 'Answer Go''s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)'
            cand bazel-credential 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does'
            cand terraform-credentials 'Answer Terraform''s credentials helper protocol, as `terraform-credentials-ecluse` does'
            cand kubelet-credential 'Answer the kubelet''s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin'
            cand kubelet-config 'Print a kubelet CredentialProviderConfig (YAML) for the targets'' registries, for the node''s administrator to install (nothing is written)'
            cand install 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse'
            cand completions 'Print a shell completion script'
            cand generate-docs 'Internal: regenerate completions/ and man/ under DIR from this definition'
            cand background-refresh 'Internal: the detached process that refreshes a due token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ecluse-cred;help;token'= {
        }
        &'ecluse-cred;help;init'= {
        }
        &'ecluse-cred;help;status'= {
        }
        &'ecluse-cred;help;refresh'= {
        }
        &'ecluse-cred;help;clear'= {
        }
        &'ecluse-cred;help;exec'= {
        }
        &'ecluse-cred;help;npmrc'= {
        }
        &'ecluse-cred;help;kube-credential'= {
        }
        &'ecluse-cred;help;keyring'= {
        }
        &'ecluse-cred;help;git-credential'= {
        }
        &'ecluse-cred;help;docker-credential'= {
        }
        &'ecluse-cred;help;setup'= {
        }
        &'ecluse-cred;help;doctor'= {
        }
        &'ecluse-cred;help;goauth'= {
        }
        &'ecluse-cred;help;bazel-credential'= {
        }
        &'ecluse-cred;help;terraform-credentials'= {
        }
        &'ecluse-cred;help;kubelet-credential'= {
        }
        &'ecluse-cred;help;kubelet-config'= {
        }
        &'ecluse-cred;help;install'= {
            cand shims 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
        }
        &'ecluse-cred;help;install;shims'= {
        }
        &'ecluse-cred;help;completions'= {
        }
        &'ecluse-cred;help;generate-docs'= {
        }
        &'ecluse-cred;help;background-refresh'= {
        }
        &'ecluse-cred;help;help'= {
        }
    ]
    $completions[$command]
}
