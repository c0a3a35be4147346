# lab/nvlab/run.py: one run: build kernels, make the disk, boot Bochs, watch serial, judge, save results/
import os
import platform
import hashlib
import subprocess
import threading
import time

from . import bochs, build, image, judge, linux_guest, profiles, results, scenarios

GRACE_S = 30.0         # after a result marker, quiet time the kernel gets to shut the emulator down
GRACE_MAX_S = 120.0    # ... at most, however long the hypervisors below it keep printing their counters
POLL_S = 0.2
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ABORT = threading.Event()      # set by the matrix on Ctrl-C: every running row stops its Bochs


class RunError(Exception):
    pass


class UsageError(RunError):
    """The row asked for does not exist (scenario/profile/arch/opt mismatch)."""


def plan(scn, profile, arch, opt, overrides=None, repo=REPO):
    """Check the row is allowed; list the kernels (make argv, path) and menu entries."""
    prof = profiles.get(profile)
    if profile not in scn.profiles:
        raise UsageError('scenario %s does not run on profile %s (allowed: %s)' % (scn.name, profile, ', '.join(scn.profiles)))
    missing = set(scn.requires) - prof['features']
    if missing:
        raise UsageError('profile %s lacks %s needed by %s' % (profile, ', '.join(sorted(missing)), scn.name))
    if arch not in scn.archs:
        raise UsageError('scenario %s has no arch %s (have: %s)' % (scn.name, arch, ', '.join(scn.archs)))
    if opt not in scn.opts:
        raise UsageError('scenario %s has no opt %s (have: %s)' % (scn.name, opt, ', '.join(map(str, scn.opts))))
    cmds, entries = [], []
    for e in scn.entries:
        cmd, path = scenarios.kernel_build(e.kernel, arch, 0 if opt is None else opt, repo)
        if cmd:
            cmds.append(cmd)
        def fat_path(p):
            d = os.path.relpath(p, os.path.join(repo, 'build'))
            return '/boot/' + (os.path.basename(p) if d.startswith('..') else d)
        ent = dict(name=e.name, kernel=e.kernel, kind=scenarios.kernel_kind(e.kernel), path=path,
                   dest=fat_path(path), bootsector=e.bootsector,
                   args=scenarios.entry_args(e, scn, arch, opt, overrides, cpus=profiles.cpus(profile), profile=profile))
        initrd = scenarios.kernel_initrd(e.kernel, repo)
        if initrd:
            ent.update(initrd=initrd, initrd_dest=fat_path(initrd))
        entries.append(ent)
    return cmds, entries


def profile_info(scn, profile):
    """What the emulated machine of a run was (recorded in run.json; a bare reference must match)."""
    prof = profiles.get(profile)
    return dict(model=prof['model'], count=prof['count'], memory=prof['memory'],
                ips=scn.bochs.get('ips', profiles.IPS))


