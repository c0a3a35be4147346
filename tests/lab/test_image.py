# tests/lab/test_image.py: self-tests of the lab's disk-image pieces (grubenv, grub.cfg queue, MBR) and results folders
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab'))
from nvlab import image, results, scenarios  # noqa: E402


class Image(unittest.TestCase):
    def test_grubenv(self):
        env = image.grubenv(['hv', 'lhv'])
        self.assertEqual(len(env), 1024)
        self.assertTrue(env.startswith(b'# GRUB Environment Block\nnext_entry=hv\nnext_entry_2=lhv\n#'))
        with self.assertRaises(ValueError):
            image.grubenv(['x'] * 10)

    def test_cfg_shifts_queue_and_adds_bootsector(self):
        cfg = image.grub_cfg('t', [dict(name='hv', dest='/boot/hv.elf', args='a=1', bootsector=True),
                                   dict(name='lhv', dest='/boot/lhv.elf', args='b=2')])
        self.assertIn('set default="${next_entry}"\nset next_entry="${next_entry_2}"', cfg)
        self.assertIn('set next_entry_9=""\nsave_env next_entry next_entry_2', cfg)
        self.assertIn('menuentry "hv" --id "hv" {\n  multiboot /boot/hv.elf a=1', cfg)
        self.assertEqual(cfg.count('module --nounzip (hd0)+1 bootsector'), 1)
        self.assertLess(cfg.index('save_env'), cfg.index('menuentry'))

    def test_mbr(self):
        boot = bytes(range(256)) * 2
        m = image.mbr(boot, 131072)
        self.assertEqual(len(m), 512)
        self.assertEqual(m[:440], boot[:440])
        self.assertEqual(m[510:], b'\x55\xaa')
        self.assertEqual((m[446], m[450]), (0x80, 0x0c))
        self.assertEqual(struct.unpack('<II', m[454:462]), (2048, 131072 - 2048))

    def test_results_dirs_unique(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {results.new_dir(d, 'smoke', 'hp2540p', 'i386') for _ in range(5)}
            self.assertEqual(len(paths), 5)

    def test_scenarios_are_consistent(self):
        for s in scenarios.SCENARIOS:
            names = [e.name for e in s.entries]
            self.assertEqual(len(names), len(set(names)), s.name)
            self.assertTrue(set(s.boot_queue()) <= set(names), s.name)
            self.assertLessEqual(len(s.boot_queue()), 9)
            for e in s.entries:
                self.assertIn(e.kernel, scenarios.KERNELS)
                scenarios.entry_args(e, s, s.archs[0], s.opts[0])


if __name__ == '__main__':
    unittest.main()
