# tests/lab/test_reference.py: bare-vs-nested comparison (hv-lhv, hv-hv-lhv): the OUTCOME diff, the verdict,
# finding or running the bare reference, and the matrix wiring; no Bochs is booted
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab'))
from nvlab import build, judge, matrix, results, run, scenarios  # noqa: E402

BARE = '''CPU(0x00): LHV (amd64) starting
CPU(0x00): OUTCOME basic exit=18
CPU(0x01): OUTCOME basic exit=18
CPU(0x00): OUTCOME vpid invvpid single-context type=1 -> ok
CPU(0x00): OUTCOME vpid invvpid type-4 type=4 -> fail-valid(28)
CPU(0x01): OUTCOME vpid invvpid single-context type=1 -> ok
CPU(0x01): OUTCOME vpid invvpid type-4 type=4 -> fail-valid(28)
CPU(0x00): OUTCOME preempt_timer exit=52 saved_value=0 rate=0
CPU(0x01): OUTCOME preempt_timer exit=52 saved_value=0 rate=0
CPU(0x00): NESTVISOR-TSC 0x1234
CPU(0x00): NESTVISOR-RESULT PASS (2 CPUs, 3 iterations)
'''


def outs(text):
    return judge.outcomes(text)


def nested(text=BARE, swap=True):
    """The same run as seen nested: CPUs interleave differently."""
    lines = text.splitlines()
    if swap:
        lines[1], lines[2] = lines[2], lines[1]
        lines[3:7] = [lines[5], lines[3], lines[6], lines[4]]
    return '\n'.join(lines) + '\n'


def ref_of(text=BARE, problem=None):
    return dict(scenario='lhv', how='reused', results_dir='/r/bare', verdict='pass', outcomes=outs(text),
                problem=problem)


def nested_rec(text, ended='marker'):
    return judge.judge_logs([('serial.log', text), ('serial-hv0.log', 'CPU(0x00): nestvisor up\n'),
                             ('serial-hv1.log', '')], ended, 60)


