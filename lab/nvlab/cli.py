# lab/nvlab/cli.py: argument parsing and the lab's commands (setup, list, run, matrix, selftest, compare, vmcs-diff)
import argparse
import os
import re
import subprocess
import sys
import unittest

from . import bench, bochs, build, deps, image, judge, matrix, profiles, results, run, scenarios, vmcs_diff

USAGE_EXIT = 3      # argparse's own 2 would read as "timeout"


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(USAGE_EXIT, '%s: error: %s\n' % (self.prog, message))


def opt_level(s):
    s = s.upper().lstrip('O')
    if s not in ('0', '1', '2', '3'):
        raise argparse.ArgumentTypeError('optimization level must be 0..3')
    return int(s)


def rel(path):
    r = os.path.relpath(path)
    return path if r.startswith('..') else r


def cmd_setup(a):
    rc = deps.setup()
    if rc == 0:
        print('core.img: ' + rel(image.core_img(os.path.join(run.REPO, 'build', 'lab'))))
        print('bochs ' + (bochs.version() or '?') + ': ready')
    return rc


def cmd_list(a):
    print('scenarios:')
    for s in scenarios.SCENARIOS:
        opts = ','.join('-' if o is None else 'O%d' % o for o in s.opts)
        print('  %-18s %s' % (s.name, s.desc))
        print('  %-18s queue=%s archs=%s opts=%s profiles=%s timeout=%ss%s%s%s' % (
            '', '>'.join(s.boot_queue()), ','.join(s.archs), opts, ','.join(s.profiles), s.timeout,
            '' if s.expect == 'pass' else ' expect=' + s.expect,
            ' compare=bare-' + s.compare if s.compare else '',
            ' tiers=' + ','.join(s.matrix) if s.matrix else ''))
    print('profiles:')
    for n, p in profiles.PROFILES.items():
        print('  %-12s cpu=%s count=%s memory=guest:%d,host:%d  %s' % (
            n, p['model'], p['count'], p['memory']['guest'], p['memory']['host'], p['desc']))
    print('tiers:')
    for t in scenarios.TIERS:
        print('  %-6s %d rows: %s' % (t, len(matrix.tier_rows(t)), '; '.join(matrix.row_name(r) for r in matrix.tier_rows(t))))
    print('  selftest %d rows: %s' % (len(matrix.selftest_rows()), '; '.join(matrix.row_name(r) for r in matrix.selftest_rows())))
    print('default scenario: ' + scenarios.DEFAULT)
    return 0


def cmd_run(a):
    if a.scenario not in scenarios.BY_NAME:
        print('lab run: unknown scenario %r (have: %s)' % (a.scenario, ', '.join(scenarios.BY_NAME)), file=sys.stderr)
        return USAGE_EXIT
    scn = scenarios.BY_NAME[a.scenario]
    profile = a.profile or scn.profiles[0]
    arch = a.arch or scn.archs[0]
    opt = a.opt if a.opt is not None else scn.opts[0]
    tty = sys.stdout.isatty() and not a.stream

    def progress(elapsed, nlines):
        sys.stdout.write('\r[lab] %s on %s: %5.1fs, %d serial lines ' % (scn.name, profile, elapsed, nlines))
        sys.stdout.flush()

    try:
        overrides = dict(lhv_opt=a.lhv_opt, iters=a.iters)
        for kv in a.param or []:
            k, _, v = kv.partition('=')
            overrides[k] = v
        def note(msg):
            if tty:
                sys.stdout.write('\r' + ' ' * 70 + '\r')
            print('[lab] ' + msg)
            sys.stdout.flush()

        rec = run.run_one(scn, profile, arch, opt, overrides=overrides,
                          timeout=a.timeout, do_build=not a.no_build, stream=sys.stdout if a.stream else None,
                          progress=progress if tty else None, results_root=a.results, keep_disk=a.keep_disk,
                          note=note)
    except (run.RunError, build.BuildError) as e:
        print('lab run: %s' % e, file=sys.stderr)
        return USAGE_EXIT if isinstance(e, run.UsageError) else 1
    finally:
        if tty:
            sys.stdout.write('\r' + ' ' * 70 + '\r')
    print('results: %s' % rel(rec['results_dir']))
    print('%s  %s on %s %s%s  %.1fs wall, %d outcomes%s, tsc=%s, ticks=%s%s' % (
        rec['verdict'].upper(), scn.name, profile, arch, '' if opt is None else ' O%s' % opt, rec['wall_s'],
        len(rec['outcomes']), '' if rec.get('cases') is None else ', cases=%d' % rec['cases'], rec['tsc'],
        rec['icount'], ('  reason: ' + rec['reason']) if rec['reason'] else ''))
    for line in judge.reference_lines(rec):
        print(line)
    return rec['exit_code']


