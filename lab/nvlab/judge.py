# lab/nvlab/judge.py: reads a serial log and decides pass / fail / timeout; collects OUTCOME lines and the TSC;
# compares a nested run's OUTCOME lines with those of the bare run of the same kernel (the CPU is the oracle)
import difflib
import re

PASS_RE = re.compile(r'NESTVISOR-RESULT PASS\b')
FAIL_MARK_RE = re.compile(r'NESTVISOR-RESULT FAIL\b ?(.*)')
FAIL_WORD_RE = re.compile(r'\bFAIL')          # FAIL, FAILED, FAILURE; not VMFAIL/VMfail
OUTCOME_RE = re.compile(r'^(?:CPU\((0x[0-9a-fA-F]+)\): )?OUTCOME (\S+) ?(.*)$')
TSC_RE = re.compile(r'NESTVISOR-TSC (0x[0-9a-fA-F]+)')
CPU_RE = re.compile(r'^CPU\((0x[0-9a-fA-F]+)\): ')


def lines_of(text):
    return [l.rstrip('\r') for l in text.split('\n')]


def has_result(line):
    """True when a line carries a result marker: the run can stop."""
    return bool(PASS_RE.search(line) or FAIL_MARK_RE.search(line))


def outcomes(text):
    """OUTCOME lines in order: dicts cpu ('0x00' or None), test, text."""
    out = []
    for l in lines_of(text):
        m = OUTCOME_RE.match(l.strip())
        if m:
            out.append(dict(cpu=m.group(1), test=m.group(2), text=m.group(3).strip()))
    return out


def tsc(text):
    found = TSC_RE.findall(text)
    return found[-1] if found else None


def judge(text, ended='exit', timeout=None):
    """Verdict of one run. ended: 'marker' (stopped at a result marker), 'exit' (emulator
    exited by itself) or 'timeout' (killed at the deadline). Any FAIL wins over PASS; no
    marker at all is a timeout, never a pass."""
    lines = lines_of(text)
    fail_lines = [l for l in lines if FAIL_WORD_RE.search(l)]
    passed = any(PASS_RE.search(l) for l in lines)
    if fail_lines:
        marks = [FAIL_MARK_RE.search(l) for l in fail_lines]
        marks = [m.group(1).strip() or 'FAIL marker' for m in marks if m]
        verdict, reason = 'fail', marks[0] if marks else 'FAIL line: ' + fail_lines[0].strip()
    elif passed:
        verdict, reason = 'pass', ''
    elif ended == 'timeout':
        verdict, reason = 'timeout', 'no result marker within %ss' % timeout
    else:
        verdict, reason = 'timeout', 'emulator exited without a result marker'
    return dict(verdict=verdict, reason=reason, fail_lines=fail_lines[:20],
                outcomes=outcomes(text), tsc=tsc(text), serial_lines=len([l for l in lines if l]))


def judge_logs(logs, ended='exit', timeout=None):
    """judge() over several serial logs ((file name, text), innermost guest first, then the
    nestvisor levels): a FAIL in any of them fails the run, and the reason names the log when
    the FAIL came from a hypervisor level's log rather than the guest's."""
    text = ''.join(t if t.endswith('\n') or not t else t + '\n' for _, t in logs)
    rec = judge(text, ended, timeout)
    rec['fail_logs'] = [name for name, t in logs if any(FAIL_WORD_RE.search(l) for l in lines_of(t))]
    if rec['verdict'] == 'fail' and len(logs) > 1 and logs[0][0] not in rec['fail_logs']:
        rec['reason'] = '%s: %s' % ('+'.join(rec['fail_logs']), rec['reason'])
    return rec


# ---- bare-vs-nested: the bare run on the same emulated CPU is the oracle ----

MISSING = '<missing>'


def _per_cpu_tests(outcomes):
    """{cpu: {test: [(index in that CPU's sequence, text), ...]}} with tests in first-seen order."""
    per = {}
    for o in outcomes:
        tests = per.setdefault(o.get('cpu'), {})
        seq = sum(len(v) for v in tests.values())
        tests.setdefault(o['test'], []).append((seq, o['text']))
    return per


def _cpu_key(c):
    return (c is None, c or '')


def diff_outcomes(a, b):
    """Differences between two lists of OUTCOME lines (dicts cpu, test, text), compared per CPU
    (CPUs interleave differently bare vs nested) and per test, in order within a test (aligned
    with difflib, so one missing line is one difference); then, if every test agrees, the order
    of the tests on that CPU. Returns dicts cpu, test, index (position in that CPU's sequence of
    run a, or of run b for an extra line), a, b: 'test text' or '<missing>'. Empty = identical."""
    pa, pb = _per_cpu_tests(a), _per_cpu_tests(b)
    diffs = []
    for cpu in sorted(set(pa) | set(pb), key=_cpu_key):
        ta, tb = pa.get(cpu, {}), pb.get(cpu, {})
        n = len(diffs)
        for test in list(ta) + [t for t in tb if t not in ta]:
            la, lb = ta.get(test, []), tb.get(test, [])
            xa, xb = [t for _, t in la], [t for _, t in lb]
            sm = difflib.SequenceMatcher(None, xa, xb, autojunk=False)
            for op, i1, i2, j1, j2 in sm.get_opcodes():
                if op == 'equal':
                    continue
                for k in range(max(i2 - i1, j2 - j1)):
                    i, j = i1 + k, j1 + k
                    x = ('%s %s' % (test, xa[i])).rstrip() if i < i2 else MISSING
                    y = ('%s %s' % (test, xb[j])).rstrip() if j < j2 else MISSING
                    diffs.append(dict(cpu=cpu, test=test, index=la[i][0] if i < i2 else lb[j][0], a=x, b=y))
        if len(diffs) == n and list(ta) != list(tb):
            diffs.append(dict(cpu=cpu, test='(order)', index=0, a='tests in order: ' + ' '.join(ta),
                              b='tests in order: ' + ' '.join(tb)))
    return diffs