class Diff(unittest.TestCase):
    def test_identical_despite_interleaving(self):
        self.assertNotEqual(nested(), BARE)
        self.assertEqual(judge.diff_outcomes(outs(BARE), outs(nested())), [])

    def test_changed_line_names_test_and_both_lines(self):
        changed = nested().replace('CPU(0x01): OUTCOME vpid invvpid type-4 type=4 -> fail-valid(28)',
                                   'CPU(0x01): OUTCOME vpid invvpid type-4 type=4 -> ok')
        d = judge.diff_outcomes(outs(BARE), outs(changed))
        self.assertEqual(len(d), 1)
        self.assertEqual((d[0]['cpu'], d[0]['test']), ('0x01', 'vpid'))
        self.assertEqual(d[0]['a'], 'vpid invvpid type-4 type=4 -> fail-valid(28)')
        self.assertEqual(d[0]['b'], 'vpid invvpid type-4 type=4 -> ok')
        self.assertEqual(d[0]['index'], 2)       # third OUTCOME line of CPU 1 in the bare run

    def test_missing_line_does_not_shift_later_tests(self):
        missing = BARE.replace('CPU(0x00): OUTCOME vpid invvpid single-context type=1 -> ok\n', '')
        d = judge.diff_outcomes(outs(BARE), outs(missing))
        # one difference, named: neither the rest of vpid nor the later tests shift
        self.assertEqual(d, [dict(cpu='0x00', test='vpid', index=1, a='vpid invvpid single-context type=1 -> ok',
                                  b=judge.MISSING)])

    def test_missing_test_and_missing_cpu(self):
        no_timer = BARE.replace('CPU(0x01): OUTCOME preempt_timer exit=52 saved_value=0 rate=0\n', '')
        d = judge.diff_outcomes(outs(BARE), outs(no_timer))
        self.assertEqual(d, [dict(cpu='0x01', test='preempt_timer', index=3,
                                  a='preempt_timer exit=52 saved_value=0 rate=0', b=judge.MISSING)])
        bsp_only = '\n'.join(l for l in BARE.splitlines() if not l.startswith('CPU(0x01)'))
        d = judge.diff_outcomes(outs(BARE), outs(bsp_only))
        self.assertEqual(len(d), 4)
        self.assertTrue(all(x['cpu'] == '0x01' and x['b'] == judge.MISSING for x in d))

    def test_extra_line_and_extra_test(self):
        extra = BARE.replace('CPU(0x00): NESTVISOR-TSC', 'CPU(0x00): OUTCOME basic exit=18\n'
                             'CPU(0x00): OUTCOME nested_only hello\nCPU(0x00): NESTVISOR-TSC')
        d = judge.diff_outcomes(outs(BARE), outs(extra))
        self.assertEqual([(x['test'], x['a'], x['b']) for x in d],
                         [('basic', judge.MISSING, 'basic exit=18'), ('nested_only', judge.MISSING, 'nested_only hello')])

    def test_test_order(self):
        lines = BARE.splitlines()
        swapped = '\n'.join([lines[0], lines[7], lines[1]] + lines[2:7] + lines[8:])   # CPU 0: timer before basic
        d = judge.diff_outcomes(outs(BARE), outs(swapped))
        self.assertEqual(len(d), 1)
        self.assertEqual((d[0]['cpu'], d[0]['test']), ('0x00', '(order)'))

    def test_format_and_compare_api(self):
        d = results.compare_outcomes(judge.judge(BARE), judge.judge(BARE.replace('rate=0', 'rate=5')))
        self.assertEqual(len(d), 2)
        self.assertIn('preempt_timer', results.format_diffs(d, 'bare', 'nested')[0])
        self.assertIn('bare: preempt_timer exit=52 saved_value=0 rate=0 | nested: preempt_timer exit=52 saved_value=0 rate=5',
                      results.format_diffs(d, 'bare', 'nested')[0])


