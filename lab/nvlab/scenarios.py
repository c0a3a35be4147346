# lab/nvlab/scenarios.py: kernels (how to build, where they land) and scenarios (boot queue, profiles, timeout, judge) as data
from collections import namedtuple

from . import profiles

# {repo}, {arch}, {opt} are filled in; 'archs' None = the kernel is built for one arch only
KERNELS = {
    'lhv': dict(make=['make', '-C', '{repo}', '-s', 'ARCH={arch}', 'O={opt}', 'lhv'],
                path='build/lhv-{arch}-O{opt}/lhv.elf'),
    # nestvisor: 'hv' is the level-0 build; 'hv1' lives at another base and lets its
    # guest start the APs (INIT_SMP=0), as a second level must (DESIGN.md)
    'hv': dict(make=['make', '-C', '{repo}', '-s', 'O={opt}', 'hv'],
               path='build/hv-O{opt}/nestvisor.elf'),
    'hv1': dict(make=['make', '-C', '{repo}', '-s', 'O={opt}', 'HV_BASE=0x18000000', 'INIT_SMP=0', 'hv'],
                path='build/hv-O{opt}-0x18000000-nosmp/nestvisor.elf'),
    'sipi': dict(make=['make', '-C', '{repo}', '-s', 'O={opt}', 'sipi'],
                 path='build/guests/sipi-O{opt}/sipi.elf'),
    # Debian's kernel + a busybox initramfs (lab/nvlab/linux_guest.py); booted with GRUB's linux/initrd
    'linux': dict(make=None, path='build/linux/vmlinuz', initrd='build/linux/initrd.cpio', kind='linux'),
    'smoke': dict(make=['make', '-C', '{repo}/tests/lab', '-s'],
                  path='build/lab/smoke.elf'),
}

# One GRUB menu entry. args is a template over the scenario params plus arch/opt;
# bootsector=True adds `module --nounzip (hd0)+1 bootsector` (a hypervisor's guest boots it).
Entry = namedtuple('Entry', 'name kernel args bootsector')
Entry.__new__.__defaults__ = ('', False)

LHV_ARGS = 'serial={serial} lhv_opt={lhv_opt} iters={iters}'
# Each nestvisor level logs on its own UART so that its lines never interleave with its
# guest's (COM1 = the innermost guest -> serial.log, COM2 = level 0 -> serial-hv0.log,
# COM3 = level 1 -> serial-hv1.log).
HV0_ARGS = 'serial=0x2f8'
HV1_ARGS = 'serial=0x3e8'
# quiet (printk to the 8250 busy-waits per character) and no crypto self-tests. Not
# tsc=reliable / no_timer_check: with them the kernel hung (init blocked in
# init_kprobe_trace after the clocksource switch) on bare Bochs with 4 CPUs.
# {linux_need}: what /init (guests/linux/init) must also see, e.g. nv_need_aperfmperf=1 (the
# aperfmperf CPU flag: APERF/MPERF stay visible under nestvisor).
# lapic=notscdeadline: Bochs's corei7_skylake_x declares a 3.5 GHz TSC in CPUID 0x15/0x16,
# which Linux trusts without calibrating, but its TSC advances one per tick (ips=20M per
# emulated second), so a TSC-deadline timer tick (HZ=250: 14M TSC) lasts 0.7 s instead of
# 4 ms. Bare, Linux drops the TSC-deadline timer anyway (SKX microcode errata, Bochs reports
# revision 0); under a hypervisor (CPUID.1:ECX[31]) it skips that check and uses it, and
# hv-linux crawled (lab/README.md). Keep the LAPIC one-shot timer, as bare; a no-op on
# CPUs without TSC deadline (Arrandale).
# {linux_clock}: in hv-hv-linux (linux_clock_from='ips'), on a profile whose CPU declares its
# clocks in CPUID (profiles.tsc_declared: skylake), tsc_early_khz = the emulator's real TSC
# rate (ips / 1000). Otherwise Linux also takes the local APIC timer's rate from the declared
# 24 MHz crystal, while Bochs counts it down by emulated instructions: its 4 ms tick came
# every 96K instructions whatever ips is, and two levels down at O0 one tick (an EOI
# reflected to the inner nestvisor, two APERF/MPERF reads) cost more than that: Linux never
# left its timer interrupt (hv-hv-linux skylake O0, stuck after "Mountpoint-cache" with the
# LAPIC timer just started). With the TSC rate given, Linux measures the APIC timer against
# the PIT, as on the 2540p, and a tick is 4 ms of emulated time (ips / 250 instructions), as
# on a real CPU. Bare and one level down keep the declared clocks: a tick costs them little,
# and with the measured clock bare Linux waited 320 emulated seconds somewhere in its device
# initcalls (/init at 15.8G ticks instead of 5.6G; cause not found, lab/README.md).
LINUX_ARGS = ('console=ttyS0,115200 {linux_verbosity} cryptomgr.notests lapic=notscdeadline {linux_clock} '
              'nv_cpus={cpus} {linux_need} {linux_extra}')


