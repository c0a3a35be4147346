# tests/lab/test_judge.py: self-tests of the lab's judge, OUTCOME comparison and vmcs-diff (python3 -m unittest discover -s tests/lab)
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab'))
from nvlab import cli, judge, results, vmcs_diff  # noqa: E402

BARE = '''CPU(0x00): lhv start
CPU(0x00): OUTCOME vmxon ok
CPU(0x01): OUTCOME vmxon ok
CPU(0x00): OUTCOME ept violation at 0x1000 qual=0x181
CPU(0x01): OUTCOME ept violation at 0x1000 qual=0x181
CPU(0x00): NESTVISOR-TSC 0x1234abcd
CPU(0x00): NESTVISOR-RESULT PASS
'''


def quiet_main(argv):
    with contextlib.redirect_stdout(io.StringIO()):
        return cli.main(argv)


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


class Verdicts(unittest.TestCase):
    def test_missing_marker_is_timeout(self):
        for ended in ('timeout', 'exit'):
            r = judge.judge('CPU(0x00): hello\nCPU(0x00): still going\n', ended, 20)
            self.assertEqual(r['verdict'], 'timeout', ended)
            self.assertEqual(judge.EXIT_CODES[r['verdict']], 2)
        self.assertEqual(judge.judge('', 'exit')['verdict'], 'timeout')

    def test_fail_anywhere_beats_pass(self):
        text = 'CPU(0x01): subtest 7 FAILED\nCPU(0x00): NESTVISOR-RESULT PASS\n'
        r = judge.judge(text, 'marker')
        self.assertEqual(r['verdict'], 'fail')
        self.assertIn('subtest 7', r['reason'])
        self.assertEqual(judge.EXIT_CODES[r['verdict']], 1)

    def test_fail_marker_reason(self):
        r = judge.judge('CPU(0x02): NESTVISOR-RESULT FAIL ept test: wrong qualification\n', 'marker')
        self.assertEqual((r['verdict'], r['reason']), ('fail', 'ept test: wrong qualification'))

    def test_pass(self):
        r = judge.judge(BARE, 'marker')
        self.assertEqual((r['verdict'], r['reason']), ('pass', ''))
        self.assertEqual(r['tsc'], '0x1234abcd')
        self.assertEqual(judge.EXIT_CODES['pass'], 0)

    def test_vmfail_word_is_not_fail(self):
        r = judge.judge('CPU(0x00): OUTCOME vmclear VMfailValid 2\nCPU(0x00): VMFAIL expected\n'
                        'CPU(0x00): NESTVISOR-RESULT PASS\n', 'marker')
        self.assertEqual(r['verdict'], 'pass')

    def test_crlf_and_result_detection(self):
        self.assertTrue(judge.has_result('CPU(0x00): NESTVISOR-RESULT PASS\r'))
        self.assertTrue(judge.has_result('NESTVISOR-RESULT FAIL x'))
        self.assertFalse(judge.has_result('CPU(0x00): NESTVISOR-RESULTS are coming'))
        self.assertEqual(judge.judge('CPU(0x00): NESTVISOR-RESULT PASS\r\n', 'exit')['verdict'], 'pass')


