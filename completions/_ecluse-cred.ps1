
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ecluse-cred' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ecluse-cred'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ecluse-cred' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid token for a target (cached when possible)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a starter config file (a target that works offline, an example of each backend)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each target''s cached token times and breaker state (never the token)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Mint a new token now, under the lock')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Forget cached tokens and breaker state')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)')
            [CompletionResult]::new('npmrc', 'npmrc', [CompletionResultType]::ParameterValue, 'Write or update one registry''s _authToken line in an .npmrc')
            [CompletionResult]::new('kube-credential', 'kube-credential', [CompletionResultType]::ParameterValue, 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)')
            [CompletionResult]::new('keyring', 'keyring', [CompletionResultType]::ParameterValue, 'Answer pip''s and uv''s `keyring` subprocess protocol (as the `keyring` symlink does)')
            [CompletionResult]::new('git-credential', 'git-credential', [CompletionResultType]::ParameterValue, 'Answer git''s credential helper protocol (as the `git-credential-ecluse` symlink does)')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'Answer docker''s credential helper protocol (as `docker-credential-ecluse` does)')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)')
            [CompletionResult]::new('goauth', 'goauth', [CompletionResultType]::ParameterValue, 'Answer Go''s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)')
            [CompletionResult]::new('bazel-credential', 'bazel-credential', [CompletionResultType]::ParameterValue, 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does')
            [CompletionResult]::new('terraform-credentials', 'terraform-credentials', [CompletionResultType]::ParameterValue, 'Answer Terraform''s credentials helper protocol, as `terraform-credentials-ecluse` does')
            [CompletionResult]::new('kubelet-credential', 'kubelet-credential', [CompletionResultType]::ParameterValue, 'Answer the kubelet''s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin')
            [CompletionResult]::new('kubelet-config', 'kubelet-config', [CompletionResultType]::ParameterValue, 'Print a kubelet CredentialProviderConfig (YAML) for the targets'' registries, for the node''s administrator to install (nothing is written)')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Internal: regenerate completions/ and man/ under DIR from this definition')
            [CompletionResult]::new('background-refresh', 'background-refresh', [CompletionResultType]::ParameterValue, 'Internal: the detached process that refreshes a due token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ecluse-cred;token' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'raw: the token and a newline; json: {"token","expires_at","target","source"}; env: `export NAME=''TOKEN''`; github: mask the token and add NAME to $GITHUB_ENV')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The variable name for --format env|github')
            [CompletionResult]::new('--min-ttl', '--min-ttl', [CompletionResultType]::ParameterName, 'Require the token to stay valid at least this long (e.g. "2h" for a long build); raises the target''s min_ttl for this call')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--no-background', '--no-background', [CompletionResultType]::ParameterName, 'Refresh a due token in this process instead of a detached background process (also ECLUSE_CRED_BACKGROUND=0), for environments that kill stray processes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Print the starter config on stdout instead of writing the config file')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;status' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only this target (a configured name or a derived target''s host)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;refresh' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Mint even while the circuit breaker is open')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;clear' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Forget this target''s token and breaker')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Forget every target''s token and breaker')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;exec' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Put the token in this environment variable (repeatable) [default: ECLUSE_CRED_TOKEN]')
            [CompletionResult]::new('--npm-registry', '--npm-registry', [CompletionResultType]::ParameterName, 'Also pass the token to npm as `npm_config_//host/path/:_authToken` for this registry')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;npmrc' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'The registry URL whose `//host/path/:_authToken` line to write')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Also point this scope at the registry (`@scope:registry=URL`)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The .npmrc to update [default: ~/.npmrc]')
            [CompletionResult]::new('--pnpm-token-helper', '--pnpm-token-helper', [CompletionResultType]::ParameterName, 'For pnpm: write a `tokenHelper` line instead of the token, pointing at an `ecluse-pnpm-token-TARGET` symlink made in DIR [default: next to this executable]. pnpm then asks for a fresh token on every run (it reads tokenHelper from ~/.npmrc only)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;kube-credential' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;keyring' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            break
        }
        'ecluse-cred;git-credential' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Serve this target instead of resolving the one for git''s URL')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;docker-credential' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;setup' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target name, as in [targets.NAME] in the config (or a derived target''s host)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Edit this file instead of the client''s own user config')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'cargo, poetry, twine, pdm, hatch: the registry''s name in the client''s config [default: the target''s name]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'maven: the server (and repository or mirror) id in settings.xml [default: ecluse-TARGET]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'npm, pnpm, yarn: use the registry for this scope only (`@scope:registry=URL`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'kubectl: the kubeconfig user to create [default: ecluse-TARGET]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubectl: an existing context whose user becomes the new one')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'pip, uv, pdm, docker: where to put the shim they run from PATH [default: the first writable directory on PATH under your home]; bazel: where its shim goes [default: as for pip, else ecluse-cred''s data directory]; pnpm: where its helper link goes')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the unified diff of what would change; write nothing, mint nothing')
            [CompletionResult]::new('--undo', '--undo', [CompletionResultType]::ParameterName, 'Remove what setup added for this registry, and nothing else')
            [CompletionResult]::new('--extra', '--extra', [CompletionResultType]::ParameterName, 'pip, uv, pdm: add the registry as an extra index instead of the default one')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'go: also make the URL go''s GOPROXY (ahead of what it was)')
            [CompletionResult]::new('--mirror', '--mirror', [CompletionResultType]::ParameterName, 'maven: a <mirror> of every repository (mirrorOf *) instead of a repository in a profile')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ecluse-cred;doctor' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Check this target (a configured name or a derived target''s host), and its clients')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Check the target that serves this URL, and whether each client routes it to ecluse-cred')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'text: one line per check; json: [{check, status, detail, fix}]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('--mint', '--mint', [CompletionResultType]::ParameterName, 'Also mint once through the policy (as `refresh` does, breaker respected) and time it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;goauth' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;bazel-credential' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;terraform-credentials' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            break
        }
        'ecluse-cred;kubelet-credential' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;kubelet-config' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only this target''s registries (repeatable; a configured name or a derived target''s host) [default: every configured target''s https registries, and the derived cloud hosts]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;install' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('shims', 'shims', [CompletionResultType]::ParameterValue, 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ecluse-cred;install;shims' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;install;help' {
            [CompletionResult]::new('shims', 'shims', [CompletionResultType]::ParameterValue, 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ecluse-cred;install;help;shims' {
            break
        }
        'ecluse-cred;install;help;help' {
            break
        }
        'ecluse-cred;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;generate-docs' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;background-refresh' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'target')
            [CompletionResult]::new('--settings-hash', '--settings-hash', [CompletionResultType]::ParameterName, 'The backend settings hash of the target the caller meant: refuse another')
            [CompletionResult]::new('--lock-fd', '--lock-fd', [CompletionResultType]::ParameterName, 'The lock descriptor inherited from the process that took the lock')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file [default: ~/.config/ecluse-cred/config.toml]')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory [default: ~/.cache/ecluse-cred]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Format of stderr lines: text, or one JSON object per line (events and errors alike)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ecluse-cred;help' {
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a valid token for a target (cached when possible)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a starter config file (a target that works offline, an example of each backend)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each target''s cached token times and breaker state (never the token)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Mint a new token now, under the lock')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Forget cached tokens and breaker state')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)')
            [CompletionResult]::new('npmrc', 'npmrc', [CompletionResultType]::ParameterValue, 'Write or update one registry''s _authToken line in an .npmrc')
            [CompletionResult]::new('kube-credential', 'kube-credential', [CompletionResultType]::ParameterValue, 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)')
            [CompletionResult]::new('keyring', 'keyring', [CompletionResultType]::ParameterValue, 'Answer pip''s and uv''s `keyring` subprocess protocol (as the `keyring` symlink does)')
            [CompletionResult]::new('git-credential', 'git-credential', [CompletionResultType]::ParameterValue, 'Answer git''s credential helper protocol (as the `git-credential-ecluse` symlink does)')
            [CompletionResult]::new('docker-credential', 'docker-credential', [CompletionResultType]::ParameterValue, 'Answer docker''s credential helper protocol (as `docker-credential-ecluse` does)')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)')
            [CompletionResult]::new('goauth', 'goauth', [CompletionResultType]::ParameterValue, 'Answer Go''s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)')
            [CompletionResult]::new('bazel-credential', 'bazel-credential', [CompletionResultType]::ParameterValue, 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does')
            [CompletionResult]::new('terraform-credentials', 'terraform-credentials', [CompletionResultType]::ParameterValue, 'Answer Terraform''s credentials helper protocol, as `terraform-credentials-ecluse` does')
            [CompletionResult]::new('kubelet-credential', 'kubelet-credential', [CompletionResultType]::ParameterValue, 'Answer the kubelet''s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin')
            [CompletionResult]::new('kubelet-config', 'kubelet-config', [CompletionResultType]::ParameterValue, 'Print a kubelet CredentialProviderConfig (YAML) for the targets'' registries, for the node''s administrator to install (nothing is written)')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Internal: regenerate completions/ and man/ under DIR from this definition')
            [CompletionResult]::new('background-refresh', 'background-refresh', [CompletionResultType]::ParameterValue, 'Internal: the detached process that refreshes a due token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ecluse-cred;help;token' {
            break
        }
        'ecluse-cred;help;init' {
            break
        }
        'ecluse-cred;help;status' {
            break
        }
        'ecluse-cred;help;refresh' {
            break
        }
        'ecluse-cred;help;clear' {
            break
        }
        'ecluse-cred;help;exec' {
            break
        }
        'ecluse-cred;help;npmrc' {
            break
        }
        'ecluse-cred;help;kube-credential' {
            break
        }
        'ecluse-cred;help;keyring' {
            break
        }
        'ecluse-cred;help;git-credential' {
            break
        }
        'ecluse-cred;help;docker-credential' {
            break
        }
        'ecluse-cred;help;setup' {
            break
        }
        'ecluse-cred;help;doctor' {
            break
        }
        'ecluse-cred;help;goauth' {
            break
        }
        'ecluse-cred;help;bazel-credential' {
            break
        }
        'ecluse-cred;help;terraform-credentials' {
            break
        }
        'ecluse-cred;help;kubelet-credential' {
            break
        }
        'ecluse-cred;help;kubelet-config' {
            break
        }
        'ecluse-cred;help;install' {
            [CompletionResult]::new('shims', 'shims', [CompletionResultType]::ParameterValue, 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse')
            break
        }
        'ecluse-cred;help;install;shims' {
            break
        }
        'ecluse-cred;help;completions' {
            break
        }
        'ecluse-cred;help;generate-docs' {
            break
        }
        'ecluse-cred;help;background-refresh' {
            break
        }
        'ecluse-cred;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
