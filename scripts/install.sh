#!/bin/sh
# Installs ecluse-cred from the release archive this script came in, under a prefix, without
# root (scripts/release.sh puts it at the archive's top; docs/packaging.md).
#
#   ./install.sh [--prefix DIR] [--force]
#                                    install (DIR defaults to $HOME/.local); --force replaces
#                                    files already there that an earlier install did not put
#   ./install.sh [--prefix DIR] --uninstall
#                                    remove exactly what an install under DIR put there
#
# Installs DIR/bin/ecluse-cred and DIR/bin/ecluse-cred-mint (kept together: ecluse-cred runs the
# helper from its own directory), the client shims in DIR/lib/ecluse-cred/bin (symlinks to
# ecluse-cred; `ecluse-cred setup CLIENT` links what a client needs onto your PATH), the man
# pages in DIR/share/man/man1, shell completions and docs under DIR/share. The list of what it
# installed, and of the directories it made, is kept in DIR/lib/ecluse-cred/installed, which
# --uninstall and the next install read. A file of yours in the way is not replaced (unless
# --force); a file the previous install put there and this one does not have is removed.
set -eu
# Nothing this script makes is writable by others: the executable handles every token.
umask 022

prefix=${HOME:+$HOME/.local}
uninstall=
force=
while [ $# -gt 0 ]; do
    case "$1" in
    --prefix)
        [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
        prefix=$2
        shift 2
        ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    --force) force=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "install.sh: HOME is not set: pass --prefix DIR" >&2; exit 2; }
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
record=$prefix/lib/ecluse-cred/installed

# Whether a recorded path is one an install writes: under bin/, lib/ecluse-cred/ or share/,
# relative, without `..`, and one line. A record edited to name anything else is not obeyed.
ours() {
    case "$1" in
    /* | *..* | *'
'*) return 1 ;;
    bin/* | lib/ecluse-cred/* | share/*) return 0 ;;
    *) return 1 ;;
    esac
}

# The files the record at $record lists (the paths after "f "), one per line.
recorded() {
    [ ! -f "$record" ] || sed -n 's/^f //p' "$record"
}

# Removes the recorded file $1 (relative to the prefix): only a file or a symlink.
remove() {
    if ! ours "$1"; then
        echo "install.sh: not removing $1: not a path an install writes (edited record?)" >&2
    elif [ -L "$prefix/$1" ] || [ -f "$prefix/$1" ]; then
        rm -f "$prefix/$1"
    fi
}

if [ -n "$uninstall" ]; then
    [ -f "$record" ] || { echo "install.sh: nothing installed under $prefix ($record is missing)" >&2; exit 1; }
    # Files and links first, then the directories the install made, deepest first, if empty.
    recorded | while IFS= read -r f; do remove "$f"; done
    made=$(sed -n 's/^d //p' "$record.dirs" 2>/dev/null | sort -r)
    rm -f "$record" "$record.dirs"
    printf '%s\n' "$made" | while IFS= read -r dir; do
        case "$dir" in
        bin | lib | share) ;;
        *) ours "$dir/" || continue ;;
        esac
        rmdir "$prefix/$dir" 2>/dev/null || true
    done
    echo "removed ecluse-cred from $prefix"
    exit 0
fi

here=$(CDPATH='' cd -P -- "$(dirname -- "$0")" && pwd)
[ -x "$here/bin/ecluse-cred" ] || { echo "install.sh: run it from the unpacked release archive ($here/bin/ecluse-cred is missing)" >&2; exit 1; }
# The unpacked archive must be the user's own: files another user could swap before the copy
# would become the user's credential helper.
if [ -n "$(find "$here" -maxdepth 0 \( ! -user "$(id -u)" -o -perm -g+w -o -perm -o+w \))" ]; then
    echo "install.sh: $here is not yours alone (another user owns it or may write it): unpack the archive in a directory of your own" >&2
    exit 1
fi

# What the archive holds, relative to its top: files and symlinks under bin, lib and share.
list=$(cd "$here" && find bin lib share \( -type f -o -type l \) | sort)
before=$(recorded)

# A path in the way that no earlier install put there is the user's: not replaced silently.
in_the_way=$(printf '%s\n' "$list" | while IFS= read -r f; do
    if { [ -e "$prefix/$f" ] || [ -L "$prefix/$f" ]; } && ! printf '%s\n' "$before" | grep -qxF -- "$f"; then
        echo "$prefix/$f"
    fi
done)
if [ -n "$in_the_way" ] && [ -z "$force" ]; then
    echo "install.sh: these are already there and no earlier install under $prefix put them there:" >&2
    printf '%s\n' "$in_the_way" | sed 's/^/  /' >&2
    echo "install.sh: move them away, or pass --force to replace them" >&2
    exit 1
fi

dirs=$(printf '%s\n' "$list" | sed -n 's|/[^/]*$||p' | sort -u)
# Every directory on the way, shallowest first: those missing are made and recorded (the
# record itself goes into lib/ecluse-cred, one of them).
made=
for dir in $(printf '%s\n' "$dirs" | awk -F/ '{ p = ""; for (i = 1; i <= NF; i++) { p = p (i > 1 ? "/" : "") $i; print p } }' | sort -u); do
    if [ ! -d "$prefix/$dir" ]; then
        mkdir -p "$prefix/$dir"
        made="$made
d $dir"
    fi
done
: >"$record.new"
{ [ ! -f "$record.dirs" ] || cat "$record.dirs"; printf '%s\n' "$made"; } | sed '/^$/d' | sort -u >"$record.dirs.new"
mv -f "$record.dirs.new" "$record.dirs"
printf '%s\n' "$list" | while IFS= read -r f; do
    dest=$prefix/$f
    # Replaced atomically, so a client running the old executable meanwhile is not cut off;
    # a symlink to a directory in the way is removed first (a rename would go into it).
    if [ -L "$dest" ] && [ -d "$dest" ]; then rm -f "$dest"; fi
    rm -f "$dest.new.$$"
    cp -RP "$here/$f" "$dest.new.$$"
    mv -f "$dest.new.$$" "$dest"
    echo "f $f" >>"$record.new"
done
mv -f "$record.new" "$record"
# What the previous install put there and this archive no longer has.
printf '%s\n' "$before" | while IFS= read -r f; do
    [ -z "$f" ] || printf '%s\n' "$list" | grep -qxF -- "$f" || remove "$f"
done

version=$("$prefix/bin/ecluse-cred" --version 2>/dev/null || echo ecluse-cred)
echo "installed $version under $prefix ($(wc -l <"$record") files; --uninstall removes them)"
case ":${PATH:-}:" in
*":$prefix/bin:"*) ;;
*) echo "$prefix/bin is not on PATH: add \`export PATH=\"$prefix/bin:\$PATH\"\` to your shell profile" ;;
esac
echo "client shims: $prefix/lib/ecluse-cred/bin (\`ecluse-cred setup CLIENT\` links what a client needs)"
echo "man pages: $prefix/share/man (man finds them when $prefix/bin is on PATH)"