class Outcomes(unittest.TestCase):
    def test_parse_in_order_with_cpu(self):
        o = judge.outcomes(BARE)
        self.assertEqual(len(o), 4)
        self.assertEqual(o[0], dict(cpu='0x00', test='vmxon', text='ok'))
        self.assertEqual(o[2], dict(cpu='0x00', test='ept', text='violation at 0x1000 qual=0x181'))
        self.assertEqual(judge.outcomes('OUTCOME bare line\n'), [dict(cpu=None, test='bare', text='line')])

    def test_compare_same_despite_interleaving(self):
        # nested runs interleave CPUs differently: per-CPU order is what counts
        lines = BARE.splitlines()
        nested = '\n'.join([lines[0], lines[2], lines[4], lines[1], lines[3]] + lines[5:]) + '\n'
        a, b = judge.judge(BARE, 'marker'), judge.judge(nested, 'marker')
        self.assertEqual(results.compare_outcomes(a, b), [])

    def test_compare_detects_differences(self):
        changed = BARE.replace('CPU(0x01): OUTCOME ept violation at 0x1000 qual=0x181',
                               'CPU(0x01): OUTCOME ept violation at 0x1000 qual=0x183')
        diffs = results.compare_outcomes(judge.judge(BARE), judge.judge(changed))
        self.assertEqual(len(diffs), 1)
        self.assertEqual((diffs[0]['cpu'], diffs[0]['index']), ('0x01', 1))
        self.assertIn('qual=0x183', diffs[0]['b'])
        missing = BARE.replace('CPU(0x00): OUTCOME vmxon ok\n', '')
        diffs = results.compare_outcomes(judge.judge(BARE), judge.judge(missing))
        self.assertTrue(diffs and any(d['b'] == '<missing>' for d in diffs))

    def test_compare_cli_on_folders(self):
        with tempfile.TemporaryDirectory() as d:
            for name, text in (('a', BARE), ('b', BARE.replace('vmxon ok', 'vmxon #UD'))):
                os.mkdir(os.path.join(d, name))
                rec = judge.judge(text, 'marker')
                results.write_run(os.path.join(d, name), rec)
                write(os.path.join(d, name), 'serial.log', text)
            self.assertEqual(quiet_main(['compare', os.path.join(d, 'a'), os.path.join(d, 'a')]), 0)
            self.assertEqual(quiet_main(['compare', os.path.join(d, 'a'), os.path.join(d, 'b', 'serial.log')]), 1)


DUMP_A = '''CPU(0x00): VMCS-DUMP BEGIN after-launch
CPU(0x01): VMCS-DUMP BEGIN after-launch
CPU(0x00): VMCS GUEST_RIP 0x681e = 0x7c00
CPU(0x01): VMCS GUEST_RIP 0x681e = 0x7c00
CPU(0x00): VMCS EXIT_REASON 0x4402 = 0xa
CPU(0x00): VMCS-DUMP END
CPU(0x01): VMCS EXIT_REASON 0x4402 = 0xa
CPU(0x01): VMCS-DUMP END
CPU(0x00): VMCS-DUMP BEGIN after-launch
CPU(0x00): VMCS GUEST_RIP 0x681e = 0x7c02
CPU(0x00): VMCS-DUMP END
'''