class Verdict(unittest.TestCase):
    def test_identical_outcomes_pass(self):
        rec = nested_rec(nested())
        judge.apply_reference(rec, outs(nested()), ref_of())
        self.assertEqual((rec['verdict'], rec['reason']), ('pass', ''))
        self.assertEqual(rec['reference']['differences'], 0)
        self.assertEqual(rec['reference']['results_dir'], '/r/bare')
        self.assertEqual(rec['reference']['bare_outcomes'], 8)

    def test_changed_line_fails_with_the_difference(self):
        text = nested().replace('rate=0', 'rate=5', 1)
        rec = nested_rec(text)
        judge.apply_reference(rec, outs(text), ref_of())
        self.assertEqual(rec['verdict'], 'fail')
        self.assertIn('1 OUTCOME line differs from bare lhv', rec['reason'])
        self.assertIn("preempt_timer: bare 'preempt_timer exit=52 saved_value=0 rate=0', nested "
                      "'preempt_timer exit=52 saved_value=0 rate=5'", rec['reason'])
        first = rec['reference']['first_differences'][0]
        self.assertEqual((first['test'], first['bare'], first['nested']),
                         ('preempt_timer', 'preempt_timer exit=52 saved_value=0 rate=0',
                          'preempt_timer exit=52 saved_value=0 rate=5'))
        lines = judge.reference_lines(rec)
        self.assertIn('1 difference', lines[0])
        self.assertIn('bare: preempt_timer exit=52 saved_value=0 rate=0 | nested: preempt_timer', lines[1])
        json.dumps(rec)                                  # run.json must hold it

    def test_missing_and_extra_lines_fail(self):
        for text in (BARE.replace('CPU(0x01): OUTCOME basic exit=18\n', ''),
                     BARE.replace('CPU(0x00): NESTVISOR-TSC', 'CPU(0x00): OUTCOME basic exit=19\nCPU(0x00): NESTVISOR-TSC')):
            rec = nested_rec(text)
            judge.apply_reference(rec, outs(text), ref_of())
            self.assertEqual(rec['verdict'], 'fail')
            self.assertIn('basic', rec['reason'])
            self.assertIn(judge.MISSING, rec['reason'])

    def test_many_differences_are_capped(self):
        text = 'CPU(0x00): OUTCOME noise x\n' * 50 + 'CPU(0x00): NESTVISOR-RESULT PASS\n'
        rec = nested_rec(text)
        judge.apply_reference(rec, outs(text), ref_of())
        self.assertEqual(rec['reference']['differences'], 58)
        self.assertEqual(len(rec['reference']['first_differences']), judge.FIRST_DIFFS)
        self.assertIn('... ', judge.reference_lines(rec, limit=3)[-1])

    def test_nested_fail_stays_fail_with_comparison_added(self):
        text = 'CPU(0x00): LHV (amd64) starting\nCPU(0x00): NESTVISOR-RESULT FAIL 1 failures, first: vmx no VMX\n'
        rec = nested_rec(text)
        judge.apply_reference(rec, outs(text), ref_of())
        self.assertEqual(rec['verdict'], 'fail')
        self.assertTrue(rec['reason'].startswith('1 failures, first: vmx no VMX; 8 OUTCOME lines differ'))
        self.assertEqual(rec['reference']['differences'], 8)

    def test_timeout_stays_timeout(self):
        rec = nested_rec('CPU(0x00): OUTCOME basic exit=18\n', ended='timeout')
        judge.apply_reference(rec, outs('CPU(0x00): OUTCOME basic exit=18\n'), ref_of())
        self.assertEqual(rec['verdict'], 'timeout')
        self.assertIn('differ from bare', rec['reason'])

    def test_missing_reference_fails(self):
        rec = nested_rec(nested())
        judge.apply_reference(rec, outs(nested()), ref_of(problem='bare run results/x: verdict fail'))
        self.assertEqual(rec['verdict'], 'fail')
        self.assertEqual(rec['reason'], 'no bare reference to compare with: bare run results/x: verdict fail')
        self.assertIsNone(rec['reference']['differences'])
        self.assertEqual(judge.reference_lines(rec), ['reference: none (bare run results/x: verdict fail)'])
        ref = run.reference_from(None, 'matrix', dict(scenario='lhv'), 'build failed: lhv')
        self.assertIn('did not run: build failed', ref['problem'])

    def test_hypervisor_log_fail(self):
        rec = judge.judge_logs([('serial.log', BARE), ('serial-hv0.log', 'CPU(0x00): FAIL unexpected VM exit 3\n'),
                                ('serial-hv1.log', '')], 'marker')
        self.assertEqual(rec['verdict'], 'fail')
        self.assertEqual(rec['reason'], 'serial-hv0.log: FAIL line: CPU(0x00): FAIL unexpected VM exit 3')
        self.assertEqual(rec['fail_logs'], ['serial-hv0.log'])
        rec = judge.judge_logs([('serial.log', BARE), ('serial-hv0.log', ''),
                                ('serial-hv1.log', 'CPU(0x02): NESTVISOR-RESULT FAIL guest triple fault')], 'marker')
        self.assertEqual(rec['reason'], 'serial-hv1.log: guest triple fault')
        # a log without a final newline does not glue its last line to the next log's first
        rec = judge.judge_logs([('serial.log', 'CPU(0x00): NESTVISOR-RESULT PASS'), ('serial-hv0.log', 'x FAIL\n')])
        self.assertEqual(rec['verdict'], 'fail')
        self.assertEqual(rec['fail_lines'], ['x FAIL'])