class Scenario(namedtuple('Scenario', 'name desc entries queue archs opts profiles requires '
                                      'timeout params judge expect matrix selftest bochs compare cases')):
    """queue: entry names in boot order (default: entries in order; at most 9).
    matrix: tier -> axis overrides ({} = all archs x opts x profiles); a tier includes the lower tiers.
    expect: the verdict the scenario must produce (self-test scenarios expect fail/timeout).
    selftest: profiles `lab selftest` runs it on (() = not part of the self-test).
    bochs: bochsrc settings of this scenario (e.g. ignore_bad_msrs).
    compare: name of the bare scenario whose run is this one's oracle (None: no comparison): the
    OUTCOME lines of the innermost guest must equal those of the bare run of the same kernel, with
    the same command line, on the same profile (judge.apply_reference).
    cases: (test, minimum): the run is a suite whose OUTCOME lines of that test are its cases;
    it fails with fewer than minimum, or (with compare) another count than the bare run
    (judge.apply_case_count); the count shows as cases=N."""

    def boot_queue(self):
        return list(self.queue) if self.queue else [e.name for e in self.entries]

    def compared_entry(self):
        """(this scenario's entry, the bare scenario) that the comparison is about: the entry
        booting the bare scenario's innermost kernel."""
        bare = BY_NAME[self.compare]
        kernel = bare.entries[-1].kernel
        return [e for e in self.entries if e.kernel == kernel][-1], bare


def S(name, desc, entries, queue=None, archs=('i386', 'amd64'), opts=(0, 3),
      profiles=('hp2540p', 'skylake', 'hp2540p-4g'), requires=('vmx',), timeout=300,
      params=None, judge='markers', expect='pass', matrix=None, selftest=(), bochs=None, compare=None, cases=None):
    p = dict(serial='0x3f8', linux_extra='', linux_verbosity='quiet', linux_need='', linux_clock_from='declared')
    p.update(params or {})
    b = dict(ignore_bad_msrs=0)
    b.update(bochs or {})
    return Scenario(name, desc, tuple(entries), tuple(queue or ()), tuple(archs), tuple(opts),
                    tuple(profiles), tuple(requires), timeout, p, judge, expect, matrix or {}, selftest, b,
                    compare, cases)


SMOKE = dict(archs=('i386',), opts=(None,), requires=(), timeout=60,
             profiles=('hp2540p', 'skylake', 'hp2540p-4g'))

# Linux reads MSRs Bochs does not implement (APERF/MPERF 0xE7/0xE8 although CPUID.06H
# advertises them, 0x1A0...): a silicon-like #GP there stops the bare kernel early, so Linux
# scenarios keep Bochs's default of ignoring unknown MSRs.
# ips=20M: Linux spends most of its boot waiting in emulated time (timers, msleep, idle
# HLT), which Bochs pays per tick; 10x fewer ticks per emulated second make the boot
# several times cheaper while its instruction-bound parts (decompression) cost the same.
LINUX = dict(archs=('amd64',), bochs=dict(ignore_bad_msrs=1, ips=20000000))
# Two levels down each of Linux's timer ticks costs tens of thousands of instructions (its
# EOI is an exit reflected to the inner nestvisor, which emulates it through the outer one);
# at 20M instructions per emulated second a 4 ms tick is 80K instructions and Linux spent
# nearly all of them in its tick (hv-hv-linux had not started its APs after 15G ticks). At
# 100M a tick is 400K instructions, as on a slow real CPU (on skylake only with
# {linux_clock}, see LINUX_ARGS).
LINUX_TWO_LEVELS = dict(LINUX, bochs=dict(ignore_bad_msrs=1, ips=100000000))