class VmcsDiff(unittest.TestCase):
    def test_parse_interleaved_and_repeated(self):
        d = vmcs_diff.parse(DUMP_A)
        self.assertEqual(list(d), [('after-launch', '0x00', 1), ('after-launch', '0x01', 1), ('after-launch', '0x00', 2)])
        self.assertEqual(d[('after-launch', '0x01', 1)][0x4402], ('EXIT_REASON', 0xa))

    def test_diff(self):
        b = DUMP_A.replace('CPU(0x01): VMCS EXIT_REASON 0x4402 = 0xa', 'CPU(0x01): VMCS EXIT_REASON 0x4402 = 0x30')
        b = b.replace('CPU(0x00): VMCS GUEST_RIP 0x681e = 0x7c02\n', '')
        rows = vmcs_diff.diff(DUMP_A, b)
        self.assertIn((('after-launch', '0x01', 1), 0x4402, 'EXIT_REASON', 0xa, 0x30), rows)
        self.assertIn((('after-launch', '0x00', 2), 0x681e, 'GUEST_RIP', 0x7c02, None), rows)
        self.assertEqual(len(rows), 2)
        self.assertEqual(vmcs_diff.diff(DUMP_A, DUMP_A), [])
        text = '\n'.join(vmcs_diff.format_diff(rows))
        self.assertIn('A=0xa  B=0x30', text)

    def test_cli(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = write(d, 'a.log', DUMP_A), write(d, 'b.log', DUMP_A.replace('0x7c00', '0x7c01'))
            self.assertEqual(quiet_main(['vmcs-diff', a, a]), 0)
            self.assertEqual(quiet_main(['vmcs-diff', a, b]), 1)


class CaseCount(unittest.TestCase):
    """judge.apply_case_count: a suite's OUTCOME lines of one test are its cases (hv-hostile)."""
    @staticmethod
    def suite(n, test='hostile'):
        lines = ''.join('CPU(0x00): OUTCOME %s case-%d: VMfailValid 7\n' % (test, i) for i in range(n))
        return judge.outcomes(lines + 'CPU(0x00): OUTCOME basic exit=18\n')

    def rec(self, verdict='pass', reason=''):
        return dict(verdict=verdict, reason=reason)

    def test_counts_only_that_test(self):
        self.assertEqual(judge.count_cases(self.suite(3), 'hostile'), 3)
        self.assertEqual(judge.count_cases(self.suite(3), 'basic'), 1)

    def test_enough_cases_pass(self):
        r = judge.apply_case_count(self.rec(), self.suite(100), 'hostile', 100)
        self.assertEqual((r['verdict'], r['cases']), ('pass', 100))

    def test_too_few_cases_fail(self):
        r = judge.apply_case_count(self.rec(), self.suite(99), 'hostile', 100)
        self.assertEqual((r['verdict'], r['reason']), ('fail', '99 hostile cases, fewer than 100'))

    def test_count_differs_from_bare(self):
        r = judge.apply_case_count(self.rec(), self.suite(120), 'hostile', 100, bare_outcomes=self.suite(121))
        self.assertEqual((r['verdict'], r['cases'], r['bare_cases']), ('fail', 120, 121))
        self.assertIn('bare run has 121', r['reason'])
        r = judge.apply_case_count(self.rec(), self.suite(121), 'hostile', 100, bare_outcomes=self.suite(121))
        self.assertEqual(r['verdict'], 'pass')

    def test_fail_keeps_verdict_with_count_added(self):
        r = judge.apply_case_count(self.rec('timeout', 'no marker'), self.suite(5), 'hostile', 100)
        self.assertEqual((r['verdict'], r['reason']), ('timeout', 'no marker; 5 hostile cases, fewer than 100'))

    def test_matrix_line_shows_cases(self):
        from nvlab import matrix, scenarios
        scn = scenarios.BY_NAME['hv-hostile']
        rec = dict(verdict='pass', reason='', outcomes=[], wall_s=1.0, results_dir='/r/x', cases=321)
        self.assertIn('cases=321', matrix.row_line((scn, 'hp2540p', 'amd64', 3), rec))

    def test_hostile_scenarios(self):
        from nvlab import matrix, scenarios
        h, b = scenarios.BY_NAME['hv-hostile'], scenarios.BY_NAME['lhv-hostile']
        self.assertEqual((h.compare, h.cases, b.cases), ('lhv-hostile', ('hostile', 100), ('hostile', 100)))
        fast = [matrix.row_name(r) for r in matrix.tier_rows('fast') if 'hostile' in r[0].name]
        self.assertEqual(sorted(fast), ['hv-hostile hp2540p amd64 O3', 'lhv-hostile hp2540p amd64 O3'])
        full = [r for r in matrix.tier_rows('full') if r[0].name == 'hv-hostile']
        self.assertEqual(len(full), 8)            # hp2540p, skylake x i386, amd64 x O0, O3
        self.assertNotIn('0x8000', scenarios.BY_NAME['lhv'].params['lhv_opt'])
        self.assertEqual(int(scenarios.BY_NAME['hv-lhv'].params['lhv_opt'], 16) & 0xc000, 0)


if __name__ == '__main__':
    unittest.main()
