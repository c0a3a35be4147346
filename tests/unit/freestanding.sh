#!/usr/bin/env bash
# freestanding.sh - build sources as the kernels do (-ffreestanding, i386 and amd64) and fail on outside symbols.
#
# usage: freestanding.sh ROOT OUTDIR SRC...   (SRC relative to ROOT; CCS env: compilers to try)
# Only the compiler's own headers are reachable (-nostdinc + its include
# dir), so <stdio.h> and friends fail to compile. Symbols the sources need
# must be defined by the sources themselves, or be what the kernel link adds:
# the libgcc helpers (-lgcc: __udivdi3, __umoddi3, ...) and lib/mem.c's
# memcpy/memmove/memset/memcmp, which the compiler may emit on its own.
set -eu
root=$1 out=$2
shift 2
allowed='^(__(u?(div|mod|divmod)di[34]|ashldi3|ashrdi3|lshrdi3|(c|p)[lt]zdi2|popcount[sd]i2|bswap[sd]i2|ctzsi2|clzsi2))|mem(cpy|move|set|cmp))$'
flags=(-std=gnu11 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin
       -mgeneral-regs-only -nostdinc -Wall -Wextra -Werror -Wno-address-of-packed-member
       "-I$root" "-I$root/lib")

for cc in ${CCS:-gcc}; do
    if [ "$cc" = clang ]; then inc=$(clang -print-resource-dir)/include
    else inc=$("$cc" -print-file-name=include); fi
    for m in -m32 -m64; do
        dir=$out/$cc$m
        objs=()
        for src in "$@"; do
            o=$dir/${src%.c}.o
            mkdir -p "$(dirname "$o")"
            "$cc" "$m" "${flags[@]}" -isystem "$inc" -c "$root/$src" -o "$o"
            objs+=("$o")
        done
        [ ${#objs[@]} -gt 0 ] || continue
        missing=$(comm -23 <(nm -u "${objs[@]}" | awk 'NF==2 {print $2}' | sort -u) \
                           <(nm --defined-only "${objs[@]}" | awk 'NF==3 {print $3}' | sort -u) \
                  | grep -Ev "$allowed" || true)
        if [ -n "$missing" ]; then
            echo "freestanding ($cc $m): undefined outside symbols:" $missing >&2
            exit 1
        fi
    done
done
echo "freestanding: ok (${CCS:-gcc}; -m32 -m64): $*"
