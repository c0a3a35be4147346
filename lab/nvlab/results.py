# lab/nvlab/results.py: results folders, run.json, and comparing the OUTCOME lines of two runs
import json
import os
import time

from . import judge


def new_dir(root, scenario, profile, suffix=None):
    """results/<YYYYmmddHHMMSS>-<scenario>-<profile>[-suffix][-N], created atomically (unique
    even for parallel runs started in the same second)."""
    os.makedirs(root, exist_ok=True)
    base = '%s-%s-%s' % (time.strftime('%Y%m%d%H%M%S'), scenario, profile)
    if suffix:
        base += '-' + suffix
    for n in range(1, 1000):
        path = os.path.join(root, base if n == 1 else '%s-%d' % (base, n))
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise RuntimeError('cannot create a results folder for ' + base)


def write_run(path, record):
    tmp = os.path.join(path, 'run.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write('\n')
    os.replace(tmp, os.path.join(path, 'run.json'))


def serial_path(arg):
    """A results folder, a run.json or a serial.log -> the serial.log path."""
    if os.path.isdir(arg):
        return os.path.join(arg, 'serial.log')
    if os.path.basename(arg) == 'run.json':
        return os.path.join(os.path.dirname(arg), 'serial.log')
    return arg


def load_run(arg):
    """A run record from a results folder / run.json; a bare serial.log is judged on the fly."""
    if isinstance(arg, dict):
        return arg
    js = os.path.join(arg, 'run.json') if os.path.isdir(arg) else arg
    if js.endswith('.json') and os.path.exists(js):
        with open(js) as f:
            return json.load(f)
    with open(serial_path(arg), 'rb') as f:
        rec = judge.judge(f.read().decode('utf-8', 'replace'))
    rec['results_dir'] = arg
    return rec


def _by_cpu(outcomes):
    per = {}
    for o in outcomes:
        per.setdefault(o.get('cpu'), []).append((o['test'], o['text']))
    return per


def compare_outcomes(run_a, run_b):
    """Differences between the OUTCOME lines of two runs (records, folders or serial logs).
    Compared per CPU, in order (CPUs interleave differently bare vs nested). Returns a list of
    dicts cpu, index, a, b ('<missing>' where one run has fewer lines); empty = identical."""
    a, b = _by_cpu(load_run(run_a).get('outcomes') or []), _by_cpu(load_run(run_b).get('outcomes') or [])
    diffs = []
    for cpu in sorted(set(a) | set(b), key=lambda c: (c is None, c or '')):
        la, lb = a.get(cpu, []), b.get(cpu, [])
        for i in range(max(len(la), len(lb))):
            x = ' '.join(la[i]) if i < len(la) else '<missing>'
            y = ' '.join(lb[i]) if i < len(lb) else '<missing>'
            if x != y:
                diffs.append(dict(cpu=cpu, index=i, a=x, b=y))
    return diffs


def format_diffs(diffs):
    return ['CPU(%s) #%d: A: %s | B: %s' % (d['cpu'], d['index'], d['a'], d['b']) for d in diffs]