# LHV as the innermost guest of nestvisor: the same command line as the bare `lhv` scenario, whose
# run with the same LHV kernel on the same profile is the oracle (the CPU is the oracle).
# 0x3fff: every test but bit 14 (NMI experiments) and 15 (the hostile suite, its own scenarios)
LHV_PARAMS = dict(lhv_opt='0x3fff', iters=3)
NESTED_LHV = dict(params=LHV_PARAMS, compare='lhv')
# The NMI experiments (lhv/tests/nmi_exp*.c): LHV with only OPT_NMI_EXP (0x4000), bare and under
# nestvisor; each experiment's OUTCOME line (the recorded sequence) must equal the bare run's.
# nmi_soak: after the first pass, that many more experiments in random order (fixed seed),
# each checked against its first sequence by LHV itself.
LHV_NMI_ARGS = LHV_ARGS + ' nmi_soak={nmi_soak}'
LHV_NMI_PARAMS = dict(lhv_opt='0x4000', iters=2, nmi_soak=40)
NMI_MATRIX = {'fast': dict(profiles=('hp2540p',), archs=('amd64',), opts=(3,)),
              'full': dict(profiles=('hp2540p', 'skylake'))}
HV0 = Entry('hv', 'hv', HV0_ARGS, bootsector=True)
HV1 = Entry('hv1', 'hv1', HV1_ARGS, bootsector=True)
# The hostile-L1 suite (lhv/tests/hostile*.c, OPT_HOSTILE): once, on the BSP; at least 100
# cases, each an `OUTCOME hostile <case>: <answer>` line; nested must answer as bare.
HOSTILE_PARAMS = dict(lhv_opt='0x8000', iters=1)
HOSTILE = dict(params=HOSTILE_PARAMS, profiles=('hp2540p', 'skylake'), cases=('hostile', 100),
               matrix={'fast': dict(profiles=('hp2540p',), archs=('amd64',), opts=(3,)), 'full': {}})

