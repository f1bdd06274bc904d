#!/usr/bin/env bash
# Builds what a user installs without a Rust toolchain, into target/dist/ (CARGO_TARGET_DIR/dist):
#
#   ecluse-cred_VERSION-1_amd64.deb                            the Debian package (cargo-deb,
#                                                              from [package.metadata.deb])
#   ecluse-cred-VERSION-x86_64-unknown-linux-gnu.tar.gz        the same files under one top-level
#                                                              directory, with install.sh
#   ecluse-cred-VERSION-x86_64-unknown-linux-gnu.tar.gz.sha256 for `sha256sum -c`
#   lintian.txt                                                lintian's say on the .deb
#
# and checks that every crate of the workspace would publish (`cargo publish --workspace
# --dry-run --locked`, in dependency order). Layout and reasons: docs/packaging.md; the proof
# that both install on a fresh Debian: tests/dist/debian.sh.
#
# Usage: scripts/release.sh [--allow-dirty] [--no-publish-check]
#   --allow-dirty       let the publish check run on uncommitted changes (a developer's tree)
#   --no-publish-check  build the .deb and the archive only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

allow_dirty=()
publish_check=1
for arg in "$@"; do
    case "$arg" in
    --allow-dirty) allow_dirty=(--allow-dirty) ;;
    --no-publish-check) publish_check= ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "release.sh: unknown argument $arg (see --help)" >&2
        exit 2
        ;;
    esac
done

# The cargo-deb this script installs (and only this one: a newer one may package differently).
CARGO_DEB_VERSION=3.8.0
TRIPLE=x86_64-unknown-linux-gnu

target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target=$root/$target ;; esac
dist=$target/dist
tools=$target/dist-tools
pkgid=$(cargo pkgid --locked -p ecluse-cred)
version=${pkgid##*[#@]}
name=ecluse-cred-$version-$TRIPLE
say() { printf '== release: %s\n' "$*"; }
secs() { echo "$(($(date +%s) - $1))s"; }

# 1. Both executables, as `cargo install` would build them (the release profile: fat LTO).
start=$(date +%s)
say "cargo build --release --locked (ecluse-cred, ecluse-cred-mint)"
cargo build --release --locked -p ecluse-cred -p ecluse-cred-mint
say "release build: $(secs "$start")"

# 2. cargo-deb, pinned, from crates.io into target/dist-tools (built in cargo's own temporary
#    directory, not the project's target directory).
cargo_deb=$tools/bin/cargo-deb
if ! "$cargo_deb" --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
    start=$(date +%s)
    say "cargo install cargo-deb@$CARGO_DEB_VERSION into $tools"
    env -u CARGO_TARGET_DIR cargo install --locked --quiet --root "$tools" "cargo-deb@$CARGO_DEB_VERSION"
    say "cargo-deb install: $(secs "$start")"
fi

# 3. The .deb, from the artifacts of step 1 (cargo-deb strips them and gzips the man pages).
rm -rf "$dist"
mkdir -p "$dist"
say "cargo deb -p ecluse-cred --no-build"
"$cargo_deb" -p ecluse-cred --no-build --locked --output "$dist/"
deb=$(ls "$dist"/ecluse-cred_"$version"-*_amd64.deb)

# The shims the package carries are the names `ecluse-cred install shims` makes: a client
# name added in src/shims.rs and not to [package.metadata.deb] fails here.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$target/release/ecluse-cred" install shims "$scratch/shims" >/dev/null
want=$(ls "$scratch/shims" | sort)
have=$(dpkg-deb -c "$deb" | awk '$NF != "" && $(NF-2) ~ /usr\/lib\/ecluse-cred\/bin\// { n = $(NF-2); sub(/.*\//, "", n); print n }' | sort)
if [ "$want" != "$have" ]; then
    echo "release.sh: the .deb's shims in /usr/lib/ecluse-cred/bin differ from \`ecluse-cred install shims\`:" >&2
    diff <(echo "$want") <(echo "$have") >&2 || true
    echo "(edit the assets of [package.metadata.deb] in Cargo.toml)" >&2
    exit 1
fi

# 4. Lintian, when installed (tests/tools/install-debian-tools.sh installs it): its output is
#    kept in lintian.txt; an error that no override in debian/lintian-overrides explains fails.
if command -v lintian >/dev/null; then
    say "lintian $(basename "$deb")"
    # As root it says running as root is not recommended: it only reads the file here.
    # Exit 1 is "tags found" (judged below); anything else is lintian failing to run.
    rc=0
    lintian --info --display-info --show-overrides "$deb" >"$dist/lintian.raw" 2>&1 || rc=$?
    grep -v 'running with root privileges' "$dist/lintian.raw" >"$dist/lintian.txt" || true
    rm -f "$dist/lintian.raw"
    if [ "$rc" -gt 1 ]; then
        cat "$dist/lintian.txt" >&2
        echo "release.sh: lintian failed to run (exit $rc)" >&2
        exit 1
    fi
    # The tags (E error, W warning, I info, O overridden: debian/lintian-overrides says why).
    grep -E '^[EWIPXO]: ' "$dist/lintian.txt" | sed 's/^/   /' || echo "   no tags"
    if grep -q '^E: ' "$dist/lintian.txt"; then
        echo "release.sh: lintian reports errors (above): fix them or explain each in debian/lintian-overrides" >&2
        exit 1
    fi
else
    say "lintian not installed: not checked (apt-get install lintian)"
fi

# 5. The release archive: the .deb's files (the same stripped binaries, the same gzipped man
#    pages) with /usr as the archive's top directory, the licenses and the install script.
say "$name.tar.gz"
dpkg-deb -x "$deb" "$scratch/deb"
stage=$scratch/stage/$name
mkdir -p "$stage"
cp -RP "$scratch/deb/usr/." "$stage/"
rm -rf "$stage/share/lintian"
cp LICENSE-MIT LICENSE-APACHE "$stage/share/doc/ecluse-cred/"
cp scripts/install.sh "$stage/install.sh"
chmod 755 "$stage/install.sh"
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar -C "$scratch/stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --mode=go-w \
    -cf - "$name" | gzip -9n >"$dist/$name.tar.gz"
(cd "$dist" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256" && sha256sum -c --quiet "$name.tar.gz.sha256")

# 6. Every crate publishable, in dependency order (a new workspace member is picked up as is).
if [ -n "$publish_check" ]; then
    start=$(date +%s)
    say "cargo publish --workspace --dry-run --locked ${allow_dirty[*]}"
    cargo publish --workspace --dry-run --locked "${allow_dirty[@]}"
    say "publish check: $(secs "$start")"
fi

say "built in $dist:"
(cd "$dist" && ls -l -- *.deb *.tar.gz *.sha256 | sed 's/^/   /')
