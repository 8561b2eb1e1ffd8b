#!/bin/sh
# cli_errors.sh — the `tryon` CLI on bad input: one-line errors, the documented
# exit codes (tools/cli.h), never a crash. Run by `make test-cli` with
# $TRYON = the CLI binary; POSIX sh (dash).
#
#   tests/corpus/bad/   malformed safetensors, PNG and .npy files; EXPECTED has
#                       `FILE EXIT_CODE SUBSTRING` per file. `tryon info FILE` must
#                       exit with EXIT_CODE (not by a signal), print nothing on
#                       stdout and exactly one stderr line that starts with
#                       "tryon: error:" and contains SUBSTRING.
#   tests/corpus/good/  small valid files: exit 0, SUBSTRING on stdout, stderr empty.
#   tests/corpus/COMMANDS  subcommand runs on corpus files (weights of another
#                       family, non-finite latents, bad inputs with valid weights):
#                       `EXIT|SUBSTRING|ARGS`, checked like bad/; words @bad/F,
#                       @good/F, @files/F, @tmp/F name corpus files, files of
#                       $FILES (build/fuzz-files/cli: tiny valid weights and inputs,
#                       tests/fuzz/make_files.sh) and scratch files. Lines that
#                       need $FILES are skipped, and counted, without it.
#   usage errors (exit 2), a missing file (3), a FIFO and a device (3, and no
#   hang), --help / --version (0).
#
# The corpus is written once by tests/corpus/make_bad.py and committed.
set -u

: "${TRYON:?set TRYON to the tryon binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tryon-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
OUT=$TMP/stdout
ERR=$TMP/stderr

fails=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# run ARGS...: runs $TRYON with stdout/stderr captured; sets rc.
run() {
    "$TRYON" "$@" >"$OUT" 2>"$ERR"
    rc=$?
    checks=$((checks + 1))
}

# A status above 128 is how sh reports a process killed by a signal
# (SIGSEGV 139, SIGABRT 134): never acceptable, whatever the expected code.
check_no_signal() {
    if [ "$rc" -gt 128 ]; then
        fail "$1: killed by signal $((rc - 128))"
        return 1
    fi
    return 0
}

# check_one_error WHAT SUBSTRING: stderr is one line "tryon: error: ...SUBSTRING...".
check_one_error() {
    # One newline in all, and it is the last byte: exactly one complete line.
    lines=$(wc -l <"$ERR")
    last_is_newline=$(tail -c 1 "$ERR" | wc -l)
    first=$(head -n 1 "$ERR")
    if [ "$lines" -ne 1 ] || [ "$last_is_newline" -ne 1 ]; then
        fail "$1: stderr is not exactly one line:"
        sed 's/^/    | /' "$ERR" >&2
        return
    fi
    case $first in
    "tryon: error: "*) ;;
    *) fail "$1: stderr does not start with 'tryon: error: ': $first" ;;
    esac
    case $first in
    *"$2"*) ;;
    *) fail "$1: stderr lacks '$2': $first" ;;
    esac
}

# check_corpus DIR: every file listed once in DIR/EXPECTED, every line checked.
check_corpus() {
    dir=$1
    n=0
    [ -f "$dir/EXPECTED" ] || { fail "$dir/EXPECTED missing"; return; }
    for f in "$dir"/*; do
        name=${f##*/}
        [ "$name" = EXPECTED ] && continue
        awk -v n="$name" '$1 == n { found = 1 } END { exit !found }' "$dir/EXPECTED" ||
            fail "$dir/$name is not listed in EXPECTED"
    done
    while read -r name code msg; do
        [ -n "$name" ] || continue
        n=$((n + 1))
        if [ ! -f "$dir/$name" ]; then
            fail "$dir/$name listed in EXPECTED but missing"
            continue
        fi
        run info "$dir/$name"
        check_no_signal "$name" || continue
        if [ "$rc" -ne "$code" ]; then
            fail "$name: exit $rc, expected $code; stderr: $(head -c 300 "$ERR")"
            continue
        fi
        if [ "$code" -eq 0 ]; then
            [ -s "$ERR" ] && fail "$name: valid file wrote to stderr: $(head -c 300 "$ERR")"
            grep -qF -- "$msg" "$OUT" || fail "$name: stdout lacks '$msg': $(head -c 300 "$OUT")"
        else
            [ -s "$OUT" ] && fail "$name: failing run wrote to stdout: $(head -c 300 "$OUT")"
            check_one_error "$name" "$msg"
        fi
    done <"$dir/EXPECTED"
    echo "  $dir: $n files"
    corpus_n=$n
}

check_corpus "$HERE/corpus/bad"
[ "$corpus_n" -ge 40 ] || fail "tests/corpus/bad holds only $corpus_n files (at least 40 wanted)"
check_corpus "$HERE/corpus/good"

