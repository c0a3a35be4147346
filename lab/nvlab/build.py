# lab/nvlab/build.py: runs the make commands that produce the kernels a run needs
import subprocess


class BuildError(Exception):
    pass


def make(cmds, quiet=False):
    """Run each distinct make command once, in order (sequentially: make must not race itself)."""
    done = set()
    for cmd in cmds:
        key = tuple(cmd)
        if key in done:
            continue
        done.add(key)
        if quiet:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = r.stdout.decode('utf-8', 'replace')
        else:
            r = subprocess.run(cmd)
            out = ''
        if r.returncode:
            raise BuildError('%s failed (exit %d)%s' % (' '.join(cmd), r.returncode,
                                                       (':\n' + out[-3000:]) if out else ''))
