# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ecluse_cred_global_optspecs
    string join \n config= cache-dir= v/verbose q/quiet log-format= h/help V/version
end

function __fish_ecluse_cred_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ecluse_cred_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ecluse_cred_using_subcommand
    set -l cmd (__fish_ecluse_cred_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -s V -l version -d 'Print version'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "token" -d 'Print a valid token for a target (cached when possible)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "init" -d 'Write a starter config file (a target that works offline, an example of each backend)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "status" -d 'Show each target\'s cached token times and breaker state (never the token)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "refresh" -d 'Mint a new token now, under the lock'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "clear" -d 'Forget cached tokens and breaker state'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "exec" -d 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "npmrc" -d 'Write or update one registry\'s _authToken line in an .npmrc'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "kube-credential" -d 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "keyring" -d 'Answer pip\'s and uv\'s `keyring` subprocess protocol (as the `keyring` symlink does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "git-credential" -d 'Answer git\'s credential helper protocol (as the `git-credential-ecluse` symlink does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "docker-credential" -d 'Answer docker\'s credential helper protocol (as `docker-credential-ecluse` does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "setup" -d 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "doctor" -d 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "goauth" -d 'Answer Go\'s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "bazel-credential" -d 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "terraform-credentials" -d 'Answer Terraform\'s credentials helper protocol, as `terraform-credentials-ecluse` does'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "kubelet-credential" -d 'Answer the kubelet\'s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "kubelet-config" -d 'Print a kubelet CredentialProviderConfig (YAML) for the targets\' registries, for the node\'s administrator to install (nothing is written)'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "install" -d 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "generate-docs" -d 'Internal: regenerate completions/ and man/ under DIR from this definition'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "background-refresh" -d 'Internal: the detached process that refreshes a due token'
complete -c ecluse-cred -n "__fish_ecluse_cred_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l format -d 'raw: the token and a newline; json: {"token","expires_at","target","source"}; env: `export NAME=\'TOKEN\'`; github: mask the token and add NAME to $GITHUB_ENV' -r -f -a "raw\t''
json\t''
env\t''
github\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l env -d 'The variable name for --format env|github' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l min-ttl -d 'Require the token to stay valid at least this long (e.g. "2h" for a long build); raises the target\'s min_ttl for this call' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -l no-background -d 'Refresh a due token in this process instead of a detached background process (also ECLUSE_CRED_BACKGROUND=0), for environments that kill stray processes'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand token" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -l print -d 'Print the starter config on stdout instead of writing the config file'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand init" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -l target -d 'Only this target (a configured name or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -l format -r -f -a "table\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand status" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -l force -d 'Mint even while the circuit breaker is open'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -l target -d 'Forget this target\'s token and breaker' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -l all -d 'Forget every target\'s token and breaker'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand clear" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l env -d 'Put the token in this environment variable (repeatable) [default: ECLUSE_CRED_TOKEN]' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l npm-registry -d 'Also pass the token to npm as `npm_config_//host/path/:_authToken` for this registry' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand exec" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l registry -d 'The registry URL whose `//host/path/:_authToken` line to write' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l scope -d 'Also point this scope at the registry (`@scope:registry=URL`)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l file -d 'The .npmrc to update [default: ~/.npmrc]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l pnpm-token-helper -d 'For pnpm: write a `tokenHelper` line instead of the token, pointing at an `ecluse-pnpm-token-TARGET` symlink made in DIR [default: next to this executable]. pnpm then asks for a fresh token on every run (it reads tokenHelper from ~/.npmrc only)' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand npmrc" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kube-credential" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand keyring" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand keyring" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand keyring" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand keyring" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand keyring" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -l target -d 'Serve this target instead of resolving the one for git\'s URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand git-credential" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand docker-credential" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l target -d 'Target name, as in [targets.NAME] in the config (or a derived target\'s host)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l url -d 'The registry URL (or host[:port]) to authenticate to: the configured target whose `urls` match it, else a target derived from a CodeArtifact or Artifact Registry URL' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l file -d 'Edit this file instead of the client\'s own user config' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l registry -d 'cargo, poetry, twine, pdm, hatch: the registry\'s name in the client\'s config [default: the target\'s name]' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l id -d 'maven: the server (and repository or mirror) id in settings.xml [default: ecluse-TARGET]' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l scope -d 'npm, pnpm, yarn: use the registry for this scope only (`@scope:registry=URL`)' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l user -d 'kubectl: the kubeconfig user to create [default: ecluse-TARGET]' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l context -d 'kubectl: an existing context whose user becomes the new one' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l bin-dir -d 'pip, uv, pdm, docker: where to put the shim they run from PATH [default: the first writable directory on PATH under your home]; bazel: where its shim goes [default: as for pip, else ecluse-cred\'s data directory]; pnpm: where its helper link goes' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l dry-run -d 'Print the unified diff of what would change; write nothing, mint nothing'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l undo -d 'Remove what setup added for this registry, and nothing else'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l extra -d 'pip, uv, pdm: add the registry as an extra index instead of the default one'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l proxy -d 'go: also make the URL go\'s GOPROXY (ahead of what it was)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -l mirror -d 'maven: a <mirror> of every repository (mirrorOf *) instead of a repository in a profile'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l target -d 'Check this target (a configured name or a derived target\'s host), and its clients' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l url -d 'Check the target that serves this URL, and whether each client routes it to ecluse-cred' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l format -d 'text: one line per check; json: [{check, status, detail, fix}]' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -l mint -d 'Also mint once through the policy (as `refresh` does, breaker respected) and time it'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand goauth" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand bazel-credential" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand terraform-credentials" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand terraform-credentials" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand terraform-credentials" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand terraform-credentials" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand terraform-credentials" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-credential" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -l target -d 'Only this target\'s registries (repeatable; a configured name or a derived target\'s host) [default: every configured target\'s https registries, and the derived cloud hosts]' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand kubelet-config" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -f -a "shims" -d 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and not __fish_seen_subcommand_from shims help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from shims" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from help" -f -a "shims" -d 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand install; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand completions" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l target -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l settings-hash -d 'The backend settings hash of the target the caller meant: refuse another' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l lock-fd -d 'The lock descriptor inherited from the process that took the lock' -r
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l config -d 'Configuration file [default: ~/.config/ecluse-cred/config.toml]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l cache-dir -d 'Cache directory [default: ~/.cache/ecluse-cred]' -r -F
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -l log-format -d 'Format of stderr lines: text, or one JSON object per line (events and errors alike)' -r -f -a "text\t''
json\t''"
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -s v -l verbose -d 'Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -s q -l quiet -d 'Print only errors on stderr'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand background-refresh" -s h -l help -d 'Print help'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "token" -d 'Print a valid token for a target (cached when possible)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "init" -d 'Write a starter config file (a target that works offline, an example of each backend)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "status" -d 'Show each target\'s cached token times and breaker state (never the token)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "refresh" -d 'Mint a new token now, under the lock'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "clear" -d 'Forget cached tokens and breaker state'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "exec" -d 'Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "npmrc" -d 'Write or update one registry\'s _authToken line in an .npmrc'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "kube-credential" -d 'Print a kubectl ExecCredential (client.authentication.k8s.io/v1)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "keyring" -d 'Answer pip\'s and uv\'s `keyring` subprocess protocol (as the `keyring` symlink does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "git-credential" -d 'Answer git\'s credential helper protocol (as the `git-credential-ecluse` symlink does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "docker-credential" -d 'Answer docker\'s credential helper protocol (as `docker-credential-ecluse` does)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "setup" -d 'Wire a client to a registry in its own config, so that its plain command authenticates (--dry-run shows the diff, --undo takes it out again)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "doctor" -d 'Check the config, cache, binaries, backend credentials and client configs; say how to fix each problem (no network unless --mint)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "goauth" -d 'Answer Go\'s GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "bazel-credential" -d 'Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "terraform-credentials" -d 'Answer Terraform\'s credentials helper protocol, as `terraform-credentials-ecluse` does'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "kubelet-credential" -d 'Answer the kubelet\'s image credential provider protocol (credentialprovider.kubelet.k8s.io/v1), as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "kubelet-config" -d 'Print a kubelet CredentialProviderConfig (YAML) for the targets\' registries, for the node\'s administrator to install (nothing is written)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "install" -d 'Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "completions" -d 'Print a shell completion script'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "generate-docs" -d 'Internal: regenerate completions/ and man/ under DIR from this definition'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "background-refresh" -d 'Internal: the detached process that refreshes a due token'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and not __fish_seen_subcommand_from token init status refresh clear exec npmrc kube-credential keyring git-credential docker-credential setup doctor goauth bazel-credential terraform-credentials kubelet-credential kubelet-config install completions generate-docs background-refresh help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ecluse-cred -n "__fish_ecluse_cred_using_subcommand help; and __fish_seen_subcommand_from install" -f -a "shims" -d 'Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse'
