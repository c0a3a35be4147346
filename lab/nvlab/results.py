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


def guest_outcomes(rec):
    """The innermost guest's OUTCOME lines of a run (its serial.log, COM1), where the folder is
    still there; else the record's OUTCOME lines (all logs)."""
    d = rec.get('results_dir')
    path = os.path.join(d, 'serial.log') if d else None
    if path and os.path.isfile(path):
        with open(path, 'rb') as f:
            return judge.outcomes(f.read().decode('utf-8', 'replace'))
    return rec.get('outcomes') or []


def compare_outcomes(run_a, run_b):
    """Differences between the OUTCOME lines of two runs (records, folders or serial logs),
    compared per CPU and per test (judge.diff_outcomes). Returns a list of dicts cpu, test, index,
    a, b ('<missing>' where one run lacks the line); empty = identical."""
    a, b = load_run(run_a), load_run(run_b)
    return judge.diff_outcomes(a.get('outcomes') or [], b.get('outcomes') or [])


def format_diffs(diffs, a_name='A', b_name='B'):
    return [judge.format_diff(d, a_name, b_name) for d in diffs]


# ---- the bare reference of a nested run ----

def reference_mismatch(rec, spec):
    """Why a run record cannot serve as the bare reference described by spec (None: it can).
    spec: scenario, profile, profile_info, bochs_settings, bochs_version, kernel, sha256, args
    (the compared kernel's name, its image's sha256 and its command line)."""
    if not rec:
        return 'no run record'
    if rec.get('scenario') != spec['scenario']:
        return 'scenario %s, not %s' % (rec.get('scenario'), spec['scenario'])
    if rec.get('profile') != spec['profile'] or rec.get('profile_info') != spec['profile_info']:
        return 'profile %s %s, not %s %s' % (rec.get('profile'), rec.get('profile_info'), spec['profile'],
                                             spec['profile_info'])
    if rec.get('bochs_settings') != spec['bochs_settings']:
        return 'bochs settings %s, not %s' % (rec.get('bochs_settings'), spec['bochs_settings'])
    if spec.get('bochs_version') and rec.get('bochs_version') != spec['bochs_version']:
        return 'bochs %s, not %s' % (rec.get('bochs_version'), spec['bochs_version'])
    ents = [e for e in rec.get('entries') or [] if e.get('kernel') == spec['kernel']]
    if not ents:
        return 'no %s kernel' % spec['kernel']
    if ents[0].get('sha256') != spec['sha256']:
        return '%s kernel sha256 %s, not %s' % (spec['kernel'], (ents[0].get('sha256') or '?')[:12], spec['sha256'][:12])
    if ents[0].get('args') != spec['args']:
        return '%s command line %r, not %r' % (spec['kernel'], ents[0].get('args'), spec['args'])
    if rec.get('verdict') != 'pass':
        return 'verdict %s%s' % (rec.get('verdict'), (' (%s)' % rec['reason']) if rec.get('reason') else '')
    return None


def find_reference(root, spec):
    """The newest run under root that can serve as the bare reference (reference_mismatch() is
    None), or None."""
    try:
        names = sorted(os.listdir(root), reverse=True)     # <YYYYmmddHHMMSS>-...: newest first
    except FileNotFoundError:
        return None
    tag = '%s-%s-' % (spec['scenario'], spec['profile'])
    for name in names:
        js = os.path.join(root, name, 'run.json')
        if not name.split('-', 1)[-1].startswith(tag) or not os.path.isfile(js):
            continue
        try:
            with open(js) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            continue
        if reference_mismatch(rec, spec) is None:
            rec['results_dir'] = os.path.join(root, name)    # the folder may have moved since
            return rec
    return None
