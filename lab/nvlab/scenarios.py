# lab/nvlab/scenarios.py: kernels (how to build, where they land) and scenarios (boot queue, profiles, timeout, judge) as data
from collections import namedtuple

# {repo}, {arch}, {opt} are filled in; 'archs' None = the kernel is built for one arch only
KERNELS = {
    'lhv': dict(make=['make', '-C', '{repo}', '-s', 'ARCH={arch}', 'O={opt}', 'lhv'],
                path='build/lhv-{arch}-O{opt}/lhv.elf'),
    'hv': dict(make=['make', '-C', '{repo}', '-s', 'O={opt}', 'hv'],
               path='build/hv-O{opt}/nestvisor.elf'),
    'smoke': dict(make=['make', '-C', '{repo}/tests/lab', '-s'],
                  path='build/lab/smoke.elf'),
}

# One GRUB menu entry. args is a template over the scenario params plus arch/opt;
# bootsector=True adds `module --nounzip (hd0)+1 bootsector` (a hypervisor's guest boots it).
Entry = namedtuple('Entry', 'name kernel args bootsector')
Entry.__new__.__defaults__ = ('', False)

LHV_ARGS = 'serial={serial} lhv_opt={lhv_opt} iters={iters}'


class Scenario(namedtuple('Scenario', 'name desc entries queue archs opts profiles requires '
                                      'timeout params judge expect matrix selftest')):
    """queue: entry names in boot order (default: entries in order; at most 9).
    matrix: tier -> axis overrides ({} = all archs x opts x profiles); a tier includes the lower tiers.
    expect: the verdict the scenario must produce (self-test scenarios expect fail/timeout).
    selftest: profiles `lab selftest` runs it on (() = not part of the self-test)."""

    def boot_queue(self):
        return list(self.queue) if self.queue else [e.name for e in self.entries]


def S(name, desc, entries, queue=None, archs=('i386', 'amd64'), opts=(0, 3),
      profiles=('hp2540p', 'skylake', 'hp2540p-4g'), requires=('vmx',), timeout=300,
      params=None, judge='markers', expect='pass', matrix=None, selftest=()):
    p = dict(serial='0x3f8')
    p.update(params or {})
    return Scenario(name, desc, tuple(entries), tuple(queue or ()), tuple(archs), tuple(opts),
                    tuple(profiles), tuple(requires), timeout, p, judge, expect, matrix or {}, selftest)


SMOKE = dict(archs=('i386',), opts=(None,), requires=(), timeout=60,
             profiles=('hp2540p', 'skylake', 'hp2540p-4g'))

SCENARIOS = [
    S('lhv', 'LHV on the emulated PC: every VMX test LHV knows (it skips what the CPU lacks)',
      [Entry('lhv', 'lhv', LHV_ARGS)], params=dict(lhv_opt='0xffffffff', iters=3),
      matrix={'fast': dict(profiles=('hp2540p', 'skylake')), 'full': dict(profiles=('hp2540p-4g',))}),
    S('smoke', 'lab smoke kernel: hello, one outcome, TSC, PASS', [Entry('smoke', 'smoke', 'mode=pass')],
      matrix={'fast': dict(profiles=('hp2540p',))}, selftest=('hp2540p', 'skylake'), **SMOKE),
    S('smoke-fail', 'a FAIL line followed by PASS must fail', [Entry('smoke', 'smoke', 'mode=fail')],
      expect='fail', selftest=('hp2540p',), **SMOKE),
    S('smoke-hang', 'prints nothing and hangs: must time out', [Entry('smoke', 'smoke', 'mode=hang')],
      expect='timeout', selftest=('hp2540p',), **dict(SMOKE, timeout=20)),
    S('smoke-queue', 'boot queue: first boot reboots via 0xCF9, second passes (save_env works)',
      [Entry('first', 'smoke', 'mode=reboot'), Entry('second', 'smoke', 'mode=pass')],
      selftest=('hp2540p',), **SMOKE),
    S('smoke-queue-empty', 'the queue runs dry after a reboot: GRUB must report FAIL on COM1',
      [Entry('first', 'smoke', 'mode=reboot')], expect='fail', selftest=('hp2540p',), **SMOKE),
    S('smoke-bootsector', 'GRUB hands the MBR to the kernel as module "bootsector"',
      [Entry('smoke', 'smoke', 'mode=module', bootsector=True)], selftest=('hp2540p',), **SMOKE),
]

BY_NAME = {s.name: s for s in SCENARIOS}
TIERS = ('fast', 'full')
DEFAULT = 'lhv'


def kernel_build(kernel, arch, opt, repo):
    """(make argv, absolute path of the kernel) for one kernel at arch/opt."""
    k = KERNELS[kernel]
    fill = dict(repo=repo, arch=arch, opt=opt)
    return [a.format(**fill) for a in k['make']], '%s/%s' % (repo, k['path'].format(**fill))


def entry_args(entry, scenario, arch, opt, overrides=None):
    params = dict(scenario.params, arch=arch, opt=opt)
    params.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return entry.args.format(**params)