def spec(**kw):
    s = dict(scenario='lhv', profile='hp2540p', profile_info=dict(model='m', count='1:2:2', memory=dict(guest=512, host=512),
                                                                  ips=200000000),
             bochs_settings=dict(ignore_bad_msrs=0), bochs_version='2.7', kernel='lhv', sha256='ab' * 32,
             args='serial=0x3f8 lhv_opt=0xffffffff iters=3')
    s.update(kw)
    return s


def bare_record(sp, verdict='pass', sha=None, args=None, profile=None, scenario='lhv'):
    return dict(scenario=scenario, profile=profile or sp['profile'], profile_info=sp['profile_info'],
                bochs_settings=sp['bochs_settings'], bochs_version=sp['bochs_version'], verdict=verdict,
                reason='' if verdict == 'pass' else 'x', outcomes=outs(BARE),
                entries=[dict(name='lhv', kernel='lhv', sha256=sha or sp['sha256'], args=args or sp['args'])])


def save(root, name, rec, serial=BARE):
    d = os.path.join(root, name)
    os.makedirs(d)
    rec = dict(rec, results_dir=d)
    results.write_run(d, rec)
    with open(os.path.join(d, 'serial.log'), 'w') as f:
        f.write(serial)
    return d


class FindReference(unittest.TestCase):
    def test_mismatches(self):
        sp = spec()
        self.assertIsNone(results.reference_mismatch(bare_record(sp), sp))
        self.assertIn('sha256', results.reference_mismatch(bare_record(sp, sha='cd' * 32), sp))
        self.assertIn('command line', results.reference_mismatch(bare_record(sp, args='iters=1'), sp))
        self.assertIn('verdict fail', results.reference_mismatch(bare_record(sp, verdict='fail'), sp))
        self.assertIn('profile', results.reference_mismatch(bare_record(sp, profile='skylake'), sp))
        self.assertIn('scenario', results.reference_mismatch(bare_record(sp, scenario='hv-lhv'), sp))
        other = dict(bare_record(sp), profile_info=dict(sp['profile_info'], ips=20000000))
        self.assertIn('profile', results.reference_mismatch(other, sp))

    def test_newest_matching_run_is_reused(self):
        sp = spec()
        with tempfile.TemporaryDirectory() as root:
            self.assertIsNone(results.find_reference(root, sp))
            self.assertIsNone(results.find_reference(os.path.join(root, 'nope'), sp))
            save(root, '20260101000000-lhv-hp2540p-amd64-O3', bare_record(sp))
            want = save(root, '20260102000000-lhv-hp2540p-amd64-O3', bare_record(sp))
            save(root, '20260103000000-lhv-hp2540p-amd64-O3', bare_record(sp, verdict='fail'))
            save(root, '20260104000000-lhv-hp2540p-amd64-O3', bare_record(sp, sha='cd' * 32))
            save(root, '20260105000000-lhv-hp2540p-4g-amd64-O3', bare_record(sp, profile='hp2540p-4g'))
            save(root, '20260106000000-hv-lhv-hp2540p-amd64-O3', bare_record(sp, scenario='hv-lhv'))
            os.makedirs(os.path.join(root, '20260107000000-lhv-hp2540p-amd64-O3'))     # a run without run.json
            with open(os.path.join(root, 'bench.json'), 'w') as f:
                f.write('{}')
            rec = results.find_reference(root, sp)
            self.assertEqual(rec['results_dir'], want)
            self.assertIsNone(results.find_reference(root, spec(sha256='ef' * 32)))

    def test_bare_scenario_other_than_lhv(self):
        # hv-lhv-nmi compares with lhv-nmi: same LHV kernel, its own command line; an lhv run of
        # the same kernel (or an lhv-nmi run with lhv's command line) is no reference for it
        nmi_args = 'serial=0x3f8 lhv_opt=0x4000 iters=2 nmi_soak=40'
        sp = spec(scenario='lhv-nmi', args=nmi_args)
        with tempfile.TemporaryDirectory() as root:
            save(root, '20260101000000-lhv-nmi-hp2540p-amd64-O3', bare_record(sp, scenario='lhv-nmi'))
            want = save(root, '20260102000000-lhv-nmi-hp2540p-amd64-O3', bare_record(sp, scenario='lhv-nmi'))
            save(root, '20260103000000-lhv-hp2540p-amd64-O3', bare_record(sp))
            save(root, '20260104000000-lhv-nmi-hp2540p-amd64-O3',
                 bare_record(sp, scenario='lhv-nmi', args='serial=0x3f8 lhv_opt=0x3fff iters=3'))
            save(root, '20260105000000-hv-lhv-nmi-hp2540p-amd64-O3', bare_record(sp, scenario='hv-lhv-nmi'))
            self.assertEqual(results.find_reference(root, sp)['results_dir'], want)
        rec = nested_rec(nested())
        judge.apply_reference(rec, outs(nested().replace('rate=0', 'rate=7')),
                              dict(ref_of(), scenario='lhv-nmi'))
        self.assertEqual(rec['verdict'], 'fail')
        self.assertIn('differ from bare lhv-nmi', rec['reason'])
        entry, bare = scenarios.BY_NAME['hv-lhv-nmi'].compared_entry()
        self.assertEqual(bare.name, 'lhv-nmi')
        self.assertEqual(scenarios.entry_args(entry, scenarios.BY_NAME['hv-lhv-nmi'], 'amd64', 3), nmi_args)

    def test_guest_outcomes_come_from_serial_log(self):
        sp = spec()
        with tempfile.TemporaryDirectory() as root:
            d = save(root, '20260101000000-lhv-hp2540p-amd64-O3', dict(bare_record(sp), outcomes=[]))
            rec = results.load_run(d)
            self.assertEqual(results.guest_outcomes(rec), outs(BARE))
            ref = run.reference_from(rec, 'reused', sp)
            self.assertIsNone(ref['problem'])
            self.assertEqual(len(ref['outcomes']), 8)
        self.assertEqual(results.guest_outcomes(dict(outcomes=[1], results_dir='/nonexistent')), [1])


