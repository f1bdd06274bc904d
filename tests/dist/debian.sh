#!/usr/bin/env bash
# The packaging proof (docs/packaging.md): the .deb and the release archive that
# scripts/release.sh left in target/dist/ are installed on a freshly bootstrapped, minimal
# Debian bookworm (debootstrap into a directory, entered with chroot), and used there as a new
# user uses them, with a fresh HOME and nothing of the build machine:
#
#   alice, from the .deb (`apt install ./ecluse-cred_*.deb`):
#     - the README's quick start, its first block as written (`ecluse-cred init && ecluse-cred
#       token --target demo`);
#     - the README's second block (a target, `setup pip`, `pip install NAME`) with the reader's
#       values filled in: a mint printing a known token and a loopback index that takes only
#       that token; pip is Debian's own (python3-pip 23.0.1), after a refused attempt without
#       the token;
#     - `doctor`, and a cached `token` with HOME unset (the static binary finds the home
#       directory through NSS, on a system it was not built on);
#     - `apt remove`, then `dpkg -i` and `apt purge`: nothing of the package is left, only
#       alice's own files;
#   bob, from the archive (sha256sum -c, tar, ./install.sh into ~/.local): the same checks,
#   then `install.sh --uninstall`.
#
# Needs root, debootstrap and Debian's mirror; skips ("SKIP: why") without them, unless
# ECLUSE_TEST_REQUIRE names `debootstrap` (as .ci/run does): then a missing one fails.
# The debootstrap download is cached in target/dist-cache/ (the .debs of a minimal bookworm);
# the system is unpacked and configured anew on every run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target=$root/$target ;; esac
dist=$target/dist
SUITE=bookworm
MIRROR=${ECLUSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
started=$(date +%s)

required() { printf ' %s ' "${ECLUSE_TEST_REQUIRE:-}" | tr ',\t\n' '   ' | grep -Eq ' (debootstrap|all) '; }
skip() {
    if required; then
        echo "FAIL: tests/dist/debian.sh: $1 (ECLUSE_TEST_REQUIRE names debootstrap)" >&2
        exit 1
    fi
    echo "SKIP: tests/dist/debian.sh: $1"
    exit 0
}
[ "$(id -u)" = 0 ] || skip "not root (debootstrap and chroot need root)"
debootstrap=$(command -v debootstrap || { [ -x /usr/sbin/debootstrap ] && echo /usr/sbin/debootstrap; }) ||
    skip "no debootstrap (as root: apt-get install debootstrap, or bash tests/tools/install-debian-tools.sh)"
command -v python3 >/dev/null || skip "no python3 for the loopback index"
host=${MIRROR#*://}
host=${host%%/*}
timeout 20 bash -c "exec 3<>/dev/tcp/$host/80" 2>/dev/null || skip "Debian's mirror $MIRROR is not reachable"

deb=$(ls "$dist"/ecluse-cred_*_amd64.deb 2>/dev/null | head -n1)
archive=$(ls "$dist"/ecluse-cred-*-x86_64-unknown-linux-gnu.tar.gz 2>/dev/null | head -n1)
if [ -z "$deb" ] || [ -z "$archive" ]; then
    echo "FAIL: no .deb or archive in $dist: run scripts/release.sh first" >&2
    exit 1
fi

mkdir -p "$target/dist-cache"
work=$(mktemp -d "$target/debian-proof.XXXXXX")
R=$work/root
server=
# Everything this script prints is also in out.log, which is searched for the token at the end.
exec 3>&1 4>&2
exec > >(tee "$work/out.log") 2>&1
tee_pid=$!

cleanup() {
    local rc=$?
    set +e
    [ -z "$server" ] || kill "$server" 2>/dev/null
    # Unmount everything under the chroot before anything is removed: the two this script
    # mounts by name (findmnt escapes a space in a path), then anything else found there.
    for m in "$R/dev/pts" "$R/proc"; do
        ! mountpoint -q "$m" 2>/dev/null || umount "$m" || umount -l "$m"
    done
    for m in $(findmnt -rn -o TARGET | grep -F "$R/" | sort -r); do
        umount "$m" || umount -l "$m"
    done
    if findmnt -rn -o TARGET | grep -qF "$R/"; then
        echo "debian.sh: still mounted under $R: left in place" >&2
    elif [ -z "${ECLUSE_KEEP_CHROOT:-}" ]; then
        rm -rf --one-file-system "$work"
    else
        echo "debian.sh: kept $work (ECLUSE_KEEP_CHROOT)"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== debian: %s\n' "$*"; }
fail() {
    echo "FAIL: tests/dist/debian.sh: $*" >&2
    exit 1
}
secs() { echo "$(($(date +%s) - $1))s"; }
# A root command inside the chroot.
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# 1. A minimal bookworm. The .debs debootstrap downloads are cached (`--make-tarball`); the
#    system is unpacked and configured from them anew every time (`--unpack-tarball`).
tarball=$target/dist-cache/$SUITE-minbase.tgz
start=$(date +%s)
if [ ! -s "$tarball" ]; then
    say "debootstrap --make-tarball (downloading a minimal $SUITE from $MIRROR)"
    "$debootstrap" --variant=minbase --make-tarball="$tarball.new" "$SUITE" "$work/download" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log"; fail "debootstrap --make-tarball failed"; }
    mv "$tarball.new" "$tarball"
    rm -rf "$work/download"
    say "download: $(secs "$start")"
fi
start=$(date +%s)
"$debootstrap" --variant=minbase --unpack-tarball="$tarball" "$SUITE" "$R" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log"; fail "debootstrap failed"; }
say "bootstrap of a minimal $SUITE: $(secs "$start")"
mount -t proc proc "$R/proc"
# A devpts of its own (a new instance: the host's ptys are not seen), for apt's log.
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"

start=$(date +%s)
in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get update failed"; }
# Debian's own pip (python3-pip), as a user of the package has it; not python3-keyring.
in_root apt-get install -y -q --no-install-recommends python3-pip >>"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log"; fail "apt-get install python3-pip failed"; }
say "python3-pip installed: $(in_root pip --version | cut -d' ' -f1,2) ($(secs "$start"))"
in_root python3 -c 'import keyring' 2>/dev/null && fail "python3-keyring is installed: pip would not run the keyring shim"
in_root useradd --create-home --shell /bin/sh alice
in_root useradd --create-home --shell /bin/sh bob

# The token the test's mint prints, and the index that takes only it.
token=ecluse-test-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s\n' "$token" >"$work/token")
python3 "$root/tests/dist/index.py" "$work" token >"$work/index.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the loopback index did not start: $(cat "$work/index.log")"
index=http://127.0.0.1:$(cat "$work/port")/simple/

# The README's two Quick start blocks (its first block as written, bar `cargo install`).
readme_block() {
    python3 - "$root/README.md" "$1" <<'PY'
import sys
quick = open(sys.argv[1]).read().split("## Quick start", 1)[1].split("\n## ", 1)[0]
blocks = [b.split("```", 1)[0] for b in quick.split("```sh\n")[1:]]
print(blocks[int(sys.argv[2])].strip())
PY
}
quick_first=$(readme_block 0 | sed 's/ && /\n/g' | grep -v '^cargo install' | paste -sd'&' | sed 's/&/ \&\& /g')
[ "$quick_first" = "ecluse-cred init && ecluse-cred token --target demo" ] ||
    fail "the README's quick start changed: '$quick_first' (update this test)"
quick_second=$(readme_block 1)
grep -q 'pip install NAME' <<<"$quick_second" || fail "the README's second block has no 'pip install NAME'"

# A command as USER, with a fresh environment: HOME, and a PATH naming ~/.local/bin first (as
# Debian's ~/.profile does once it exists). `-` as HOME leaves HOME unset.
as_user() {
    local user=$1 home=$2
    shift 2
    local uid gid
    uid=$(in_root id -u "$user")
    gid=$(in_root id -g "$user")
    local env=(PATH="/home/$user/.local/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 USER="$user" LOGNAME="$user")
    [ "$home" = - ] || env+=(HOME="$home")
    chroot --userspec="$uid:$gid" --groups="$gid" "$R" env -i "${env[@]}" sh -c "cd /home/$user && $*"
}

# The checks both installs get, as USER whose ecluse-cred is EXE.
exercise() {
    local user=$1 exe=$2
    local home=/home/$user out
    [ "$(as_user "$user" "$home" 'command -v ecluse-cred')" = "$exe" ] || fail "$user: ecluse-cred on PATH is not $exe"
    as_user "$user" "$home" 'ecluse-cred --version && ecluse-cred-mint --version' | sed 's/^/   /'

    # The quick start.
    out=$(as_user "$user" "$home" "$quick_first" 2>"$work/$user.err") || { cat "$work/$user.err"; fail "$user: the quick start failed"; }
    case "$(tail -n1 <<<"$out")" in demo-*) ;; *) fail "$user: the quick start printed no demo token: $out" ;; esac
    say "$user: quick start ($quick_first): a demo- token"

    # Without the token the index refuses (and logs it).
    : >"$work/requests.log"
    if as_user "$user" "$home" "pip install --no-input --target \$HOME/refused --index-url $index ecluse-demo" >"$work/$user.refused" 2>&1; then
        fail "$user: pip installed without a token"
    fi
    grep -q ' auth=none 401$' "$work/requests.log" || fail "$user: the index saw no unauthenticated request: $(cat "$work/requests.log")"
    say "$user: pip without the token: refused (401)"

    # The second block: a target whose mint prints the known token, setup pip, pip install.
    install -o "$(in_root id -u "$user")" -g "$(in_root id -g "$user")" -m 700 /dev/null "$R$home/mint-token"
    cat >"$R$home/mint-token" <<END
#!/bin/sh
echo mint >>$home/mints
printf '{"token": "%s", "expires_in": 3600}' '$token'
END
    local second=${quick_second//\/usr\/local\/bin\/mint-token/$home/mint-token}
    second=${second//https:\/\/pkgs.example.com\/pypi\/simple\//$index}
    second=${second//pip install NAME/pip install --target \$HOME/site ecluse-demo}
    : >"$work/requests.log"
    as_user "$user" "$home" "set -e
$second" >"$work/$user.pip" 2>&1 || { cat "$work/$user.pip"; cat "$work/requests.log"; fail "$user: setup pip + pip install failed"; }
    sed 's/^/   /' "$work/$user.pip"
    grep -q 'installed through ecluse-cred' "$R$home/site/ecluse_demo/__init__.py" || fail "$user: ecluse-demo not installed"
    grep -q '^GET /files/ecluse_demo-1.0-py3-none-any.whl auth=ok 200$' "$work/requests.log" ||
        fail "$user: no authenticated download: $(cat "$work/requests.log")"
    grep -Eq ' auth=(none|user-only) 401$' "$work/requests.log" ||
        fail "$user: pip's first, credential-less request was not refused: $(cat "$work/requests.log")"
    say "$user: setup pip, then a plain pip install ($(as_user "$user" "$home" 'pip --version' | cut -d' ' -f1,2)): the index saw $(grep -c 'auth=ok 200' "$work/requests.log") authenticated request(s), $(grep -c ' 401$' "$work/requests.log") refused"
    grep -q 'keyring' "$R$home/.config/pip/pip.conf" || fail "$user: no pip.conf"

    # doctor: what it says about this setup.
    local rc=0
    as_user "$user" "$home" 'ecluse-cred doctor --target build' >"$work/$user.doctor" 2>&1 || rc=$?
    sed 's/^/   /' "$work/$user.doctor"
    say "$user: doctor --target build exited $rc"
    [ "$rc" = 0 ] || fail "$user: doctor failed"
    # Debian 12's pip 23.0 predates keyring-provider: a warning, saying when it runs the shim.
    grep -q '^warn  client pip.*pip 23.0' "$work/$user.doctor" || fail "$user: doctor did not warn of pip 23.0"

    # A cached token with HOME unset: the cache found through the user database, no mint.
    local mints
    mints=$(wc -l <"$R$home/mints")
    out=$(as_user "$user" - 'ecluse-cred -v token --target build' 2>"$work/$user.nohome") ||
        { cat "$work/$user.nohome"; fail "$user: token with HOME unset failed"; }
    [ "$out" = "$token" ] || fail "$user: token with HOME unset is not the cached one"
    [ "$(wc -l <"$R$home/mints")" = "$mints" ] || fail "$user: token with HOME unset minted again"
    say "$user: token with HOME unset: the cached token, no mint ($(grep -m1 -io 'cache[^,;]*' "$work/$user.nohome" || echo served))"
}

# 2. The .deb, with apt, for alice.
start=$(date +%s)
cp "$deb" "$R/tmp/"
in_root apt-get install -y -q "/tmp/$(basename "$deb")" >"$work/apt-deb.log" 2>&1 ||
    { cat "$work/apt-deb.log"; fail "apt install ./$(basename "$deb") failed"; }
say "apt install ./$(basename "$deb"): $(secs "$start")"
in_root dpkg -L ecluse-cred >"$work/dpkg-L"
for f in /usr/bin/ecluse-cred /usr/bin/ecluse-cred-mint /usr/lib/ecluse-cred/bin/keyring \
    /usr/share/man/man1/ecluse-cred.1.gz /usr/share/bash-completion/completions/ecluse-cred \
    /usr/share/zsh/vendor-completions/_ecluse-cred /usr/share/fish/vendor_completions.d/ecluse-cred.fish \
    /usr/share/doc/ecluse-cred/copyright /usr/share/doc/ecluse-cred/changelog.Debian.gz; do
    grep -qx "$f" "$work/dpkg-L" || fail "the package has no $f"
done
[ ! -e "$R/usr/bin/keyring" ] || fail "/usr/bin/keyring exists: it would shadow python3-keyring"
[ "$(readlink -f "$R/usr/lib/ecluse-cred/bin/kubelet-credential-ecluse")" = "$R/usr/bin/ecluse-cred" ] || fail "the shims do not point at /usr/bin/ecluse-cred"
in_root man -w ecluse-cred >/dev/null 2>&1 || [ -f "$R/usr/share/man/man1/ecluse-cred-token.1.gz" ] || fail "no man pages"
exercise alice /usr/bin/ecluse-cred

# 3. Removal: apt remove; dpkg -i, then apt purge; nothing of the package left.
left_of_package() {
    local f left=
    # Directories other packages share (/usr/bin, /usr/share/man/man1, ...) stay.
    while IFS= read -r f; do
        if [ -d "$R$f" ] && [ ! -L "$R$f" ] && [ "${f#*ecluse}" = "$f" ]; then continue; fi
        if [ -e "$R$f" ] || [ -L "$R$f" ]; then left="$left $f"; fi
    done <"$work/dpkg-L"
    [ -z "$left" ] || fail "left after $1:$left"
    [ ! -e "$R/usr/lib/ecluse-cred" ] || fail "/usr/lib/ecluse-cred left after $1"
}
in_root apt-get remove -y -q ecluse-cred >"$work/apt-rm.log" 2>&1 || { cat "$work/apt-rm.log"; fail "apt remove failed"; }
left_of_package "apt remove"
# The package has no conffiles, so `apt remove` already left dpkg nothing to purge: purge is
# proven on a fresh install (dpkg -i this time).
[ "$(in_root dpkg-query -W -f='${db:Status-Status}' ecluse-cred 2>/dev/null || echo not-installed)" = not-installed ] ||
    fail "dpkg still knows ecluse-cred after apt remove: $(in_root dpkg-query -W -f='${db:Status-Status}' ecluse-cred)"
in_root dpkg -i "/tmp/$(basename "$deb")" >>"$work/apt-rm.log" 2>&1 || { cat "$work/apt-rm.log"; fail "dpkg -i failed"; }
[ -x "$R/usr/bin/ecluse-cred" ] || fail "dpkg -i installed no /usr/bin/ecluse-cred"
in_root apt-get purge -y -q ecluse-cred >>"$work/apt-rm.log" 2>&1 || { cat "$work/apt-rm.log"; fail "apt purge failed"; }
left_of_package "dpkg -i, apt purge"
rm -f "$R/tmp/$(basename "$deb")"
# Every name with "ecluse" in the system: only alice's own files (her config, cache, the shim
# setup linked and what pip installed) and the log lines dpkg and apt keep by design (their
# logs name the package inside, not in a file name, so none are expected here).
find "$R" -xdev -iname '*ecluse*' | sed "s|^$R||" | sort >"$work/left"
grep -v '^/home/alice/' "$work/left" >"$work/left-outside" || true
if [ -s "$work/left-outside" ]; then
    cat "$work/left-outside"
    fail "left outside alice's home after the purge (above)"
fi
say "removed: every path of dpkg -L gone after apt remove, and after dpkg -i then apt purge; $(wc -l <"$work/left") 'ecluse' name(s) left, all under /home/alice: $(sed 's|^/home/alice/||' "$work/left" | paste -sd' ')"

# 4. The archive, for bob, with its install script into ~/.local.
start=$(date +%s)
name=$(basename "$archive" .tar.gz)
cp "$archive" "$archive.sha256" "$R/home/bob/"
chroot "$R" chown "bob:bob" "/home/bob/$name.tar.gz" "/home/bob/$name.tar.gz.sha256"
as_user bob /home/bob "umask 002 && sha256sum -c $name.tar.gz.sha256 && tar xzf $name.tar.gz && ./$name/install.sh" | sed 's/^/   /'
say "bob: sha256sum -c, tar xzf, ./$name/install.sh: $(secs "$start")"
[ -x "$R/home/bob/.local/bin/ecluse-cred-mint" ] || fail "bob: no ~/.local/bin/ecluse-cred-mint"
[ -L "$R/home/bob/.local/lib/ecluse-cred/bin/keyring" ] || fail "bob: no shims"
[ -f "$R/home/bob/.local/share/man/man1/ecluse-cred.1.gz" ] || fail "bob: no man page"
# Nothing it made is writable by others, whatever bob's umask was (002 here).
writable=$(find "$R/home/bob/.local" ! -type l \( -perm -g+w -o -perm -o+w \))
[ -z "$writable" ] || fail "bob: writable by others after install.sh: $writable"
# A file of bob's own in the way is not replaced without --force; with it, it is.
as_user bob /home/bob "rm .local/share/doc/ecluse-cred/README.md && sed -i '/README.md/d' .local/lib/ecluse-cred/installed && echo mine >.local/share/doc/ecluse-cred/README.md"
if as_user bob /home/bob "./$name/install.sh" >"$work/bob.again" 2>&1; then
    cat "$work/bob.again"
    fail "bob: install.sh replaced a file of bob's own without --force"
fi
grep -q 'pass --force to replace them' "$work/bob.again" || { cat "$work/bob.again"; fail "bob: install.sh did not say why it stopped"; }
[ "$(cat "$R/home/bob/.local/share/doc/ecluse-cred/README.md")" = mine ] || fail "bob: his file changed"
as_user bob /home/bob "./$name/install.sh --force" >/dev/null
cmp -s "$R/home/bob/.local/share/doc/ecluse-cred/README.md" "$R/home/bob/$name/share/doc/ecluse-cred/README.md" ||
    fail "bob: --force did not replace the file"
say "bob: install.sh: nothing writable by others under umask 002; a file of bob's in the way refused, replaced with --force"
exercise bob /home/bob/.local/bin/ecluse-cred
as_user bob /home/bob "./$name/install.sh --uninstall" | sed 's/^/   /'
while IFS= read -r f; do
    if [ -e "$R/home/bob/.local/$f" ] || [ -L "$R/home/bob/.local/$f" ]; then fail "bob: $f left after --uninstall"; fi
done < <(cd "$R/home/bob/$name" && find bin lib share \( -type f -o -type l \))
[ ! -e "$R/home/bob/.local/lib/ecluse-cred" ] || fail "bob: ~/.local/lib/ecluse-cred left after --uninstall"
empty=$(cd "$R/home/bob/.local" && find . -mindepth 1 -type d -empty)
[ -z "$empty" ] || fail "bob: empty directories left in ~/.local after --uninstall: $empty"
left=$(cd "$R/home/bob/.local" && find . \( -type f -o -type l \) | sort | paste -sd' ')
say "bob: install.sh --uninstall: every file and directory of the archive gone from ~/.local; left there: ${left:-nothing} (what setup pip made: the keyring link and setup's record)"

# 5. The token never in this script's output, nor in what the users' commands printed
#    (each kept in $work: their stderr at -v among them), whatever was shown of it above.
say "whole proof: $(secs "$started")"
exec 1>&3 2>&4
wait "$tee_pid" 2>/dev/null || true
if grep -qF "$token" "$work/out.log"; then
    echo "FAIL: tests/dist/debian.sh: the token is in the output" >&2
    exit 1
fi
leaked=$(grep -rlF --exclude=token "$token" "$work" --exclude-dir=root 2>/dev/null || true)
if [ -n "$leaked" ]; then
    echo "FAIL: tests/dist/debian.sh: the token is in $leaked" >&2
    exit 1
fi
echo "debian: 1 passed, 0 failed"
