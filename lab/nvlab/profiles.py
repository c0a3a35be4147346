# lab/nvlab/profiles.py: emulated machines (Bochs CPU model, CPU count, memory) the scenarios run on
PROFILES = {
    'hp2540p': dict(
        model='corei5_arrandale_m520', count='1:2:2', memory=dict(guest=512, host=512),
        features={'vmx', 'ept', 'vpid', 'ug'}, extra_timeout=0,
        desc='HP EliteBook 2540p CPU (Arrandale): EPT, no VMCS shadowing, no x2APIC'),
    'skylake': dict(
        model='corei7_skylake_x', count='1:2:2', memory=dict(guest=512, host=512),
        features={'vmx', 'ept', 'vpid', 'ug', 'vmcs-shadow', 'x2apic', 'pml', 'tsc-declared'}, extra_timeout=0,
        desc='Skylake-X: EPT, VMCS shadowing, PML, x2APIC'),
    'hp2540p-4g': dict(
        model='corei5_arrandale_m520', count='1:2:2', memory=dict(guest=4992, host=1024),
        features={'vmx', 'ept', 'vpid', 'ug', 'above-4g'}, extra_timeout=30,
        desc='Arrandale with 4992 MiB (3 GiB below 4 GiB, rest above), like the real 2540p'),
}

IPS = 200000000


def tsc_declared(name):
    """The CPU model states its TSC and crystal frequencies in CPUID 0x15/0x16 (Bochs's
    corei7_skylake_x: 3.5 GHz TSC, 24 MHz crystal), which Linux trusts without measuring,
    although Bochs advances the TSC and the local APIC timer by emulated instructions."""
    return 'tsc-declared' in get(name)['features']


def cpus(name):
    """Logical CPUs of a profile ('1:2:2' = sockets:cores:threads = 4)."""
    n = 1
    for part in get(name)['count'].split(':'):
        n *= int(part)
    return n


def get(name):
    if name not in PROFILES:
        raise SystemExit('unknown profile %r (have: %s)' % (name, ', '.join(PROFILES)))
    return PROFILES[name]