class Patched(unittest.TestCase):
    """Replaces the functions that build and boot with fakes."""
    def patch(self, mod, name, value):
        old = getattr(mod, name)
        setattr(mod, name, value)
        self.addCleanup(setattr, mod, name, old)


class FindOrRun(Patched):
    def test_reuses_else_runs_bare_first(self):
        sp = spec()
        hv_lhv = scenarios.BY_NAME['hv-lhv']
        booted = []
        with tempfile.TemporaryDirectory() as root:
            def fake_run_one(scn, profile, arch, opt, overrides=None, results_root=None, **kw):
                booted.append((scn.name, profile, arch, opt, overrides))
                return dict(save_rec, results_dir=save(root, '20260101000000-lhv-hp2540p-amd64-O3', save_rec))
            save_rec = bare_record(sp)
            self.patch(run, 'run_one', fake_run_one)
            notes = []
            ref = run.find_or_run_reference(hv_lhv, 'hp2540p', 'amd64', 3, sp, dict(iters=1), root, note=notes.append)
            self.assertEqual(booted, [('lhv', 'hp2540p', 'amd64', 3, dict(iters=1))])
            self.assertEqual((ref['how'], ref['problem'], len(ref['outcomes'])), ('ran', None, 8))
            self.assertIn('running it first', notes[0])
            ref = run.find_or_run_reference(hv_lhv, 'hp2540p', 'amd64', 3, sp, None, root, note=notes.append)
            self.assertEqual(len(booted), 1)                 # the second time it is found
            self.assertEqual(ref['how'], 'reused')
            self.assertIn('reusing', notes[-1])

    def test_failed_bare_run_is_no_reference(self):
        sp = spec()
        with tempfile.TemporaryDirectory() as root:
            self.patch(run, 'run_one', lambda *a, **k: dict(bare_record(sp, verdict='timeout'), results_dir=root))
            ref = run.find_or_run_reference(scenarios.BY_NAME['hv-lhv'], 'hp2540p', 'amd64', 3, sp, None, root)
            self.assertIn('verdict timeout', ref['problem'])


