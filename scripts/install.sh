#!/bin/sh
# Installs ecluse-cred from the release archive this script came in, under a prefix, without
# root (scripts/release.sh puts it at the archive's top; docs/packaging.md).
#
#   ./install.sh [--prefix DIR]      install (DIR defaults to $HOME/.local)
#   ./install.sh [--prefix DIR] --uninstall
#                                    remove exactly what an install under DIR put there
#
# Installs DIR/bin/ecluse-cred and DIR/bin/ecluse-cred-mint (kept together: ecluse-cred runs the
# helper from its own directory), the client shims in DIR/lib/ecluse-cred/bin (symlinks to
# ecluse-cred; `ecluse-cred setup CLIENT` links what a client needs onto your PATH), the man
# pages in DIR/share/man/man1, shell completions and docs under DIR/share. The list of what it
# installed, and of the directories it made, is kept in DIR/lib/ecluse-cred/installed, which
# --uninstall reads: files of yours are never touched.
set -eu

prefix=${HOME:+$HOME/.local}
uninstall=
while [ $# -gt 0 ]; do
    case "$1" in
    --prefix)
        [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
        prefix=$2
        shift 2
        ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "install.sh: HOME is not set: pass --prefix DIR" >&2; exit 2; }
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
record=$prefix/lib/ecluse-cred/installed

if [ -n "$uninstall" ]; then
    [ -f "$record" ] || { echo "install.sh: nothing installed under $prefix ($record is missing)" >&2; exit 1; }
    # Files and links first, then the directories the install made, deepest first, if empty.
    while IFS= read -r line; do
        case "$line" in "f "*) rm -f "$prefix/${line#f }" ;; esac
    done <"$record"
    made=$(sed -n 's/^d //p' "$record.dirs" 2>/dev/null | sort -r)
    rm -f "$record" "$record.dirs"
    printf '%s\n' "$made" | while IFS= read -r dir; do
        [ -z "$dir" ] || rmdir "$prefix/$dir" 2>/dev/null || true
    done
    echo "removed ecluse-cred from $prefix"
    exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/bin/ecluse-cred" ] || { echo "install.sh: run it from the unpacked release archive ($here/bin/ecluse-cred is missing)" >&2; exit 1; }

# What the archive holds, relative to its top: files and symlinks under bin, lib and share.
list=$(cd "$here" && find bin lib share \( -type f -o -type l \) | sort)

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
    # Replaced atomically, so a client running the old executable meanwhile is not cut off.
    rm -f "$dest.new.$$"
    cp -RP "$here/$f" "$dest.new.$$"
    mv -f "$dest.new.$$" "$dest"
    echo "f $f" >>"$record.new"
done
mv -f "$record.new" "$record"

version=$("$prefix/bin/ecluse-cred" --version 2>/dev/null || echo ecluse-cred)
echo "installed $version under $prefix ($(wc -l <"$record") files; --uninstall removes them)"
case ":${PATH:-}:" in
*":$prefix/bin:"*) ;;
*) echo "$prefix/bin is not on PATH: add \`export PATH=\"$prefix/bin:\$PATH\"\` to your shell profile" ;;
esac
echo "client shims: $prefix/lib/ecluse-cred/bin (\`ecluse-cred setup CLIENT\` links what a client needs)"
echo "man pages: $prefix/share/man (man finds them when $prefix/bin is on PATH)"
