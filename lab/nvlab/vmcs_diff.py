# lab/nvlab/vmcs_diff.py: parses VMCS-DUMP blocks from serial logs and lists the fields that differ
import re
from collections import OrderedDict

BEGIN_RE = re.compile(r'^CPU\((0x[0-9a-fA-F]+)\): VMCS-DUMP BEGIN ?(.*)$')
END_RE = re.compile(r'^CPU\((0x[0-9a-fA-F]+)\): VMCS-DUMP END')
FIELD_RE = re.compile(r'^CPU\((0x[0-9a-fA-F]+)\): VMCS (\S+) (0x[0-9a-fA-F]+) = (0x[0-9a-fA-F]+)')


def parse(text):
    """{(label, cpu, n): {encoding: (name, value)}}; n counts repeated labels on one CPU.
    Dumps of different CPUs may interleave line by line."""
    dumps, open_, seen = OrderedDict(), {}, {}
    for raw in text.split('\n'):
        line = raw.strip()
        m = BEGIN_RE.match(line)
        if m:
            cpu, label = m.group(1).lower(), m.group(2).strip()
            n = seen[(label, cpu)] = seen.get((label, cpu), 0) + 1
            open_[cpu] = (label, cpu, n)
            dumps[open_[cpu]] = OrderedDict()
            continue
        m = END_RE.match(line)
        if m:
            open_.pop(m.group(1).lower(), None)
            continue
        m = FIELD_RE.match(line)
        if m and m.group(1).lower() in open_:
            dumps[open_[m.group(1).lower()]][int(m.group(3), 16)] = (m.group(2), int(m.group(4), 16))
    return dumps


def diff(text_a, text_b):
    """[(key, encoding, name, value_a, value_b)], None for an absent field; key None-valued
    entries for dumps present in one log only are reported with encoding None."""
    a, b = parse(text_a), parse(text_b)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        if key not in a or key not in b:
            out.append((key, None, None, key in a, key in b))
            continue
        fa, fb = a[key], b[key]
        for enc in list(fa) + [e for e in fb if e not in fa]:
            va, vb = fa.get(enc, (None, None)), fb.get(enc, (None, None))
            if va[1] != vb[1]:
                out.append((key, enc, va[0] or vb[0], va[1], vb[1]))
    return out


def _v(x):
    return '<absent>' if x is None else '0x%x' % x


def format_diff(rows):
    lines, last = [], None
    for key, enc, name, va, vb in rows:
        label, cpu, n = key
        title = '== %s CPU(%s)%s' % (label or '(no label)', cpu, ' #%d' % n if n > 1 else '')
        if enc is None:
            lines.append('%s: only in %s' % (title, 'A' if va else 'B'))
            continue
        if key != last:
            lines.append(title)
            last = key
        lines.append('  %-40s 0x%04x  A=%s  B=%s' % (name, enc, _v(va), _v(vb)))
    return lines