def sha256_of(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- the bare reference of a scenario with `compare` (judge.apply_reference) ----

def reference_spec(scn, profile, arch, opt, overrides=None, repo=REPO):
    """What a bare run must match to be this nested row's oracle: the bare scenario on the same
    profile and Bochs settings, the same kernel image (sha256) with the same command line. Call
    after the build."""
    entry, bare = scn.compared_entry()
    _, entries = plan(scn, profile, arch, opt, overrides, repo)
    mine = entries[scn.entries.index(entry)]
    return dict(scenario=bare.name, profile=profile, profile_info=profile_info(bare, profile),
                bochs_settings=bare.bochs, bochs_version=bochs.version(), kernel=mine['kernel'],
                sha256=sha256_of(mine['path']), args=mine['args'])


def reference_from(rec, how, spec, error=None):
    """The reference judge.apply_reference takes, from a bare run record (None: it did not run,
    error says why). A record that does not match spec is no reference: problem says why."""
    ref = dict(scenario=spec['scenario'], how=how, results_dir=None, verdict=None, outcomes=[], problem=None)
    if rec is None:
        ref['problem'] = 'the bare %s row did not run: %s' % (spec['scenario'], error or '?')
        return ref
    ref.update(results_dir=rec.get('results_dir'), verdict=rec.get('verdict'), outcomes=results.guest_outcomes(rec))
    why = results.reference_mismatch(rec, spec)
    if why:
        ref['problem'] = 'bare run %s: %s' % (_rel(rec.get('results_dir') or '?'), why)
    return ref


def _rel(path):
    r = os.path.relpath(path)
    return path if r.startswith('..') else r


def find_or_run_reference(scn, profile, arch, opt, spec, overrides=None, results_root=None, repo=REPO, note=None):
    """A bare run in results/ that matches spec (reused), else the bare scenario run now (first)."""
    root = results_root or os.path.join(repo, 'results')
    rec = results.find_reference(root, spec)
    if rec is not None:
        if note:
            note('reference: reusing bare %s run %s' % (spec['scenario'], _rel(rec['results_dir'])))
        return reference_from(rec, 'reused', spec)
    if note:
        note('reference: no passing bare %s run of this kernel (%s) on %s in %s: running it first' % (
            spec['scenario'], spec['sha256'][:12], profile, _rel(root)))
    bare = scenarios.BY_NAME[spec['scenario']]
    rec = run_one(bare, profile, arch, opt, overrides=overrides, do_build=False, results_root=results_root, repo=repo)
    if note:
        note('reference: bare %s %s in %.0fs: %s' % (spec['scenario'], rec['verdict'].upper(), rec.get('wall_s', 0),
                                                     _rel(rec['results_dir'])))
    return reference_from(rec, 'ran', spec)


def build_linux_if_needed(entries, repo=REPO):
    if any(e['kind'] == 'linux' for e in entries):
        linux_guest.build(repo, os.path.join(repo, 'build', 'linux'))


class _Tail:
    """Follows one serial log: new complete lines on every poll."""
    def __init__(self, path):
        self.f = open(path, 'rb')
        self.partial = ''

    def poll(self, stream):
        chunk = self.f.read().decode('utf-8', 'replace')
        if not chunk:
            return []
        if stream:
            stream.write(chunk)
            stream.flush()
        lines = (self.partial + chunk).split('\n')
        self.partial = lines.pop()
        return lines + ([self.partial] if self.partial else [])


def _watch(emu, logs, timeout, stream, progress):
    """Polls the serial logs until a result marker (plus grace), the emulator's exit or the
    deadline. Returns how the run ended: 'marker', 'exit' or 'timeout'."""
    tails = [_Tail(lf) for lf in logs]
    start, marker_at, last_line, nlines = time.time(), None, None, 0
    try:
        while True:
            for t in tails:
                lines = t.poll(stream)
                nlines += len(lines)
                if lines:
                    last_line = time.time()
                if marker_at is None and any(judge.has_result(l) for l in lines):
                    marker_at = time.time()
            now = time.time()
            if emu.poll() is not None:
                return 'marker' if marker_at else 'exit'
            # after the verdict the nestvisor levels print their exit counters (slowly, on an
            # emulated UART): stop only once every log has been quiet for GRACE_S
            if marker_at and (now - max(marker_at, last_line) > GRACE_S or now - marker_at > GRACE_MAX_S):
                emu.stop()
                return 'marker'
            if now - start > timeout:
                emu.stop()
                return 'timeout'
            if ABORT.is_set():
                raise KeyboardInterrupt
            if progress:
                progress(now - start, nlines)
            time.sleep(POLL_S)
    finally:
        for t in tails:
            t.f.close()


def _git(repo):
    def q(*args):
        r = subprocess.run(['git', '-C', repo] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return r.stdout.decode().strip() if r.returncode == 0 else None
    return dict(commit=q('rev-parse', 'HEAD'), dirty=bool(q('status', '--porcelain')))


def run_one(scn, profile, arch, opt, overrides=None, timeout=None, do_build=True, quiet_build=False,
            stream=None, progress=None, results_root=None, keep_disk=False, repo=REPO, reference=None, note=None):
    """Returns the run record (also written to <results dir>/run.json). For a scenario with
    `compare`, reference(spec) gives the bare reference (default: find_or_run_reference, which
    may boot the bare scenario first); note(str) reports what happens to it."""
    cmds, entries = plan(scn, profile, arch, opt, overrides, repo)
    if do_build:
        build.make(cmds, quiet=quiet_build)
        build_linux_if_needed(entries, repo)
    for e in entries:
        if not os.path.exists(e['path']):
            raise RunError('kernel %s not found (did the build run?)' % e['path'])
        e['sha256'] = sha256_of(e['path'])
    ref = None
    if scn.compare:
        spec = reference_spec(scn, profile, arch, opt, overrides, repo)
        if reference is None:
            ref = find_or_run_reference(scn, profile, arch, opt, spec, overrides, results_root, repo, note)
        else:
            ref = reference(spec)
        if ABORT.is_set():
            raise KeyboardInterrupt
    timeout = timeout or scn.timeout + profiles.get(profile)['extra_timeout']
    suffix = arch + ('' if opt is None else '-O%d' % opt)
    out = results.new_dir(results_root or os.path.join(repo, 'results'), scn.name, profile, suffix)
    t0 = time.time()
    files = sorted({(e['path'], e['dest']) for e in entries} |
                   {(e['initrd'], e['initrd_dest']) for e in entries if e.get('initrd')}, key=lambda f: f[1])
    cfg = image.grub_cfg('%s on %s (%s)' % (scn.name, profile, suffix), entries)
    image.build(os.path.join(out, 'disk.img'), os.path.join(repo, 'build', 'lab'), cfg,
                image.grubenv(scn.boot_queue()), files)
    with open(os.path.join(out, 'bochsrc'), 'w') as f:
        f.write(bochs.bochsrc(profile, settings=scn.bochs))
    with open(os.path.join(out, 'debug.rc'), 'w') as f:
        f.write(bochs.debug_rc())
    serial = os.path.join(out, 'serial.log')
    logs = [os.path.join(out, f) for _, f in bochs.SERIAL_LOGS]
    for lf in logs:
        open(lf, 'wb').close()
    emu = bochs.Bochs(out)
    start = time.time()
    emu.start()
    try:
        ended = _watch(emu, logs, timeout, stream, progress)
    except BaseException:         # Ctrl-C or a bug: never leave Bochs running
        emu.stop()
        if not keep_disk:
            os.unlink(os.path.join(out, 'disk.img'))
        raise
    wall = time.time() - start
    texts = [(os.path.basename(lf), bochs.read(lf)) for lf in logs]   # innermost guest first, then nestvisor levels
    rec = judge.judge_logs(texts, ended, timeout)
    ticks, source = bochs.ticks(out)
    notes = bochs.notes(out)
    if rec['verdict'] == 'timeout' and notes:
        rec['reason'] += ' (bochs.log: %s)' % bochs.worst_note(notes)
    if ref is not None:           # the innermost guest's OUTCOME lines against the bare run's
        judge.apply_reference(rec, judge.outcomes(texts[0][1]), ref)
    if scn.cases:                 # a suite of cases: count them (and against the bare run's count)
        bare = ref['outcomes'] if ref is not None and not ref.get('problem') else None
        judge.apply_case_count(rec, judge.outcomes(texts[0][1]), scn.cases[0], scn.cases[1], bare)
    if not keep_disk:
        os.unlink(os.path.join(out, 'disk.img'))
    rec.update(
        scenario=scn.name, desc=scn.desc, profile=profile, arch=arch, opt=opt,
        profile_info=profile_info(scn, profile),
        params=dict(scn.params, **{k: v for k, v in (overrides or {}).items() if v is not None}),
        queue=scn.boot_queue(), entries=entries, build=dict(make=[' '.join(c) for c in cmds], built=do_build),
        expected=scn.expect, ended=ended, bochs_exit=emu.proc.returncode,
        shutdown_port=bochs.shutdown_port_used(out), bochs_notes=notes, resets=bochs.resets(out),
        icount=ticks, icount_source=source,
        emulated_s=round(ticks / scn.bochs.get('ips', profiles.IPS), 3) if ticks else None, bochs_settings=scn.bochs,
        wall_s=round(wall, 2), total_s=round(time.time() - t0, 2), timeout_s=timeout,
        started=time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(start)), results_dir=out,
        git=_git(repo), bochs_version=bochs.version(), host=platform.node(),
        exit_code=judge.EXIT_CODES[rec['verdict']])
    results.write_run(out, rec)
    return rec
