# lab/nvlab/matrix.py: expands tiers into rows (scenario x profile x arch x opt), builds once, runs rows in parallel
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

from . import build, judge, profiles, run, scenarios


def tier_rows(tier, filt=None):
    """Rows of a tier: each scenario's matrix entries for this tier and all lower tiers."""
    upto = scenarios.TIERS[:scenarios.TIERS.index(tier) + 1]
    rows = []
    for scn in scenarios.SCENARIOS:
        for t in upto:
            if t not in scn.matrix:
                continue
            axes = scn.matrix[t]
            for prof in axes.get('profiles', scn.profiles):
                for arch in axes.get('archs', scn.archs):
                    for opt in axes.get('opts', scn.opts):
                        rows.append((scn, prof, arch, opt))
    return _filter(rows, filt)


def selftest_rows(filt=None):
    rows = [(scn, prof, scn.archs[0], scn.opts[0]) for scn in scenarios.SCENARIOS for prof in scn.selftest]
    return _filter(rows, filt)


def allowed(r):
    """Profile constraints: the scenario lists the profile and the profile has what it requires."""
    scn, prof = r[0], r[1]
    return prof in scn.profiles and set(scn.requires) <= profiles.get(prof)['features']


def _filter(rows, filt):
    seen, out = set(), []
    for r in rows:
        key = (r[0].name,) + r[1:]
        if key in seen or not allowed(r) or (filt and filt not in row_name(r)):
            continue
        seen.add(key)
        out.append(r)
    return out


def row_name(r):
    scn, prof, arch, opt = r
    return '%s %s %s %s' % (scn.name, prof, arch, '-' if opt is None else 'O%d' % opt)


def row_line(r, rec=None, error=None):
    """VERDICT scenario profile arch opt wall results-dir extra (extra: outcomes, tsc, ticks,
    reason; for self-test rows the expected verdict)."""
    scn, prof, arch, opt = r
    verdict = rec['verdict'] if rec else 'fail'
    head = '%-7s %-18s %-11s %-6s %-3s' % (verdict.upper(), scn.name, prof, arch, '-' if opt is None else 'O%d' % opt)
    want = '' if scn.expect == 'pass' else ' expected=%s(%s)' % (
        scn.expect, 'ok' if verdict == scn.expect and rec else 'MISMATCH')
    if rec is None:
        return '%s %7s  %s%s' % (head, '-', error, want)
    extra = 'outcomes=%d' % len(rec['outcomes'])
    if rec.get('cases') is not None:
        extra += ' cases=%d' % rec['cases']
    if rec.get('tsc'):
        extra += ' tsc=%s' % rec['tsc']
    if rec.get('icount'):
        extra += ' ticks=%d' % rec['icount']
    if rec['verdict'] != 'pass' and rec['reason']:
        extra += ' reason=%r' % rec['reason'][:100]
    line = '%s %6.1fs  %s  %s%s' % (head, rec['wall_s'], _rel(rec['results_dir']), extra, want)
    return '\n    '.join([line] + judge.reference_lines(rec, limit=3))


def _rel(path):
    r = os.path.relpath(path)
    return path if r.startswith('..') else r


def run_rows(rows, jobs=2, out=print, results_root=None):
    """Build every kernel (sequentially), run rows `jobs` at a time, print one line per row
    as it finishes and the summary line. Returns the number of rows that did not get their
    expected verdict."""
    failed_builds = {}
    cmds = []
    for r in rows:
        try:
            c, _ = run.plan(*r)
            cmds.extend(c)
        except run.RunError as e:
            failed_builds[id(r)] = str(e)
    for cmd in dict.fromkeys(tuple(c) for c in cmds):
        try:
            build.make([list(cmd)], quiet=True)
        except build.BuildError as e:
            for r in rows:
                if list(cmd) in run.plan(*r)[0]:
                    failed_builds.setdefault(id(r), 'build failed: ' + str(e).split('\n')[0])
            out(str(e))
    linux_rows = [r for r in rows if id(r) not in failed_builds and
                  any(e['kind'] == 'linux' for e in run.plan(*r)[1])]
    if linux_rows:                    # Debian kernel + initramfs, fetched once (not by make)
        try:
            run.build_linux_if_needed(run.plan(*linux_rows[0])[1])
        except Exception as e:        # noqa: BLE001 - any fetch/unpack error fails those rows
            for r in linux_rows:
                failed_builds.setdefault(id(r), 'Linux guest build failed: %s' % e)
            out('Linux guest build failed: %s' % e)
    lock = threading.Lock()
    passed = failed = 0

    def one(r, reference=None):
        if id(r) in failed_builds:
            return r, None, failed_builds[id(r)]
        try:
            return r, run.run_one(*r, do_build=False, results_root=results_root, reference=reference), None
        except KeyboardInterrupt:
            return r, None, 'interrupted'
        except Exception as e:        # a broken row must not stop the matrix
            return r, None, '%s: %s' % (type(e).__name__, e)

    def from_row(fut):
        """A nested row's reference: the bare row of the same axes in this matrix (its result)."""
        def ref(spec):
            _, rec, err = fut.result()
            return run.reference_from(rec, 'matrix', spec, err)
        return ref

    # Bare rows that are another row's reference go first: the pool starts rows in order, so a
    # nested row waiting for its reference never waits for a row that has not started.
    targets = {(r[0].compare,) + tuple(r[1:]) for r in rows if r[0].compare}
    rows = sorted(rows, key=lambda r: ((r[0].name,) + tuple(r[1:])) not in targets)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futs = {}
    try:
        for r in rows:                # rows without a bare row here find or run theirs (run_one)
            k = (r[0].compare,) + tuple(r[1:]) if r[0].compare else None
            futs[(r[0].name,) + tuple(r[1:])] = pool.submit(one, r, from_row(futs[k]) if k in futs else None)
        for fut in as_completed(list(futs.values())):
            r, rec, err = fut.result()
            ok = rec is not None and rec['verdict'] == r[0].expect
            with lock:
                passed, failed = passed + ok, failed + (not ok)
                out(row_line(r, rec, err))
    except KeyboardInterrupt:
        run.ABORT.set()               # running rows stop their Bochs; queued rows are dropped
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    out('%d passed, %d failed' % (passed, failed))
    return failed