def format_diff(d, a_name='A', b_name='B'):
    return 'CPU(%s) %s #%d: %s: %s | %s: %s' % (d['cpu'], d.get('test', '?'), d['index'], a_name, d['a'],
                                                 b_name, d['b'])


FIRST_DIFFS = 20      # how many differences run.json keeps


def apply_reference(rec, nested_outcomes, ref, limit=FIRST_DIFFS):
    """Compares a nested run's OUTCOME lines (nested_outcomes, the innermost guest's log only)
    with the bare reference and updates the run record in place: rec['reference'] describes the
    reference and the first differences; a passing run with any difference, or without a usable
    reference, becomes a fail (a fail or timeout keeps its verdict, with the comparison added).
    ref: dict scenario, results_dir, how ('reused', 'ran', 'matrix'), verdict, outcomes (list) and,
    when there is no usable reference, problem (why)."""
    info = dict((k, ref.get(k)) for k in ('scenario', 'results_dir', 'how', 'verdict'))
    problem = ref.get('problem')
    if problem:
        info.update(problem=problem, differences=None, first_differences=[])
        extra = 'no bare reference to compare with: %s' % problem
    else:
        diffs = diff_outcomes(ref['outcomes'], nested_outcomes)
        info.update(problem=None, bare_outcomes=len(ref['outcomes']), nested_outcomes=len(nested_outcomes),
                    differences=len(diffs),
                    first_differences=[dict(cpu=d['cpu'], test=d['test'], index=d['index'], bare=d['a'],
                                            nested=d['b']) for d in diffs[:limit]])
        extra = None
        if diffs:
            d = diffs[0]
            extra = '%d OUTCOME line%s differ%s from bare %s, first: CPU(%s) %s: bare %r, nested %r' % (
                len(diffs), 's' if len(diffs) != 1 else '', '' if len(diffs) != 1 else 's', ref.get('scenario'),
                d['cpu'], d['test'], d['a'], d['b'])
    rec['reference'] = info
    if extra:
        if rec['verdict'] == 'pass':
            rec['verdict'], rec['reason'] = 'fail', extra
        else:
            rec['reason'] = ('%s; %s' % (rec['reason'], extra)) if rec['reason'] else extra
    return rec


def reference_lines(rec, limit=10):
    """Human-readable lines about a run's bare reference (for `lab run` and the matrix)."""
    ref = rec.get('reference')
    if not ref:
        return []
    where = ref.get('results_dir') or '-'
    if ref.get('problem'):
        return ['reference: none (%s)' % ref['problem']]
    out = ['reference: bare %s %s (%s), %d vs %d OUTCOME lines, %d difference%s' % (
        ref.get('scenario'), where, ref.get('how'), ref.get('bare_outcomes', 0), ref.get('nested_outcomes', 0),
        ref['differences'], '' if ref['differences'] == 1 else 's')]
    for d in ref['first_differences'][:limit]:
        out.append('  CPU(%s) %s #%d: bare: %s | nested: %s' % (d['cpu'], d['test'], d['index'], d['bare'], d['nested']))
    if ref['differences'] > min(limit, len(ref['first_differences'])):
        out.append('  ... %d more' % (ref['differences'] - min(limit, len(ref['first_differences']))))
    return out


# ---- case counting (a suite whose OUTCOME lines are its cases, e.g. the hostile-L1 suite) ----

def count_cases(outcomes, test):
    """Number of OUTCOME lines of one test (one line per case)."""
    return sum(1 for o in outcomes if o['test'] == test)


def apply_case_count(rec, outcomes, test, minimum, bare_outcomes=None):
    """Counts the cases of `test` in the innermost guest's OUTCOME lines into rec['cases'];
    a passing run fails with fewer than `minimum` cases, or (nested, bare_outcomes given) with
    another count than the bare run. A fail or timeout keeps its verdict, with the count added
    to the reason when it is wrong."""
    n = count_cases(outcomes, test)
    rec['cases'] = n
    why = None
    if n < minimum:
        why = '%d %s cases, fewer than %d' % (n, test, minimum)
    elif bare_outcomes is not None:
        b = count_cases(bare_outcomes, test)
        rec['bare_cases'] = b
        if b != n:
            why = '%d %s cases, bare run has %d' % (n, test, b)
    if why:
        if rec['verdict'] == 'pass':
            rec['verdict'], rec['reason'] = 'fail', why
        else:
            rec['reason'] = ('%s; %s' % (rec['reason'], why)) if rec['reason'] else why
    return rec


EXIT_CODES = {'pass': 0, 'fail': 1, 'timeout': 2}