SCENARIOS = [
    S('lhv', 'LHV on the emulated PC: every VMX test LHV knows (it skips what the CPU lacks)',
      [Entry('lhv', 'lhv', LHV_ARGS)], params=LHV_PARAMS,
      matrix={'fast': dict(profiles=('hp2540p', 'skylake')), 'full': dict(profiles=('hp2540p-4g',))}),
    S('linux', 'reference: Debian Linux (kernel + busybox initramfs) bare, all CPUs online',
      [Entry('linux', 'linux', LINUX_ARGS)], opts=(None,), requires=(), timeout=1500,
      matrix={'full': dict(profiles=('hp2540p',))}, **LINUX),
    S('hv-linux', 'nestvisor -> GRUB -> Linux (SMP): all CPUs online, APERF/MPERF visible, clean power-off',
      [HV0, Entry('linux', 'linux', LINUX_ARGS)], timeout=2400, params=dict(linux_need='nv_need_aperfmperf=1'),
      matrix={'fast': dict(profiles=('hp2540p',), opts=(3,)), 'full': dict(profiles=('hp2540p', 'skylake'))}, **LINUX),
    S('hv-lhv', 'nestvisor -> GRUB -> LHV: nested VMX (L0 nestvisor, L1 LHV, L2 its tests); OUTCOME lines = bare lhv',
      [HV0, Entry('lhv', 'lhv', LHV_ARGS)], timeout=1200,
      matrix={'fast': dict(profiles=('hp2540p', 'skylake'))},
      **NESTED_LHV),
    S('lhv-nmi', 'LHV NMI experiments bare (lhv_opt=0x4000): who saw which NMI, in what order, at which point',
      [Entry('lhv', 'lhv', LHV_NMI_ARGS)], params=LHV_NMI_PARAMS, profiles=('hp2540p', 'skylake'),
      matrix=NMI_MATRIX),
    S('hv-lhv-nmi', 'nestvisor -> GRUB -> LHV NMI experiments: every recorded sequence = bare lhv-nmi',
      [HV0, Entry('lhv', 'lhv', LHV_NMI_ARGS)], timeout=1200, params=LHV_NMI_PARAMS, compare='lhv-nmi',
      profiles=('hp2540p', 'skylake'), matrix=NMI_MATRIX),
    S('hv-hv-lhv', 'nestvisor -> nestvisor (base 0x18000000, INIT_SMP=0) -> LHV: OUTCOME lines = bare lhv',
      [HV0, HV1, Entry('lhv', 'lhv', LHV_ARGS)], timeout=2400,
      matrix={'full': dict(profiles=('hp2540p', 'skylake'), archs=('amd64',))}, **NESTED_LHV),
    S('lhv-hostile', 'LHV runs the hostile-L1 suite on the emulated CPU: the oracle of hv-hostile',
      [Entry('lhv', 'lhv', LHV_ARGS)], timeout=600, **HOSTILE),
    S('hv-hostile', 'nestvisor -> a hostile L1 (LHV: bad VMX operands, bad VMCS12s, EPT12 onto nestvisor, NMIs): '
      'every answer = bare lhv-hostile, L0 never stops',
      [HV0, Entry('lhv', 'lhv', LHV_ARGS)], timeout=2400, compare='lhv-hostile', **HOSTILE),
    S('hv-hv-linux', 'nestvisor -> nestvisor (base 0x18000000, INIT_SMP=0) -> Linux (SMP): all CPUs online, APERF/MPERF visible',
      [HV0, HV1, Entry('linux', 'linux', LINUX_ARGS)], timeout=5400, params=dict(linux_need='nv_need_aperfmperf=1', linux_clock_from='ips'),
      matrix={'full': dict(profiles=('hp2540p', 'skylake'))}, **LINUX_TWO_LEVELS),
    S('init-sipi-twice', 'nestvisor -> a guest that INIT-SIPI-SIPIs an AP twice and pokes at nestvisor memory',
      [HV0, Entry('sipi', 'sipi', 'serial={serial}')], archs=('amd64',),
      timeout=300, matrix={'fast': dict(profiles=('hp2540p',), opts=(0,)), 'full': dict(profiles=('hp2540p', 'skylake'))}),
    S('sipi-bare', 'the INIT-SIPI test guest without nestvisor (bench reference: bare CPUID cost)',
      [Entry('sipi', 'sipi', 'serial={serial} expect_hv=0')], archs=('amd64',), opts=(3,), timeout=300),
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
    """(make argv or None, absolute path of the kernel) for one kernel at arch/opt."""
    k = KERNELS[kernel]
    fill = dict(repo=repo, arch=arch, opt=opt)
    cmd = [a.format(**fill) for a in k['make']] if k['make'] else None
    return cmd, '%s/%s' % (repo, k['path'].format(**fill))


def kernel_kind(kernel):
    return KERNELS[kernel].get('kind', 'multiboot')


def kernel_initrd(kernel, repo):
    k = KERNELS[kernel]
    return '%s/%s' % (repo, k['initrd']) if k.get('initrd') else None


def linux_clock(scenario, profile):
    """Kernel parameter telling Linux the TSC rate Bochs really runs at (see LINUX_ARGS)."""
    if scenario.params.get('linux_clock_from') != 'ips' or not profile or not profiles.tsc_declared(profile):
        return ''
    return 'tsc_early_khz=%d' % (scenario.bochs.get('ips', profiles.IPS) // 1000)


def entry_args(entry, scenario, arch, opt, overrides=None, cpus=None, profile=None):
    params = dict(scenario.params, arch=arch, opt=opt, cpus=cpus, linux_clock=linux_clock(scenario, profile))
    params.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return ' '.join(entry.args.format(**params).split())     # empty parameters leave no gaps