class MatrixWiring(Patched):
    def test_nested_row_takes_the_bare_row_of_the_same_axes(self):
        hv_lhv, lhv = scenarios.BY_NAME['hv-lhv'], scenarios.BY_NAME['lhv']
        rows = [(hv_lhv, 'hp2540p', 'amd64', 3), (hv_lhv, 'skylake', 'amd64', 3), (lhv, 'hp2540p', 'amd64', 3)]
        sp = spec()
        seen = {}
        with tempfile.TemporaryDirectory() as root:
            def fake_run_one(scn, profile, arch, opt, do_build=True, results_root=None, reference=None, **kw):
                if scn.name == 'lhv':
                    return dict(bare_record(sp), results_dir=save(root, '20260101000000-lhv-hp2540p-amd64-O3',
                                                                  bare_record(sp)), wall_s=1.0)
                seen[profile] = reference
                text = nested().replace('rate=0', 'rate=7')
                rec = dict(nested_rec(text), results_dir=root, wall_s=2.0)
                if reference is not None:
                    judge.apply_reference(rec, outs(text), reference(sp))
                return rec
            self.patch(run, 'run_one', fake_run_one)
            self.patch(run, 'plan', lambda *a, **k: ([], [dict(kind='multiboot')]))
            self.patch(build, 'make', lambda *a, **k: None)
            lines = []
            failed = matrix.run_rows(rows, jobs=2, out=lines.append, results_root=root)
        self.assertIsNotNone(seen['hp2540p'])                # in-matrix reference
        self.assertIsNone(seen['skylake'])                   # none here: run_one finds or runs its own
        self.assertEqual(failed, 1)                          # the hp2540p nested row; the fake skylake row passes
        text = '\n'.join(lines)
        self.assertIn("2 OUTCOME lines differ from bare lhv, first: CPU(0x00) preempt_timer", text)
        self.assertIn('bare: preempt_timer exit=52 saved_value=0 rate=0 | nested: preempt_timer exit=52 saved_value=0 rate=7',
                      text)
        self.assertIn('(matrix)', text)

    def test_failed_bare_row_leaves_no_reference(self):
        hv_lhv, lhv = scenarios.BY_NAME['hv-lhv'], scenarios.BY_NAME['lhv']
        rows = [(hv_lhv, 'hp2540p', 'i386', 0), (lhv, 'hp2540p', 'i386', 0)]

        def fake_run_one(scn, profile, arch, opt, reference=None, **kw):
            if scn.name == 'lhv':
                raise RuntimeError('Bochs missing')
            rec = dict(nested_rec(BARE), results_dir='/tmp', wall_s=1.0)
            judge.apply_reference(rec, outs(BARE), reference(spec()))
            return rec
        self.patch(run, 'run_one', fake_run_one)
        self.patch(run, 'plan', lambda *a, **k: ([], [dict(kind='multiboot')]))
        lines = []
        self.assertEqual(matrix.run_rows(rows, jobs=1, out=lines.append), 2)
        self.assertIn('no bare reference to compare with: the bare lhv row did not run: RuntimeError: Bochs missing',
                      '\n'.join(lines))


