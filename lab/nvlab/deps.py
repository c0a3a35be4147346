# lab/nvlab/deps.py: `lab setup`: installs the Debian packages the lab needs (idempotent, skips what is present)
import os
import shutil
import subprocess

# The Linux guest's kernel and busybox are fetched with apt-get download and unpacked with
# dpkg -x (lab/nvlab/linux_guest.py), never installed into the host.
PACKAGES = ('bochs bochsbios vgabios grub-pc-bin grub-common mtools xorriso gcc-multilib cpio '
            'libcmocka-dev clang').split()
NEEDED_FILES = ('/usr/share/bochs/BIOS-bochs-latest', '/usr/share/bochs/VGABIOS-lgpl-latest',
                '/usr/lib/grub/i386-pc/boot.img')


def installed(pkg):
    r = subprocess.run(['dpkg-query', '-W', '-f=${db:Status-Status}', pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.returncode == 0 and r.stdout.decode().strip() == 'installed'


def setup(out=print):
    missing = [p for p in PACKAGES if not installed(p)]
    if missing:
        sudo = [] if os.geteuid() == 0 else (['sudo'] if shutil.which('sudo') else [])
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        out('installing: ' + ' '.join(missing))
        for cmd in (['apt-get', 'update'], ['apt-get', 'install', '-y'] + missing):
            if subprocess.run(sudo + cmd, env=env).returncode:
                out('failed: ' + ' '.join(sudo + cmd))
                return 1
    else:
        out('packages present: ' + ' '.join(PACKAGES))
    bad = [f for f in NEEDED_FILES if not os.path.exists(f)]
    if bad:
        out('missing after install: ' + ' '.join(bad))
        return 1
    return 0