# check_commands FILE: every EXIT|SUBSTRING|ARGS line of FILE.
check_commands() {
    table=$1
    n=0
    skipped=0
    while IFS='|' read -r code msg args; do
        case $code in '' | '#'*) continue ;; esac
        case " $args" in
        *" @files/"*)
            if [ -z "${FILES:-}" ] || [ ! -d "$FILES" ]; then
                skipped=$((skipped + 1))
                continue
            fi
            ;;
        esac
        set -f
        set --
        for w in $args; do
            case $w in
            @bad/*) w=$HERE/corpus/bad/${w#@bad/} ;;
            @good/*) w=$HERE/corpus/good/${w#@good/} ;;
            @files/*) w=$FILES/${w#@files/} ;;
            @tmp/*) w=$TMP/${w#@tmp/} ;;
            esac
            set -- "$@" "$w"
        done
        set +f
        n=$((n + 1))
        run "$@"
        check_no_signal "$args" || continue
        if [ "$rc" -ne "$code" ]; then
            fail "tryon $args: exit $rc, expected $code; stderr: $(head -c 300 "$ERR")"
            continue
        fi
        [ -s "$OUT" ] && fail "tryon $args: failing run wrote to stdout: $(head -c 300 "$OUT")"
        check_one_error "tryon $args" "$msg"
    done <"$table"
    echo "  $table: $n runs${skipped:+, $skipped skipped without \$FILES}"
}
check_commands "$HERE/corpus/COMMANDS"

# usage_error WHAT ARGS...: exit 2, not a signal, something on stderr, nothing on stdout.
usage_error() {
    what=$1
    shift
    run "$@"
    check_no_signal "$what" || return
    [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2 (usage)"
    [ -s "$ERR" ] || fail "$what: no message on stderr"
    [ -s "$OUT" ] && fail "$what: usage error wrote to stdout"
}

GOOD=$HERE/corpus/good/single.safetensors
usage_error "no command"
usage_error "unknown command" frobnicate
usage_error "unknown option" info --bogus "$GOOD"
usage_error "unknown short option" info -x "$GOOD"
usage_error "option without its value" info --threads
usage_error "info without FILE" info
usage_error "info with only options" info -q
usage_error "--threads 0" info --threads 0 "$GOOD"
usage_error "--threads abc" info --threads abc "$GOOD"
usage_error "--threads 1025" info --threads 1025 "$GOOD"
usage_error "--device gpu" info --device gpu "$GOOD"

run info "$TMP/does-not-exist.safetensors"
check_no_signal "missing file" && {
    [ "$rc" -eq 3 ] || fail "missing file: exit $rc, expected 3"
    check_one_error "missing file" "cannot open"
}
for ext in png npy; do
    run info "$TMP/does-not-exist.$ext"
    check_no_signal "missing .$ext" && {
        [ "$rc" -eq 3 ] || fail "missing .$ext: exit $rc, expected 3"
        check_one_error "missing .$ext" "cannot open"
    }
done
for ext in safetensors png npy; do
    mkdir "$TMP/dir.$ext"
    run info "$TMP/dir.$ext"
    check_no_signal "directory .$ext" && {
        [ "$rc" -eq 3 ] || fail "directory .$ext: exit $rc, expected 3"
        check_one_error "directory .$ext" "not a regular file"
    }
done

# A FIFO (no writer) and a character device: refused as not regular files,
# without blocking in open() or read(). timeout turns a hang into a failure.
mkfifo "$TMP/fifo.safetensors" "$TMP/fifo.png" "$TMP/fifo.npy"
for f in "$TMP/fifo.safetensors" "$TMP/fifo.png" "$TMP/fifo.npy" /dev/zero; do
    "$TRYON" info "$f" >"$OUT" 2>"$ERR" </dev/null &
    pid=$!
    ( sleep 20 && kill "$pid" ) 2>/dev/null &
    watchdog=$!
    wait "$pid"
    rc=$?
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    checks=$((checks + 1))
    check_no_signal "info $f (hung?)" && {
        [ "$rc" -eq 3 ] || fail "info $f: exit $rc, expected 3"
        check_one_error "info $f" "not a regular file"
    }
done

# Several files: each bad one reports its own line; the exit code is the last failure's.
run info -q "$GOOD" "$HERE/corpus/bad/npy_f8.npy" "$HERE/corpus/bad/png_empty.png"
check_no_signal "several files" && {
    [ "$rc" -eq 4 ] || fail "several files: exit $rc, expected 4"
    [ "$(wc -l <"$ERR")" -eq 2 ] || fail "several files: expected 2 error lines"
    grep -q "safetensors, 1 tensors" "$OUT" || fail "several files: the good file was not described"
}

# --device cuda: without a usable GPU (or in a CPU-only build) every command
# that runs a net fails first with exit 7 and one line naming the cause; with
# a GPU the context comes up and the missing weights file is the error (3).
PNG=$HERE/corpus/good/png_1x1_gray.png
NONE=$TMP/none.safetensors
for cmd in translate pose generate; do
    case $cmd in
    translate) run translate --device cuda -w "$NONE" -i "$PNG" -o "$TMP/o.png" ;;
    pose) run pose --device cuda -w "$NONE" -i "$PNG" ;;
    generate) run generate --device cuda -w "$NONE" -o "$TMP/o.png" --seed 1 ;;
    esac
    check_no_signal "$cmd --device cuda" || continue
    case $rc in
    7) check_one_error "$cmd --device cuda" "no usable CUDA device" ;;
    3) check_one_error "$cmd --device cuda (GPU present)" "none.safetensors" ;;
    *) fail "$cmd --device cuda: exit $rc, expected 7 (no GPU) or 3 (GPU, missing weights)" ;;
    esac
done

for args in "--help" "-h" "help" "help info" "info --help" "--version"; do
    # shellcheck disable=SC2086 # word splitting of args is intended
    run $args
    check_no_signal "$args" || continue
    [ "$rc" -eq 0 ] || fail "tryon $args: exit $rc, expected 0"
    [ -s "$OUT" ] || fail "tryon $args: nothing on stdout"
done
run --version
grep -q "^tryon [0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*" "$OUT" || fail "--version: '$(cat "$OUT")'"
run info --help
grep -q "^usage: tryon info" "$OUT" || fail "info --help does not start with its usage line"

if [ "$fails" -ne 0 ]; then
    echo "cli_errors.sh: $fails of $checks runs failed" >&2
    exit 1
fi
echo "cli_errors.sh: all $checks runs passed"