class Scenarios(unittest.TestCase):
    def test_compared_entry_boots_the_bare_command_line(self):
        compared = [s for s in scenarios.SCENARIOS if s.compare]
        self.assertEqual(sorted(s.name for s in compared), ['hv-hostile', 'hv-hv-lhv', 'hv-lhv', 'hv-lhv-nmi'])
        for s in compared:
            entry, bare = s.compared_entry()
            self.assertIsNone(bare.compare)
            self.assertEqual(s.entries[-1], entry, s.name)
            self.assertTrue(set(s.archs) <= set(bare.archs) and set(s.opts) <= set(bare.opts))
            for arch in s.archs:
                for opt in s.opts:
                    for ov in (None, dict(lhv_opt='0x400', iters=1)):
                        self.assertEqual(scenarios.entry_args(entry, s, arch, opt, ov),
                                         scenarios.entry_args(bare.entries[-1], bare, arch, opt, ov))

    def test_full_tier_holds_every_nested_rows_reference(self):
        rows = matrix.tier_rows('full')
        keys = {(r[0].name,) + tuple(r[1:]) for r in rows}
        nested_rows = [r for r in rows if r[0].compare]
        self.assertTrue(nested_rows)
        for r in nested_rows:
            self.assertIn((r[0].compare,) + tuple(r[1:]), keys, matrix.row_name(r))

    def test_nested_scenarios_and_their_hypervisor_levels(self):
        by = scenarios.BY_NAME
        self.assertEqual(by['hv-lhv'].boot_queue(), ['hv', 'lhv'])
        self.assertEqual(by['hv-hv-lhv'].boot_queue(), ['hv', 'hv1', 'lhv'])
        self.assertEqual(by['hv-hv-linux'].boot_queue(), ['hv', 'hv1', 'linux'])
        for name in ('hv-lhv', 'hv-hv-lhv', 'hv-hv-linux'):
            hvs = [e for e in by[name].entries if e.kernel in ('hv', 'hv1')]
            self.assertTrue(all(e.bootsector for e in hvs), name)
            self.assertEqual([e.args for e in hvs], [scenarios.HV0_ARGS, scenarios.HV1_ARGS][:len(hvs)])
        linux = by['hv-hv-linux']
        args = scenarios.entry_args(linux.entries[-1], linux, 'amd64', 3, cpus=4)
        self.assertIn('nv_cpus=4', args)
        self.assertIn('nv_need_aperfmperf=1', args)
        self.assertNotIn('  ', args)

    def test_linux_is_told_the_tsc_rate_where_the_cpu_declares_one(self):
        by = scenarios.BY_NAME
        def args(name, profile):
            s = by[name]
            return scenarios.entry_args(s.entries[-1], s, 'amd64', 3, cpus=4, profile=profile)
        # skylake two levels down: the emulator's TSC rate is its ips, whatever CPUID 0x15/0x16 declare
        self.assertIn('tsc_early_khz=100000', args('hv-hv-linux', 'skylake').split())
        # bare and one level down keep the declared clocks, alike (the bench compares their boots)
        self.assertNotIn('tsc_early_khz', args('linux', 'skylake'))
        self.assertNotIn('tsc_early_khz', args('hv-linux', 'skylake'))
        # the 2540p declares nothing: Linux measures the TSC against the PIT
        for name in ('linux', 'hv-linux', 'hv-hv-linux'):
            self.assertNotIn('tsc_early_khz', args(name, 'hp2540p'))
        # the bochsrc runs at the rate the kernel is told
        self.assertEqual(by['hv-hv-linux'].bochs['ips'] // 1000, 100000)

    def test_nested_rows_are_full_tier_only_for_now(self):
        fast = {r[0].name for r in matrix.tier_rows('fast')}
        self.assertFalse(fast & {'hv-hv-lhv', 'hv-hv-linux'})
        full = {matrix.row_name(r) for r in matrix.tier_rows('full')}
        for arch in ('i386', 'amd64'):
            for prof in ('hp2540p', 'skylake'):
                for opt in ('O0', 'O3'):
                    self.assertIn('hv-lhv %s %s %s' % (prof, arch, opt), full)
        for prof in ('hp2540p', 'skylake'):
            for opt in ('O0', 'O3'):
                self.assertIn('hv-hv-lhv %s amd64 %s' % (prof, opt), full)
                self.assertIn('hv-hv-linux %s amd64 %s' % (prof, opt), full)


if __name__ == '__main__':
    unittest.main()