def cmd_matrix(a):
    rows = matrix.tier_rows(a.tier, a.filter)
    if not rows:
        print('no rows match')
        return 1
    return 1 if matrix.run_rows(rows, a.jobs, results_root=a.results) else 0


def cmd_selftest(a):
    rc = 0
    if not a.no_unit:
        tests = os.path.join(run.REPO, 'tests', 'lab')
        rc = subprocess.run([sys.executable, '-m', 'unittest', 'discover', '-s', tests]).returncode
        print('unit tests: %s' % ('ok' if rc == 0 else 'FAILED'))
    rows = matrix.selftest_rows(a.filter)
    return 1 if (matrix.run_rows(rows, a.jobs, results_root=a.results) or rc) else 0


def cmd_test(a):
    """What `make test` runs: host unit tests, the lab's own tests (judge unit tests and
    the smoke self-test boots), then a tier of the matrix; one summary line at the end."""
    counts = dict(passed=0, failed=0)

    def tally(ok, n=1):
        counts['passed' if ok else 'failed'] += n

    print('== host unit tests (cmocka)')
    r = subprocess.run(['make', '-C', os.path.join(run.REPO, 'tests', 'unit'), '-s', 'run'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode('utf-8', 'replace')
    print('\n'.join(l for l in out.splitlines() if l.startswith(('unit:', '==', '[  FAILED', '[  ERROR'))))
    m = re.search(r'unit: (\d+) of (\d+) test binaries passed', out)
    if m:
        tally(True, int(m.group(1)))
        tally(False, int(m.group(2)) - int(m.group(1)))
    else:                         # the build of the tests itself failed
        print(out[-3000:])
        tally(False)
    print('== lab unit tests (judge, image, compare)')
    suite = unittest.defaultTestLoader.discover(os.path.join(run.REPO, 'tests', 'lab'))
    res = unittest.TextTestRunner(verbosity=0, stream=sys.stdout).run(suite)
    bad = len(res.failures) + len(res.errors)
    tally(True, res.testsRun - bad)
    tally(False, bad)
    print('== lab self-test boots (pass, fail, timeout, boot queue)')
    rows = matrix.selftest_rows()
    nf = matrix.run_rows(rows, a.jobs, results_root=a.results)
    tally(True, len(rows) - nf)
    tally(False, nf)
    print('== lab matrix, tier %s' % a.tier)
    rows = matrix.tier_rows(a.tier)
    nf = matrix.run_rows(rows, a.jobs, results_root=a.results)
    tally(True, len(rows) - nf)
    tally(False, nf)
    print('%d passed, %d failed' % (counts['passed'], counts['failed']))
    return 1 if counts['failed'] else 0


def cmd_bench(a):
    return bench.bench(profile=a.profile, opt=a.opt)


def cmd_compare(a):
    diffs = results.compare_outcomes(a.a, a.b)
    na, nb = (len(results.load_run(x).get('outcomes') or []) for x in (a.a, a.b))
    for line in results.format_diffs(diffs, 'A', 'B'):
        print(line)
    print('%d differences (%d vs %d outcome lines)' % (len(diffs), na, nb))
    return 1 if diffs else 0


def cmd_vmcs_diff(a):
    texts = [bochs.read(results.serial_path(x)) for x in (a.a, a.b)]
    for x, t in zip((a.a, a.b), texts):
        if not t:
            print('vmcs-diff: no serial log at %s' % x, file=sys.stderr)
            return USAGE_EXIT
    rows = vmcs_diff.diff(*texts)
    for line in vmcs_diff.format_diff(rows):
        print(line)
    dumps = [len(vmcs_diff.parse(t)) for t in texts]
    print('%d differing fields/dumps (%d vs %d dumps)' % (len(rows), dumps[0], dumps[1]))
    return 1 if rows else 0


def main(argv=None):
    p = Parser(prog='lab', description='nestvisor lab: boots kernels in Bochs and judges the serial log. '
               'Exit codes: 0 pass, 1 fail, 2 timeout, 3 usage error.')
    sub = p.add_subparsers(dest='cmd', metavar='COMMAND', parser_class=Parser)
    sub.required = True
    sub.add_parser('setup', help='install the Debian packages the lab needs').set_defaults(fn=cmd_setup)
    sub.add_parser('list', help='scenarios, profiles, tiers').set_defaults(fn=cmd_list)
    r = sub.add_parser('run', help='build, boot and judge one scenario')
    r.add_argument('scenario', nargs='?', default=scenarios.DEFAULT)
    r.add_argument('--profile', choices=list(profiles.PROFILES))
    r.add_argument('--arch', choices=('i386', 'amd64'))
    r.add_argument('--opt', type=opt_level, help='build optimization level (0 or 3)')
    r.add_argument('--timeout', type=float, help='seconds of wall time (default: the scenario\'s)')
    r.add_argument('--lhv-opt', help='LHV test mask, e.g. 0xffffffff')
    r.add_argument('--iters', type=int, help='LHV iterations')
    r.add_argument('--param', action='append', metavar='KEY=VALUE',
                   help='override a scenario parameter, e.g. linux_extra="earlyprintk=serial"')
    r.add_argument('--stream', action='store_true', help='print the serial log live')
    r.add_argument('--no-build', action='store_true', help='do not call make')
    r.add_argument('--keep-disk', action='store_true', help='keep disk.img in the results folder')
    r.set_defaults(fn=cmd_run)
    t = sub.add_parser('test', help='everything `make test` runs; last line "N passed, N failed"')
    t.add_argument('--tier', choices=scenarios.TIERS, default='fast')
    t.add_argument('--jobs', type=int, default=2)
    t.add_argument('--results', help='results root (default: results/)')
    t.set_defaults(fn=cmd_test)
    b = sub.add_parser('bench', help='emulated-instruction figures -> results/bench.json')
    b.add_argument('--profile', choices=list(profiles.PROFILES), default='hp2540p')
    b.add_argument('--opt', type=opt_level, default=3)
    b.set_defaults(fn=cmd_bench)
    m = sub.add_parser('matrix', help='run a tier of scenario x profile x arch x opt rows')
    m.add_argument('--tier', choices=scenarios.TIERS, default='fast')
    m.add_argument('--jobs', type=int, default=2)
    m.add_argument('--filter', help='only rows whose "scenario profile arch opt" contains this')
    m.set_defaults(fn=cmd_matrix)
    s = sub.add_parser('selftest', help='judge unit tests + smoke scenarios (pass, fail, timeout, queue)')
    s.add_argument('--jobs', type=int, default=2)
    s.add_argument('--filter')
    s.add_argument('--no-unit', action='store_true', help='skip the unittest part')
    s.set_defaults(fn=cmd_selftest)
    for name, fn, what in (('compare', cmd_compare, 'OUTCOME lines of two runs'),
                           ('vmcs-diff', cmd_vmcs_diff, 'VMCS dumps of two runs')):
        c = sub.add_parser(name, help='compare the %s (results folders, run.json or serial.log)' % what)
        c.add_argument('a')
        c.add_argument('b')
        c.set_defaults(fn=fn)
    for x in (r, m, s):
        x.add_argument('--results', help='results root (default <repo>/results)')
    a = p.parse_args(argv)
    return a.fn(a)
