"""What a sandboxed child does to itself before it reads anything of the upload.

``enter(folder)`` runs first in ``submissions.model.check`` and ``submissions.model.child``:

1. a private mount namespace (``unshare(CLONE_NEWNS)``, propagation private) whose root is a fresh
   tmpfs holding only what Python and onnxruntime need, bound read-only at their own paths (``/usr``,
   ``/lib*``, ``/bin``, ``/sbin``, ``/etc/ld.so.cache``, the interpreter's prefixes, the ``harness`` and
   ``submissions`` packages, ``LD_LIBRARY_PATH``, ``/sys``), a few devices (null, zero, random, the
   NVIDIA ones), a new ``/proc`` (``hidepid=2`` where the kernel allows it), and the child's own folder,
   read-write; then ``chroot`` into it. No data directory, no database, no ground truth, no home;
2. as root: the folder is handed to an unprivileged user (``SANDBOX_UID``, nobody), supplementary
   groups are dropped and the process becomes that user: no capabilities left, so no way back out of
   the chroot;
3. ``PR_SET_NO_NEW_PRIVS``: no set-user-ID program can give privileges back.

Each step that the kernel or the user refuses is skipped; ``enter`` returns the list of steps that
held (``mount_namespace``, ``private_root``, ``proc``, ``uid 65534``, ``no_new_privs``), and the
parent records it. No seccomp filter is applied.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import signal
import sys
from pathlib import Path

SANDBOX_UID = 65534
ISOLATION = "isolation.json"  # where the child records what held, in its folder
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(v):
        return v.encode() if v is not None else None

    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def readonly_paths() -> list[str]:
    """What the children need to read: system libraries, the interpreter, the two packages they import."""
    code_root = Path(__file__).resolve().parents[2]
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache", "/etc/localtime"]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths += [str(code_root / "harness"), str(code_root / "submissions")]
    paths += [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p.startswith("/")]
    paths.append("/sys")
    out: list[str] = []
    for p in paths:
        if p and os.path.lexists(p) and p not in out:
            out.append(os.path.abspath(p))
    return out


def _place(root: str, path: str) -> str:
    """The mount point of ``path`` inside ``root``: a folder, or an empty file for a file; a symlink stays one."""
    target = root + path
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.islink(path):
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return ""
    if os.path.isdir(path):
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "w").close()
    return target


def _bind(root: str, path: str, *, readonly: bool, recursive: bool = True) -> None:
    target = _place(root, path)
    if not target:
        return
    _mount(path, target, None, MS_BIND | (MS_REC if recursive else 0))
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (MS_RDONLY if readonly else 0)
    try:
        _mount(None, target, None, flags | MS_NODEV)
    except OSError:  # a device bind keeps its devices; a user namespace may refuse nodev on a locked mount
        _mount(None, target, None, flags)


def _chown_tree(folder: Path, uid: int) -> None:
    os.chown(folder, uid, uid, follow_symlinks=False)
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, uid, follow_symlinks=False)


def _private_root(folder: Path) -> list[str]:
    held = []
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    held.append("mount_namespace")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here is seen outside
    root = str(folder / ".root")  # inside the folder, so that nothing is left beside it
    os.makedirs(root, mode=0o755, exist_ok=True)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    for path in readonly_paths():
        _bind(root, path, readonly=True)
    os.makedirs(root + "/dev", mode=0o755, exist_ok=True)
    devices = [f"/dev/{d}" for d in DEVICES] + [
        f"/dev/{d}" for d in sorted(os.listdir("/dev")) if d.startswith("nvidia")
    ]
    for dev in devices:
        if os.path.exists(dev) and not os.path.isdir(dev):
            target = _place(root, dev)
            if target:
                _mount(dev, target, None, MS_BIND)
    _bind(root, str(folder), readonly=False, recursive=False)  # without the tmpfs below it
    os.makedirs(root + "/proc", mode=0o555, exist_ok=True)
    for opts in ("hidepid=2", None):
        try:
            _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts)
            held.append("proc" + (f" ({opts})" if opts else ""))
            break
        except OSError:
            continue
    os.chdir(root)
    os.chroot(".")
    os.chdir(folder)
    held.append("private_root")
    return held


def _drop_user(folder: Path) -> list[str]:
    try:
        _chown_tree(folder, SANDBOX_UID)
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EINVAL):
            raise
        return []
    return [f"uid {SANDBOX_UID}"]


def enter(folder: Path, *, enabled: bool = True) -> list[str]:
    """Confine this process to ``folder`` as far as the kernel permits; the steps that held."""
    folder = Path(folder).resolve()
    held: list[str] = []
    notes: list[str] = []
    if enabled:
        try:
            held += _private_root(folder)
        except OSError as exc:
            notes.append(f"no private root ({exc.strerror or exc})")
            if "private_root" not in held:  # half-built: do not run with a root that is not ours
                os.chdir(folder)
        if os.getuid() == 0:
            held += _drop_user(folder)
        if os.getuid() == 0:
            notes.append("still uid 0 (a user namespace maps no other user)")
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        held.append("no_new_privs")
    (folder / ISOLATION).write_text(json.dumps({"held": held, "notes": notes}))
    return held


def read_record(folder: Path) -> tuple[list[str], list[str]]:
    """(steps that held, notes) as the child recorded them; empty when it never got that far."""
    try:
        data = json.loads((Path(folder) / ISOLATION).read_text()[:4096])
        return [str(s) for s in data.get("held", [])], [str(s) for s in data.get("notes", [])]
    except (OSError, ValueError, AttributeError):
        return [], []


def limit_self(*, cpu_s: int, address_space_bytes: int | None, file_size_bytes: int) -> None:
    """Die with the parent, no core files, CPU seconds (SIGXCPU), file size, and address space when given."""
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: a killed worker leaves no child running
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_bytes, file_size_bytes))
    if address_space_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
