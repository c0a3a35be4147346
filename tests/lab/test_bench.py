# tests/lab/test_bench.py: make bench's parsers of nestvisor's counters (EPT02 figures per level and CPU); no Bochs is booted
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab'))
from nvlab import bench  # noqa: E402

HV0 = '''CPU(0x00): NESTVISOR-EXITS total=10
CPU(0x00):   cpu 0 nested: 321 L2 entries, 320 exits reflected to L1, 20 handled by L0, EPT02 14 fills 0 resets 7 peak_pages
CPU(0x00):   cpu 1 nested: 5 L2 entries, 4 exits reflected to L1, 2 handled by L0, EPT02 900 fills 3 resets 513 peak_pages
'''
HV1 = '''CPU(0x00):   cpu 0 nested: 9 L2 entries, 9 exits reflected to L1, 0 handled by L0, EPT02 1 fills 0 resets
'''


class Ept02Figures(unittest.TestCase):
    def test_levels_and_cpus(self):
        f = bench.ept02_figures({'serial-hv0.log': HV0, 'serial-hv1.log': HV1})
        self.assertEqual(sorted(f), ['level0', 'level1'])
        self.assertEqual(f['level0']['cpu0'], dict(l2_entries=321, reflected=320, l0_handled=20, ept02_fills=14,
                                                   ept02_resets=0, ept02_peak_kib=28))
        self.assertEqual(f['level0']['cpu1']['ept02_resets'], 3)
        self.assertEqual(f['level0']['cpu1']['ept02_peak_kib'], 2052)
        self.assertIsNone(f['level1']['cpu0']['ept02_peak_kib'])   # an older build prints no peak

    def test_no_nested_lines(self):
        self.assertEqual(bench.ept02_figures({'serial-hv0.log': 'CPU(0x00): hello\n'}), {})


class Targets(unittest.TestCase):
    def by_name(self, res, profile):
        return {t['name']: t for t in bench.targets(res, profile)}

    def test_shadowing_figure_comes_from_the_cpu_that_has_it(self):
        res = dict(nested_cpuid=dict(hp2540p=dict(l0_exits_per_reflected_l2_exit=8.0),
                                     skylake=dict(l0_exits_per_reflected_l2_exit=3.0)))
        for profile in ('hp2540p', 'skylake'):
            t = self.by_name(res, profile)['l0_exits_per_reflected_l2_exit_with_vmcs_shadowing']
            self.assertEqual((t['figure'], t['met'], t['where']), (3.0, True, 'hv-lhv on skylake'))

    def test_met_not_met_and_missing(self):
        res = dict(nested_cpuid=dict(skylake=dict(l0_exits_per_reflected_l2_exit=3.01)),
                   hv_hv_linux_ept02=dict(resets=1, fills=10, max_kib_per_vcpu=20))
        t = self.by_name(res, 'skylake')
        self.assertIs(t['l0_exits_per_reflected_l2_exit_with_vmcs_shadowing']['met'], False)
        self.assertIs(t['hv_hv_linux_ept02_resets']['met'], False)
        self.assertIs(t['hv_hv_linux_ept02_max_kib_per_vcpu']['met'], True)
        self.assertIsNone(t['linux_kernel_ratio']['met'])
        self.assertEqual(bench.other_cpu('hp2540p-4g'), 'skylake')


if __name__ == '__main__':
    unittest.main()
