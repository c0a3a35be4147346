# lab/nvlab/judge.py: reads a serial log and decides pass / fail / timeout; collects OUTCOME lines and the TSC
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


EXIT_CODES = {'pass': 0, 'fail': 1, 'timeout': 2}
