# lab/nvlab/linux_guest.py: the Linux guest: Debian's kernel and busybox (apt-get download + dpkg -x, never installed) and a newc initramfs
import glob
import os
import shutil
import stat
import subprocess

KERNEL_PKG = 'linux-image-amd64'
BUSYBOX_PKG = 'busybox-static'


def _run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode:
        raise RuntimeError('%s failed:\n%s' % (' '.join(cmd), r.stdout.decode(errors='replace')))
    return r.stdout.decode(errors='replace')


def _kernel_package():
    """The versioned package linux-image-amd64 depends on (e.g. linux-image-6.1.0-56-amd64)."""
    out = _run(['apt-cache', 'depends', KERNEL_PKG])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith('Depends:') and 'linux-image-' in line:
            return line.split()[-1]
    raise RuntimeError('cannot find the kernel package behind %s' % KERNEL_PKG)


def _fetch(pkg, dl_dir, root):
    """apt-get download + dpkg -x into root (cached)."""
    os.makedirs(dl_dir, exist_ok=True)
    debs = glob.glob(os.path.join(dl_dir, pkg.replace(':', '%3a') + '_*.deb'))
    if not debs:
        _run(['apt-get', 'download', pkg], cwd=dl_dir)
        debs = glob.glob(os.path.join(dl_dir, pkg + '_*.deb'))
    if not debs:
        raise RuntimeError('apt-get download %s left no .deb' % pkg)
    stamp = os.path.join(root, '.unpacked-' + os.path.basename(debs[0]))
    if not os.path.exists(stamp):
        os.makedirs(root, exist_ok=True)
        _run(['dpkg', '-x', debs[0], root])
        open(stamp, 'w').close()
    return root


def _newc(entries):
    """A cpio 'newc' archive from (name, mode, data) tuples; device nodes need no root."""
    out = bytearray()
    ino = 1
    for name, mode, data, rdev in entries + [('TRAILER!!!', 0, b'', (0, 0))]:
        nb = name.encode() + b'\0'
        hdr = '070701' + ''.join('%08x' % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
        out += hdr.encode() + nb
        out += b'\0' * ((4 - len(out) % 4) % 4)
        out += data
        out += b'\0' * ((4 - len(out) % 4) % 4)
        ino += 1
    return bytes(out)


def build(repo, out_dir):
    """Returns (vmlinuz path, initrd path), building what is missing."""
    dl = os.path.join(out_dir, 'debs')
    kroot = _fetch(_kernel_package(), dl, os.path.join(out_dir, 'kernel-root'))
    broot = _fetch(BUSYBOX_PKG, dl, os.path.join(out_dir, 'busybox-root'))
    vmlinuz = sorted(glob.glob(os.path.join(kroot, 'boot', 'vmlinuz-*')))[-1]
    init_src = os.path.join(repo, 'guests', 'linux', 'init')
    initrd = os.path.join(out_dir, 'initrd.cpio')
    bb = os.path.join(broot, 'bin', 'busybox')
    if not os.path.exists(initrd) or os.path.getmtime(initrd) < max(os.path.getmtime(init_src), os.path.getmtime(bb)):
        d = stat.S_IFDIR | 0o755
        entries = [('dev', d, b'', (0, 0)), ('proc', d, b'', (0, 0)), ('sys', d, b'', (0, 0)),
                   ('bin', d, b'', (0, 0)),
                   ('dev/console', stat.S_IFCHR | 0o600, b'', (5, 1)),
                   ('dev/ttyS0', stat.S_IFCHR | 0o600, b'', (4, 64)),
                   ('bin/busybox', stat.S_IFREG | 0o755, open(bb, 'rb').read(), (0, 0)),
                   ('bin/sh', stat.S_IFLNK | 0o777, b'busybox', (0, 0)),
                   ('init', stat.S_IFREG | 0o755, open(init_src, 'rb').read(), (0, 0))]
        tmp = initrd + '.%d.tmp' % os.getpid()
        with open(tmp, 'wb') as f:
            f.write(_newc(entries))
        os.replace(tmp, initrd)
    local = os.path.join(out_dir, 'vmlinuz')
    if not os.path.exists(local) or os.path.getmtime(local) < os.path.getmtime(vmlinuz):
        shutil.copyfile(vmlinuz, local)
    return local, initrd
